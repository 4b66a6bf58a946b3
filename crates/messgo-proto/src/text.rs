//! Which characters free text shown to other people (display names, bios) may hold.
//!
//! Invisible format characters (Unicode general category Cf) change how the text
//! around them is shown without showing themselves: U+202E before "nimda" makes it
//! read "admin", and U+200B makes two names that look the same differ. Text with them
//! is refused rather than cleaned, so what is stored is what the user typed.

/// Whether `c` is an invisible format character (general category Cf) that text shown
/// to others may not hold.
///
/// Two Cf characters are allowed because scripts and emoji need them and they cannot
/// reorder text: U+200C ZERO WIDTH NON-JOINER (Persian, Indic scripts) and U+200D
/// ZERO WIDTH JOINER (emoji sequences such as 👩‍💻).
pub fn is_invisible_format(c: char) -> bool {
    if matches!(c, '\u{200C}' | '\u{200D}') {
        return false;
    }
    // The Cf ranges of Unicode 15.1 (DerivedGeneralCategory.txt).
    matches!(c,
        '\u{00AD}'
        | '\u{0600}'..='\u{0605}'
        | '\u{061C}'
        | '\u{06DD}'
        | '\u{070F}'
        | '\u{0890}'..='\u{0891}'
        | '\u{08E2}'
        | '\u{180E}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{206F}'
        | '\u{FEFF}'
        | '\u{FFF9}'..='\u{FFFB}'
        | '\u{110BD}'
        | '\u{110CD}'
        | '\u{13430}'..='\u{1343F}'
        | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0001}'
        | '\u{E0020}'..='\u{E007F}'
    )
}

/// Whether text shown to others may hold `c`: no control characters (but the
/// `allowed` ones, such as a bio's line breaks) and no invisible format characters.
pub fn is_shown_char(c: char, allowed: &[char]) -> bool {
    allowed.contains(&c) || !(c.is_control() || is_invisible_format(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_and_zero_width_characters_are_refused() {
        for c in [
            '\u{202E}',
            '\u{202A}',
            '\u{2066}',
            '\u{2069}',
            '\u{200B}',
            '\u{200E}',
            '\u{200F}',
            '\u{FEFF}',
            '\u{00AD}',
            '\u{2060}',
            '\u{E0041}',
        ] {
            assert!(!is_shown_char(c, &[]), "U+{:04X}", u32::from(c));
        }
        assert!(!is_shown_char('\u{7}', &[]), "control characters too");
        assert!(!is_shown_char('\n', &[]));
        assert!(is_shown_char('\n', &['\n']), "unless allowed");
    }

    #[test]
    fn letters_emoji_and_joiners_pass() {
        for c in "Ada Lovelace é ß 日本 عربي 👩\u{200D}💻 \u{200C}".chars() {
            assert!(is_shown_char(c, &[]), "U+{:04X}", u32::from(c));
        }
    }
}

//! Connect keys and usernames: what people type, paste and share.

use crate::connect_key::{CONNECT_KEY_BYTES, CONNECT_KEY_LEN};
use crate::username::{USERNAME_MAX, USERNAME_MIN};
use crate::{ConnectKey, Username};

/// Crockford's base32 alphabet as published (in lower case), written out here rather
/// than taken from the parser, so the parser is checked against it.
const CROCKFORD: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

fn crockford_digit(c: u8) -> Option<u32> {
    let at = CROCKFORD.iter().position(|&a| a == c)?;
    u32::try_from(at).ok()
}

/// A connect key as typed (`ConnectKey::parse`), and as minted from random bytes.
pub fn connect_key(data: &[u8]) {
    if let Some(raw) = data.first_chunk::<CONNECT_KEY_BYTES>() {
        let key = ConnectKey::from_bytes(raw);
        assert_eq!(decode(key.as_str()), raw, "two byte strings share a key");
        assert_eq!(ConnectKey::parse(&key.display()), Ok(key));
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The documented rule: dashes and spaces dropped, any case, i/l read as 1 and o
    // as 0; then exactly 32 base32 digits.
    let expected: String = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .map(|c| match c.to_ascii_lowercase() {
            'i' | 'l' => '1',
            'o' => '0',
            c => c,
        })
        .collect();
    let valid =
        expected.len() == CONNECT_KEY_LEN && expected.bytes().all(|c| crockford_digit(c).is_some());
    let parsed = ConnectKey::parse(text);
    assert_eq!(
        parsed.is_ok(),
        valid,
        "the parser and the documented rule disagree"
    );
    let Ok(key) = parsed else {
        return;
    };
    assert_eq!(key.as_str(), expected);
    // However it was typed, the key is stored, shown and read back as one.
    let shown = key.display();
    assert_eq!(shown.len(), CONNECT_KEY_LEN + 7, "eight groups of four");
    assert_eq!(ConnectKey::parse(&shown).as_ref(), Ok(&key));
    assert_eq!(ConnectKey::parse(key.as_str()).as_ref(), Ok(&key));
    let shouted = shown.to_ascii_uppercase().replace('-', " ");
    assert_eq!(ConnectKey::parse(&shouted).as_ref(), Ok(&key));
    let raw: [u8; CONNECT_KEY_BYTES] = decode(key.as_str()).try_into().expect("160 bits");
    assert_eq!(
        ConnectKey::from_bytes(&raw),
        key,
        "a key that no bytes mint"
    );
}

/// The bytes a normalised key encodes, five bits a character.
fn decode(key: &str) -> Vec<u8> {
    let (mut acc, mut bits, mut out) = (0u32, 0u32, Vec::new());
    for c in key.bytes() {
        let digit = crockford_digit(c).expect("a normalised key is base32");
        acc = (acc << 5) | digit;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).expect("masked to a byte"));
        }
    }
    out
}

/// A username as typed at registration, sign-in and connection requests.
pub fn username(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = Username::parse(text);
    // JSON bodies reach the same rule through `Deserialize`.
    let quoted = serde_json::to_string(text).expect("a string encodes");
    let from_json = serde_json::from_str::<Username>(&quoted).ok();
    assert_eq!(
        from_json.as_ref(),
        parsed.as_ref().ok(),
        "JSON reads it differently"
    );
    // The documented rule: 3–32 of a-z 0-9 _ . in any case.
    let allowed = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.';
    let valid =
        text.chars().all(allowed) && (USERNAME_MIN..=USERNAME_MAX).contains(&text.chars().count());
    assert_eq!(
        parsed.is_ok(),
        valid,
        "the parser and the documented rule disagree"
    );
    let Ok(name) = parsed else {
        return;
    };
    // Normalising is idempotent: a stored name reads back as itself.
    assert_eq!(Username::parse(name.as_str()).as_ref(), Ok(&name));
    assert_eq!(name.as_str(), text.to_ascii_lowercase());
    assert_eq!(name.to_string(), name.as_str());
    let json = serde_json::to_string(&name).expect("a username encodes");
    assert_eq!(serde_json::from_str::<Username>(&json).ok(), Some(name));
}

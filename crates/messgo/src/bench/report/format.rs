//! How the tables write numbers and losses.

use crate::bench::saturating;

/// Losses as the tables show them, with what explains them: sends the server refused
/// (`busy`: a socket may have 256 sends awaiting their commit) and sockets it cut off
/// for reading too slowly. Both are the server pushing back, which a real client
/// answers by retrying or resuming; the generator does neither.
pub(super) fn lost(lost: u64, refused: u64, cut_off: u64) -> String {
    let why = pushback(refused, cut_off);
    if why.is_empty() {
        num(lost as f64)
    } else {
        format!("{} ({})", num(lost as f64), why.join(", "))
    }
}

pub(super) fn pushback(refused: u64, cut_off: u64) -> Vec<String> {
    let mut why = Vec::new();
    if refused > 0 {
        why.push(format!("{} sends refused", num(refused as f64)));
    }
    match cut_off {
        0 => {}
        1 => why.push("1 socket cut off as too slow".into()),
        n => why.push(format!("{n} sockets cut off as too slow")),
    }
    why
}

/// `v` rounded to a whole number, its thousands separated by commas.
pub(super) fn num(v: f64) -> String {
    let v = saturating::f64_to_i64(v.round());
    let s = v.abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if v < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// A cell's text, or a dash for what the run did not measure.
pub(super) fn opt(v: Option<String>) -> String {
    v.unwrap_or_else(|| "–".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn losses_name_the_refusals_and_cut_offs_behind_them() {
        assert_eq!(lost(0, 0, 0), "0");
        assert_eq!(lost(1368, 0, 0), "1,368");
        assert_eq!(lost(1161, 129, 0), "1,161 (129 sends refused)");
        assert_eq!(lost(1368, 0, 1), "1,368 (1 socket cut off as too slow)");
        assert_eq!(
            lost(3000, 1200, 2),
            "3,000 (1,200 sends refused, 2 sockets cut off as too slow)"
        );
    }

    #[test]
    fn numbers_are_grouped() {
        assert_eq!(num(1234567.4), "1,234,567");
        assert_eq!(num(999.0), "999");
        assert_eq!(num(1000.0), "1,000");
    }
}

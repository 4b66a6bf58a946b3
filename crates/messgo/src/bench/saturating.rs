//! Whole numbers from floats: counts and times the generator computes from rates
//! (messages due by now, a step's message count, a send's scheduled nanosecond) and
//! numbers rounded for the tables.
//!
//! Each is a float-to-integer `as`, which Rust defines to saturate: NaN gives 0, a
//! value past either bound gives that bound, and otherwise the fraction is dropped.
//! That is the meaning wanted here (a schedule cannot go below zero or past the
//! type), so these are the one place that casts floats to integers.

/// `v` toward zero as a `u64`, saturating (negatives and NaN give 0).
#[allow(clippy::cast_possible_truncation, reason = "saturating is intended")]
pub fn f64_to_u64(v: f64) -> u64 {
    v as u64
}

/// `v` toward zero as a `usize`, saturating (negatives and NaN give 0).
#[allow(clippy::cast_possible_truncation, reason = "saturating is intended")]
pub fn f64_to_usize(v: f64) -> usize {
    v as usize
}

/// `v` toward zero as a `u32`, saturating (negatives and NaN give 0).
#[allow(clippy::cast_possible_truncation, reason = "saturating is intended")]
pub fn f64_to_u32(v: f64) -> u32 {
    v as u32
}

/// `v` toward zero as an `i64`, saturating (NaN gives 0).
#[allow(clippy::cast_possible_truncation, reason = "saturating is intended")]
pub fn f64_to_i64(v: f64) -> i64 {
    v as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_saturate_and_drop_the_fraction() {
        assert_eq!(f64_to_u64(2.9), 2);
        assert_eq!(f64_to_u64(-1.0), 0);
        assert_eq!(f64_to_u64(f64::NAN), 0);
        assert_eq!(f64_to_u64(1e30), u64::MAX);
        assert_eq!(f64_to_usize(7.5), 7);
        assert_eq!(f64_to_usize(-0.5), 0);
        assert_eq!(f64_to_i64(-2.5), -2);
        assert_eq!(f64_to_u32(5e9), u32::MAX);
        assert_eq!(f64_to_i64(-1e30), i64::MIN);
    }
}

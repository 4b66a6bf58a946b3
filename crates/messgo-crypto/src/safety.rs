//! Safety numbers: a 60-digit number both users of a pair can compare out of band.

use sha2::{Digest, Sha512};

pub const LABEL: &[u8] = b"messgo safety v1";

/// Each side is `user_id || ed25519_public`; the sides are sorted so both users compute
/// the same number.
pub fn safety_number(
    a_id: &[u8; 16],
    a_public: &[u8; 32],
    b_id: &[u8; 16],
    b_public: &[u8; 32],
) -> String {
    let a = [a_id.as_slice(), a_public].concat();
    let b = [b_id.as_slice(), b_public].concat();
    let (low, high) = if a <= b { (a, b) } else { (b, a) };
    let digest = Sha512::new()
        .chain_update(LABEL)
        .chain_update(&low)
        .chain_update(&high)
        .finalize();
    digest[..60]
        .chunks(5)
        .map(|chunk| {
            let n = chunk.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
            format!("{:05}", n % 100_000)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symmetric_and_sensitive_to_keys() {
        let n = safety_number(&[1; 16], &[2; 32], &[3; 16], &[4; 32]);
        assert_eq!(n, safety_number(&[3; 16], &[4; 32], &[1; 16], &[2; 32]));
        assert_eq!(n.len(), 12 * 5 + 11);
        assert!(n
            .split(' ')
            .all(|g| g.len() == 5 && g.bytes().all(|c| c.is_ascii_digit())));
        assert_ne!(n, safety_number(&[1; 16], &[2; 32], &[3; 16], &[5; 32]));
    }
}

//! Connect keys: 160 random bits as 32 characters of lowercase Crockford base32,
//! shown in groups of four for reading aloud.

const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
pub const CONNECT_KEY_BYTES: usize = 20;
pub const CONNECT_KEY_LEN: usize = 32;

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ConnectKey(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectKeyError;

impl std::fmt::Display for ConnectKeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("A connect key is 32 letters and digits (dashes and spaces are fine).")
    }
}

impl std::error::Error for ConnectKeyError {}

impl ConnectKey {
    pub fn from_bytes(bytes: &[u8; CONNECT_KEY_BYTES]) -> Self {
        let mut out = String::with_capacity(CONNECT_KEY_LEN);
        let (mut acc, mut bits) = (0u32, 0u32);
        for &b in bytes {
            acc = (acc << 8) | u32::from(b);
            bits += 8;
            while bits >= 5 {
                bits -= 5;
                out.push(ALPHABET[((acc >> bits) & 31) as usize] as char);
            }
        }
        ConnectKey(out)
    }

    /// Accepts any grouping and case; reads i/l as 1 and o as 0, as Crockford does.
    pub fn parse(raw: &str) -> Result<Self, ConnectKeyError> {
        let mut out = String::with_capacity(CONNECT_KEY_LEN);
        for c in raw.chars() {
            let c = match c.to_ascii_lowercase() {
                ' ' | '-' => continue,
                'i' | 'l' => '1',
                'o' => '0',
                c if c.is_ascii() && ALPHABET.contains(&(c as u8)) => c,
                _ => return Err(ConnectKeyError),
            };
            out.push(c);
        }
        if out.len() != CONNECT_KEY_LEN {
            return Err(ConnectKeyError);
        }
        Ok(ConnectKey(out))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `abcd-efgh-…`, eight groups of four.
    pub fn display(&self) -> String {
        self.0
            .as_bytes()
            .chunks(4)
            .map(|c| std::str::from_utf8(c).expect("ASCII"))
            .collect::<Vec<_>>()
            .join("-")
    }
}

// The key is a capability: never print it by accident.
impl std::fmt::Debug for ConnectKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ConnectKey(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_160_bits_into_32_characters() {
        let k = ConnectKey::from_bytes(&[0xff; 20]);
        assert_eq!(k.as_str(), "z".repeat(32));
        assert_eq!(ConnectKey::from_bytes(&[0; 20]).as_str(), "0".repeat(32));
        assert_eq!(k.display().len(), 32 + 7);
    }

    #[test]
    fn parsing_forgives_grouping_case_and_lookalikes() {
        let k = ConnectKey::from_bytes(&[0x5a; 20]);
        let shouted = k.display().to_uppercase().replace('-', " ");
        assert_eq!(ConnectKey::parse(&shouted).unwrap(), k);
        assert_eq!(
            ConnectKey::parse(&"IoLo".repeat(8)).unwrap().as_str(),
            "1010".repeat(8)
        );
        assert!(ConnectKey::parse("short").is_err());
        assert!(ConnectKey::parse(&"u".repeat(32)).is_err());
        assert!(ConnectKey::parse(&"é".repeat(32)).is_err());
    }
}

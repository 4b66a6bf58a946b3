use serde::{Deserialize, Serialize};

pub const USERNAME_MIN: usize = 3;
pub const USERNAME_MAX: usize = 32;

/// A valid username: 3–32 of `a-z 0-9 _ .`, stored and compared lowercase.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Username(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsernameError {
    TooShort,
    TooLong,
    BadCharacter,
}

impl std::fmt::Display for UsernameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            UsernameError::TooShort => "A username needs at least 3 characters.",
            UsernameError::TooLong => "A username has at most 32 characters.",
            UsernameError::BadCharacter => {
                "A username may contain only letters a-z, digits, '_' and '.'."
            }
        })
    }
}

impl std::error::Error for UsernameError {}

impl Username {
    pub fn parse(raw: &str) -> Result<Self, UsernameError> {
        let lower = raw.to_ascii_lowercase();
        // Count characters, not bytes, so "é" is reported as a bad character rather
        // than as a length problem.
        let len = lower.chars().count();
        if !lower
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.')
        {
            return Err(UsernameError::BadCharacter);
        }
        if len < USERNAME_MIN {
            return Err(UsernameError::TooShort);
        }
        if len > USERNAME_MAX {
            return Err(UsernameError::TooLong);
        }
        Ok(Username(lower))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Username {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Username {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Username::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_lowercases() {
        assert_eq!(
            Username::parse("Alice_01.x").unwrap().as_str(),
            "alice_01.x"
        );
        assert!(Username::parse("abc").is_ok());
        assert!(Username::parse(&"a".repeat(32)).is_ok());
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(Username::parse("ab"), Err(UsernameError::TooShort));
        assert_eq!(
            Username::parse(&"a".repeat(33)),
            Err(UsernameError::TooLong)
        );
        assert_eq!(Username::parse("al ice"), Err(UsernameError::BadCharacter));
        assert_eq!(Username::parse("alice-b"), Err(UsernameError::BadCharacter));
        assert_eq!(Username::parse("élan"), Err(UsernameError::BadCharacter));
        assert_eq!(Username::parse(""), Err(UsernameError::TooShort));
    }
}

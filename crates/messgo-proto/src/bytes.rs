use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Binary data that travels as base64url without padding.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Bytes(pub Vec<u8>);

impl Bytes {
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn to_b64(&self) -> String {
        URL_SAFE_NO_PAD.encode(&self.0)
    }
}

impl From<Vec<u8>> for Bytes {
    fn from(v: Vec<u8>) -> Self {
        Bytes(v)
    }
}

impl From<&[u8]> for Bytes {
    fn from(v: &[u8]) -> Self {
        Bytes(v.to_vec())
    }
}

// Binary fields are often keys; never print them.
impl std::fmt::Debug for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Bytes({} bytes)", self.0.len())
    }
}

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_b64())
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        URL_SAFE_NO_PAD
            .decode(text.as_bytes())
            .map(Bytes)
            .map_err(|_| serde::de::Error::custom("expected base64url without padding"))
    }
}

/// Base64url without padding, as the decoder accepts it: no `=`, a length that is not
/// 1 more than a multiple of 4, and the unused low bits of the last character zero.
pub const BASE64URL_PATTERN: &str =
    "^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-][AQgw]|[A-Za-z0-9_-]{2}[AEIMQUYcgkosw048])?$";

// In the contract a binary field is a string the decoder above accepts, so generated
// clients (and schemathesis) send ones that decode.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Bytes {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(BASE64URL_PATTERN))
            .content_encoding("base64url")
            .description(Some("Binary data, base64url without padding."))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Bytes {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_base64url_without_padding() {
        let b = Bytes(vec![0xfb, 0xff, 0x01]);
        let json = serde_json::to_string(&b).unwrap();
        assert_eq!(json, "\"-_8B\"");
        assert_eq!(serde_json::from_str::<Bytes>(&json).unwrap(), b);
    }

    #[test]
    fn rejects_standard_base64_and_padding() {
        assert!(serde_json::from_str::<Bytes>("\"+/8B\"").is_err());
        assert!(serde_json::from_str::<Bytes>("\"AA==\"").is_err());
    }

    /// The pattern's tail rule, checked against the decoder for every last character.
    #[test]
    fn the_patterns_tail_is_what_decodes() {
        let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        for last in alphabet.chars() {
            let two = URL_SAFE_NO_PAD.decode(format!("A{last}")).is_ok();
            let three = URL_SAFE_NO_PAD.decode(format!("AA{last}")).is_ok();
            assert_eq!(two, "AQgw".contains(last), "A{last}");
            assert_eq!(three, "AEIMQUYcgkosw048".contains(last), "AA{last}");
            assert!(BASE64URL_PATTERN.contains("[AQgw]"));
            assert!(BASE64URL_PATTERN.contains("[AEIMQUYcgkosw048]"));
        }
        assert!(
            URL_SAFE_NO_PAD.decode("AAAAA").is_err(),
            "4n+1 characters never decode"
        );
    }

    #[test]
    fn debug_hides_content() {
        assert_eq!(format!("{:?}", Bytes(vec![1, 2, 3])), "Bytes(3 bytes)");
    }
}

//! Password → (auth key, wrap key). The server only ever sees the auth key.

use hkdf::Hkdf;
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

pub const SALT_LABEL: &[u8] = b"messgo kdf v1";
pub const AUTH_INFO: &[u8] = b"messgo auth v1";
pub const WRAP_INFO: &[u8] = b"messgo wrap v1";

/// `SHA-256("messgo kdf v1" || realm_id || lowercase username)`.
pub fn salt(realm_id: &str, username: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(SALT_LABEL);
    h.update(realm_id.as_bytes());
    h.update(username.to_ascii_lowercase().as_bytes());
    h.finalize().into()
}

/// PBKDF2-HMAC-SHA256 over the NFC-normalized password (so the same password typed on
/// different systems derives the same keys).
pub fn master_key(password: &str, salt: &[u8; 32], iterations: u32) -> Zeroizing<[u8; 32]> {
    let normalized: Zeroizing<String> = Zeroizing::new(password.nfc().collect());
    let mut out = Zeroizing::new([0u8; 32]);
    pbkdf2::pbkdf2_hmac::<Sha256>(normalized.as_bytes(), salt, iterations, out.as_mut());
    out
}

/// HKDF-SHA256 with no salt, 32 bytes of output.
pub fn hkdf32(ikm: &[u8], info: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut out = Zeroizing::new([0u8; 32]);
    Hkdf::<Sha256>::new(None, ikm)
        .expand(info, out.as_mut())
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    out
}

/// The two keys a password yields.
pub struct AccountKeys {
    /// Sent to the server at login; it stores only Argon2id of it.
    pub auth_key: Zeroizing<[u8; 32]>,
    /// Never leaves the client: seals the identity key bundle.
    pub wrap_key: Zeroizing<[u8; 32]>,
}

impl AccountKeys {
    pub fn derive(password: &str, realm_id: &str, username: &str, iterations: u32) -> Self {
        let master = master_key(password, &salt(realm_id, username), iterations);
        AccountKeys {
            auth_key: hkdf32(master.as_ref(), AUTH_INFO),
            wrap_key: hkdf32(master.as_ref(), WRAP_INFO),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salt_ignores_username_case_but_binds_realm() {
        assert_eq!(salt("r1", "Alice"), salt("r1", "alice"));
        assert_ne!(salt("r1", "alice"), salt("r2", "alice"));
    }

    #[test]
    fn auth_and_wrap_keys_differ_and_depend_on_password() {
        let a = AccountKeys::derive("correct horse", "realm", "alice", 1000);
        let b = AccountKeys::derive("correct horsE", "realm", "alice", 1000);
        assert_ne!(*a.auth_key, *a.wrap_key);
        assert_ne!(*a.auth_key, *b.auth_key);
    }

    #[test]
    fn password_is_nfc_normalized() {
        let composed = AccountKeys::derive("caf\u{e9}", "realm", "bob", 1000);
        let decomposed = AccountKeys::derive("cafe\u{301}", "realm", "bob", 1000);
        assert_eq!(*composed.auth_key, *decomposed.auth_key);
    }
}

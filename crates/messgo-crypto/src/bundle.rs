//! The identity key bundle: the user's private keys, sealed under the wrap key so any
//! browser that knows the password can recover them, and nothing else can.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::Aes256Gcm;
use ed25519_dalek::SigningKey;
use rand::{CryptoRng, RngCore};
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

use crate::CryptoError;

pub const AAD_LABEL: &[u8] = b"messgo bundle v1";
pub const BUNDLE_LEN: usize = 12 + 64 + 16;

/// A user's two private keys.
pub struct IdentitySecrets {
    pub x25519: Zeroizing<[u8; 32]>,
    pub ed25519_seed: Zeroizing<[u8; 32]>,
}

impl IdentitySecrets {
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        let mut x = Zeroizing::new([0u8; 32]);
        let mut e = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(x.as_mut());
        rng.fill_bytes(e.as_mut());
        IdentitySecrets {
            x25519: x,
            ed25519_seed: e,
        }
    }

    pub fn x25519_public(&self) -> [u8; 32] {
        PublicKey::from(&StaticSecret::from(*self.x25519)).to_bytes()
    }

    pub fn signing_key(&self) -> SigningKey {
        SigningKey::from_bytes(&self.ed25519_seed)
    }

    pub fn ed25519_public(&self) -> [u8; 32] {
        self.signing_key().verifying_key().to_bytes()
    }
}

fn aad(user_id: &[u8; 16]) -> Vec<u8> {
    [AAD_LABEL, user_id.as_slice()].concat()
}

/// `nonce || AES-256-GCM(wrap_key, nonce, x25519 || ed25519_seed, "messgo bundle v1" || user_id)`.
pub fn seal(
    wrap_key: &[u8; 32],
    user_id: &[u8; 16],
    secrets: &IdentitySecrets,
    nonce: &[u8; 12],
) -> Vec<u8> {
    let plain =
        Zeroizing::new([secrets.x25519.as_slice(), secrets.ed25519_seed.as_slice()].concat());
    let ct = Aes256Gcm::new(wrap_key.into())
        .encrypt(
            nonce.into(),
            Payload {
                msg: &plain,
                aad: &aad(user_id),
            },
        )
        .expect("AES-GCM encryption of 64 bytes cannot fail");
    [nonce.as_slice(), &ct].concat()
}

pub fn open(
    wrap_key: &[u8; 32],
    user_id: &[u8; 16],
    bundle: &[u8],
) -> Result<IdentitySecrets, CryptoError> {
    if bundle.len() != BUNDLE_LEN {
        return Err(CryptoError::Malformed);
    }
    let (nonce, ct) = bundle.split_at(12);
    let plain = Zeroizing::new(
        Aes256Gcm::new(wrap_key.into())
            .decrypt(
                nonce.into(),
                Payload {
                    msg: ct,
                    aad: &aad(user_id),
                },
            )
            .map_err(|_| CryptoError::Decrypt)?,
    );
    let mut x = Zeroizing::new([0u8; 32]);
    let mut e = Zeroizing::new([0u8; 32]);
    x.copy_from_slice(&plain[..32]);
    e.copy_from_slice(&plain[32..]);
    Ok(IdentitySecrets {
        x25519: x,
        ed25519_seed: e,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_only_for_the_same_key_and_user() {
        let s = IdentitySecrets::generate(&mut rand::thread_rng());
        let sealed = seal(&[7; 32], &[1; 16], &s, &[9; 12]);
        assert_eq!(sealed.len(), BUNDLE_LEN);
        let opened = open(&[7; 32], &[1; 16], &sealed).unwrap();
        assert_eq!(*opened.x25519, *s.x25519);
        assert_eq!(*opened.ed25519_seed, *s.ed25519_seed);
        assert!(open(&[8; 32], &[1; 16], &sealed).is_err());
        assert!(open(&[7; 32], &[2; 16], &sealed).is_err());
        assert_eq!(
            open(&[7; 32], &[1; 16], &sealed[1..]).err(),
            Some(CryptoError::Malformed)
        );
    }
}

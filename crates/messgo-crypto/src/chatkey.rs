//! Chat epoch keys, wrapped to each member's X25519 key with HPKE (RFC 9180 base mode,
//! DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM).

use hpke::aead::AesGcm128;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem as _, OpModeR, OpModeS, Serializable};
use rand::{CryptoRng, RngCore};

use crate::CryptoError;

type Kem = X25519HkdfSha256;
pub const INFO_LABEL: &[u8] = b"messgo chat key v1";
pub const WRAPPED_LEN: usize = 32 + 32 + 16;

/// `"messgo chat key v1" || chat_id || epoch (u32 big-endian)`.
pub fn info(chat_id: &[u8; 16], epoch: u32) -> Vec<u8> {
    [INFO_LABEL, chat_id.as_slice(), &epoch.to_be_bytes()].concat()
}

/// `enc || HPKE-Seal(chat_key)`; the RNG supplies the ephemeral key's ikm.
pub fn wrap<R: RngCore + CryptoRng>(
    recipient_public: &[u8; 32],
    chat_id: &[u8; 16],
    epoch: u32,
    chat_key: &[u8; 32],
    rng: &mut R,
) -> Result<Vec<u8>, CryptoError> {
    let pk = <Kem as hpke::Kem>::PublicKey::from_bytes(recipient_public)
        .map_err(|_| CryptoError::Malformed)?;
    let (enc, ct) = hpke::single_shot_seal::<AesGcm128, HkdfSha256, Kem, _>(
        &OpModeS::Base,
        &pk,
        &info(chat_id, epoch),
        chat_key,
        &[],
        rng,
    )
    .map_err(|_| CryptoError::Malformed)?;
    Ok([enc.to_bytes().as_slice(), &ct].concat())
}

pub fn unwrap(
    recipient_secret: &[u8; 32],
    chat_id: &[u8; 16],
    epoch: u32,
    wrapped: &[u8],
) -> Result<[u8; 32], CryptoError> {
    if wrapped.len() != WRAPPED_LEN {
        return Err(CryptoError::Malformed);
    }
    let sk = <Kem as hpke::Kem>::PrivateKey::from_bytes(recipient_secret)
        .map_err(|_| CryptoError::Malformed)?;
    let enc = <Kem as hpke::Kem>::EncappedKey::from_bytes(&wrapped[..32])
        .map_err(|_| CryptoError::Malformed)?;
    let key = hpke::single_shot_open::<AesGcm128, HkdfSha256, Kem>(
        &OpModeR::Base,
        &sk,
        &enc,
        &info(chat_id, epoch),
        &wrapped[32..],
        &[],
    )
    .map_err(|_| CryptoError::Decrypt)?;
    key.try_into().map_err(|_| CryptoError::Malformed)
}

/// RFC 9180 DeriveKeyPair for X25519: (secret, public).
pub fn derive_keypair(ikm: &[u8]) -> ([u8; 32], [u8; 32]) {
    let (sk, pk) = Kem::derive_keypair(ikm);
    (sk.to_bytes().into(), pk.to_bytes().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_to_a_member_and_binds_chat_and_epoch() {
        let (sk, pk) = derive_keypair(&[5; 32]);
        let key = [42u8; 32];
        let w = wrap(&pk, &[1; 16], 3, &key, &mut rand::thread_rng()).unwrap();
        assert_eq!(w.len(), WRAPPED_LEN);
        assert_eq!(unwrap(&sk, &[1; 16], 3, &w).unwrap(), key);
        assert!(unwrap(&sk, &[1; 16], 4, &w).is_err());
        assert!(unwrap(&sk, &[2; 16], 3, &w).is_err());
        let (other, _) = derive_keypair(&[6; 32]);
        assert!(unwrap(&other, &[1; 16], 3, &w).is_err());
    }
}

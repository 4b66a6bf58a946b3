//! Message seal/open: AES-256-GCM under the epoch key with the chat, epoch, sender and
//! message id bound as associated data, and an Ed25519 signature by the sender.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::Aes256Gcm;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

use crate::CryptoError;

pub const AAD_LABEL: &[u8] = b"messgo msg v1";
/// Plaintexts are padded to a multiple of this, hiding their exact length.
pub const PAD_BLOCK: usize = 256;

/// What a message's ciphertext is bound to.
#[derive(Debug, Clone, Copy)]
pub struct Header {
    pub chat_id: [u8; 16],
    pub epoch: u32,
    pub sender_id: [u8; 16],
    pub message_id: [u8; 16],
}

impl Header {
    /// `"messgo msg v1" || chat_id || epoch || sender_id || message_id`.
    pub fn aad(&self) -> Vec<u8> {
        [
            AAD_LABEL,
            &self.chat_id,
            &self.epoch.to_be_bytes(),
            &self.sender_id,
            &self.message_id,
        ]
        .concat()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub nonce: [u8; 12],
    pub ciphertext: Vec<u8>,
    pub signature: [u8; 64],
}

/// ISO/IEC 7816-4 padding: 0x80 then zeros up to the next multiple of 256 bytes.
pub fn pad(plaintext: &[u8]) -> Vec<u8> {
    let len = (plaintext.len() / PAD_BLOCK + 1) * PAD_BLOCK;
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(plaintext);
    out.push(0x80);
    out.resize(len, 0);
    out
}

pub fn unpad(padded: &[u8]) -> Result<&[u8], CryptoError> {
    match padded.iter().rposition(|&b| b != 0) {
        Some(i) if padded[i] == 0x80 => Ok(&padded[..i]),
        _ => Err(CryptoError::Malformed),
    }
}

fn signed_data(aad: &[u8], nonce: &[u8; 12], ciphertext: &[u8]) -> Vec<u8> {
    [aad, nonce.as_slice(), ciphertext].concat()
}

pub fn seal(
    chat_key: &[u8; 32],
    header: &Header,
    plaintext: &[u8],
    signer: &SigningKey,
    nonce: &[u8; 12],
) -> Sealed {
    let aad = header.aad();
    let ciphertext = Aes256Gcm::new(chat_key.into())
        .encrypt(
            nonce.into(),
            Payload {
                msg: &pad(plaintext),
                aad: &aad,
            },
        )
        .expect("AES-GCM encryption within size limits cannot fail");
    let signature = signer
        .sign(&signed_data(&aad, nonce, &ciphertext))
        .to_bytes();
    Sealed {
        nonce: *nonce,
        ciphertext,
        signature,
    }
}

/// Verifies the signature first, so an unsigned or forged message is never decrypted.
pub fn open(
    chat_key: &[u8; 32],
    header: &Header,
    sealed: &Sealed,
    sender_public: &[u8; 32],
) -> Result<Vec<u8>, CryptoError> {
    let aad = header.aad();
    let vk = VerifyingKey::from_bytes(sender_public).map_err(|_| CryptoError::Malformed)?;
    vk.verify(
        &signed_data(&aad, &sealed.nonce, &sealed.ciphertext),
        &Signature::from_bytes(&sealed.signature),
    )
    .map_err(|_| CryptoError::BadSignature)?;
    let padded = Aes256Gcm::new(chat_key.into())
        .decrypt(
            (&sealed.nonce).into(),
            Payload {
                msg: &sealed.ciphertext,
                aad: &aad,
            },
        )
        .map_err(|_| CryptoError::Decrypt)?;
    unpad(&padded).map(<[u8]>::to_vec)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header {
        Header {
            chat_id: [1; 16],
            epoch: 2,
            sender_id: [3; 16],
            message_id: [4; 16],
        }
    }

    #[test]
    fn padding_hides_length_and_round_trips() {
        assert_eq!(pad(b"").len(), 256);
        assert_eq!(pad(&[1; 255]).len(), 256);
        assert_eq!(pad(&[1; 256]).len(), 512);
        for n in [0usize, 1, 255, 256, 700] {
            let p = vec![0u8; n];
            assert_eq!(unpad(&pad(&p)).unwrap(), p.as_slice());
        }
        assert!(unpad(&[0; 256]).is_err());
    }

    #[test]
    fn round_trip_and_every_binding_is_checked() {
        let signer = SigningKey::from_bytes(&[9; 32]);
        let public = signer.verifying_key().to_bytes();
        let sealed = seal(&[7; 32], &header(), b"hello", &signer, &[5; 12]);
        assert_eq!(
            open(&[7; 32], &header(), &sealed, &public).unwrap(),
            b"hello"
        );

        let mut other = header();
        other.message_id = [0; 16];
        assert_eq!(
            open(&[7; 32], &other, &sealed, &public),
            Err(CryptoError::BadSignature)
        );

        let mut forged = sealed.clone();
        forged.ciphertext[0] ^= 1;
        assert_eq!(
            open(&[7; 32], &header(), &forged, &public),
            Err(CryptoError::BadSignature)
        );

        let impostor = SigningKey::from_bytes(&[8; 32]).verifying_key().to_bytes();
        assert_eq!(
            open(&[7; 32], &header(), &sealed, &impostor),
            Err(CryptoError::BadSignature)
        );
        assert_eq!(
            open(&[6; 32], &header(), &sealed, &public),
            Err(CryptoError::Decrypt)
        );
    }
}

//! Attachments at rest: each blob's chunks are sealed under a key of its own, kept in
//! the main database's row for the blob. Deleting that row (by any path: the message,
//! the chat, the uploader, the expiry) makes the chunks noise at once, before they are
//! deleted from their own file; and no chunk can be read without the row that says
//! who may read it.
//!
//! The bytes are already end-to-end ciphertext; this layer is about erasure, not
//! secrecy. AES-256-GCM with a random nonce per chunk (a chunk may be written again
//! by a resumed upload, so the index alone would repeat a nonce), the blob's id and
//! the chunk's index as associated data (a chunk cannot be moved to another place).

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use messgo_proto::BlobId;
use rand::RngCore;

/// Bytes of a blob per chunk: the chunk size the files' streaming encryption uses,
/// so resumable uploads can store what they receive as it comes.
pub const CHUNK: usize = 64 * 1024;

const NONCE: usize = 12;

/// A blob's at-rest key.
pub struct StoreKey(pub [u8; 32]);

impl StoreKey {
    pub fn random() -> Self {
        let mut key = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        StoreKey(key)
    }

    /// The key as stored; `None` if the stored value is not a key.
    pub fn from_stored(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(StoreKey)
    }

    /// Chunk `idx` of `blob`, sealed: nonce, then ciphertext and tag.
    pub fn seal(&self, blob: BlobId, idx: u32, plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE];
        rand::thread_rng().fill_bytes(&mut nonce);
        let aad = aad(blob, idx);
        let sealed = Aes256Gcm::new(&self.0.into())
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: &aad,
                },
            )
            .expect("AES-GCM seals any chunk of at most 64 KiB");
        let mut out = Vec::with_capacity(NONCE + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// Chunk `idx` of `blob` opened; `None` if it was not sealed there with this key.
    pub fn open(&self, blob: BlobId, idx: u32, sealed: &[u8]) -> Option<Vec<u8>> {
        let (nonce, rest) = sealed.split_at_checked(NONCE)?;
        let aad = aad(blob, idx);
        Aes256Gcm::new(&self.0.into())
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: rest,
                    aad: &aad,
                },
            )
            .ok()
    }
}

fn aad(blob: BlobId, idx: u32) -> [u8; 20] {
    let mut aad = [0u8; 20];
    aad[..16].copy_from_slice(blob.as_bytes());
    aad[16..].copy_from_slice(&idx.to_be_bytes());
    aad
}

/// How many chunks `size` bytes take.
pub fn chunks(size: u64) -> u32 {
    u32::try_from(size.div_ceil(CHUNK as u64)).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunk_opens_only_in_its_place_and_under_its_key() {
        let (key, blob) = (StoreKey::random(), BlobId::random());
        let sealed = key.seal(blob, 3, b"ciphertext already");
        assert_eq!(
            key.open(blob, 3, &sealed).as_deref(),
            Some(&b"ciphertext already"[..])
        );
        assert!(key.open(blob, 4, &sealed).is_none(), "another index");
        assert!(
            key.open(BlobId::random(), 3, &sealed).is_none(),
            "another blob"
        );
        assert!(
            StoreKey::random().open(blob, 3, &sealed).is_none(),
            "another key"
        );
        assert!(key.open(blob, 3, &sealed[..5]).is_none(), "cut short");
        assert_ne!(
            key.seal(blob, 3, b"x"),
            key.seal(blob, 3, b"x"),
            "fresh nonces"
        );
        assert_eq!(
            (
                chunks(0),
                chunks(1),
                chunks(CHUNK as u64),
                chunks(CHUNK as u64 + 1)
            ),
            (0, 1, 1, 2)
        );
    }
}

//! MessGo's end-to-end protocol, exactly as `docs/crypto.md` describes it.
//!
//! The browser implements the same constructions with WebCrypto (`web/crypto/protocol.js`);
//! `vectors/messgo-v1.json`, written by [`vectors::generate`], keeps the two in step.

pub mod bundle;
pub mod chatkey;
pub mod file_vectors;
pub mod kdf;
pub mod message;
pub mod safety;
pub mod stream;
pub mod vectors;

mod rng;
pub use rng::FixedRng;

/// Every way an operation on untrusted input can fail. Deliberately coarse: callers
/// learn that something did not verify, never which byte was wrong.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("the data could not be decrypted or did not verify")]
    Decrypt,
    #[error("the signature did not verify")]
    BadSignature,
    #[error("a key or field has the wrong length or form")]
    Malformed,
}

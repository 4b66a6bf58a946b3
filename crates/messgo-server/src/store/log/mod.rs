//! The message log (docs/storage.md): messages in append-only segments, one per
//! expiry bucket, each sealed under its bucket's key, so that a bucket is erased by
//! destroying its key and deleting its file. The parts, each with its own tests:
//! the keys' file (`keys.rs`), the record format (`record.rs`) and a bucket's
//! segment (`segment.rs`), the index (`index.rs`), the log as a whole (`store.rs`)
//! and the handle the server calls from async code (`handle.rs`).
//!
//! On SQLite the log holds the sealed parts (nonce, ciphertext, signature) of every
//! chat message; the database keeps the message's row without them, which every
//! query of membership, unread counts and deletion still reads. A row whose sealed
//! parts are NULL and which is neither deleted nor a system message has them here.

pub mod handle;
pub mod index;
pub mod keys;
pub mod record;
pub mod segment;
pub mod store;

pub use handle::{MessageLog, Place};
pub use record::LogRow;

/// The width of an expiry bucket: content is unreadable at most this long after it
/// expires.
pub const BUCKET_MS: i64 = 10 * 60 * 1000;

/// The bucket of a message that expires at `expires_at` (ms since the epoch): the
/// end of its window, so a bucket is done once its number times [`BUCKET_MS`] has
/// passed.
pub fn bucket_of(expires_at: i64) -> u64 {
    u64::try_from(expires_at.max(1))
        .unwrap_or(0)
        .div_ceil(BUCKET_MS.unsigned_abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_ends_at_or_after_every_expiry_in_it() {
        assert_eq!(bucket_of(1), 1);
        assert_eq!(bucket_of(BUCKET_MS), 1);
        assert_eq!(bucket_of(BUCKET_MS + 1), 2);
        for e in [5, BUCKET_MS - 1, 7 * BUCKET_MS + 3] {
            let b = i64::try_from(bucket_of(e)).unwrap();
            assert!(b * BUCKET_MS >= e && (b - 1) * BUCKET_MS < e);
        }
    }
}

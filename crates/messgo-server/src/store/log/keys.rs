//! The bucket keys' file: one AES-256 key per live expiry bucket, in fixed slots of
//! one small file that is only ever overwritten in place.
//!
//! A bucket's key is written (and synced) before the bucket's first record, and
//! overwritten with zeros (and synced) before its segment is deleted: from then on
//! whatever of the segment survives on the disk, in free blocks or a journal, is
//! noise. The keys never go into SQLite, whose WAL and free pages would keep copies;
//! and the file is never replaced by a rename, which would leave the old one's blocks
//! behind. The slot is the bucket number modulo [`SLOTS`]: more slots than buckets
//! can be live at once (72 hours of 10-minute buckets is 432), so two live buckets
//! never share one.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

use rand::RngCore;

/// Slots in the file.
pub const SLOTS: u64 = 512;
/// A slot: the bucket number (little-endian; 0 marks a free slot) and its key.
const SLOT_LEN: usize = 8 + 32;
const SLOT: u64 = SLOT_LEN as u64;

/// A bucket's key; zeroed when dropped, so a destroyed key leaves no copy in memory.
#[derive(Clone)]
pub struct BucketKey(pub [u8; 32]);

impl BucketKey {
    /// The cipher records of this bucket are sealed with (its key schedule made once).
    pub fn cipher(&self) -> aes_gcm::Aes256Gcm {
        use aes_gcm::KeyInit;
        aes_gcm::Aes256Gcm::new(&self.0.into())
    }
}

impl Drop for BucketKey {
    fn drop(&mut self) {
        self.0 = [0; 32];
        // Keep the zeroing from being optimized away as a dead store.
        std::hint::black_box(&self.0);
    }
}

pub struct KeyFile {
    file: File,
    keys: HashMap<u64, BucketKey>,
}

impl KeyFile {
    /// Opens the file at `path`, creating it (all slots free) if missing.
    pub fn open(path: &Path) -> io::Result<KeyFile> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| io::Error::new(e.kind(), format!("the message keys' file: {e}")))?;
        let size = SLOTS * SLOT;
        if file.metadata()?.len() < size {
            file.set_len(size)?;
            file.sync_all()?;
        }
        let mut bytes = vec![0u8; usize::try_from(size).unwrap_or(usize::MAX)];
        file.read_exact_at(&mut bytes, 0)?;
        let mut keys = HashMap::new();
        for slot in bytes.chunks_exact(SLOT_LEN) {
            let (bucket, key) = slot.split_at(8);
            let bucket = u64::from_le_bytes(bucket.try_into().unwrap_or_default());
            if bucket != 0 {
                let key: [u8; 32] = key.try_into().unwrap_or_default();
                keys.insert(bucket, BucketKey(key));
            }
        }
        Ok(KeyFile { file, keys })
    }

    /// The key of `bucket`, if it is live.
    pub fn key(&self, bucket: u64) -> Option<&BucketKey> {
        self.keys.get(&bucket)
    }

    /// The live buckets, oldest first.
    pub fn buckets(&self) -> Vec<u64> {
        let mut buckets: Vec<u64> = self.keys.keys().copied().collect();
        buckets.sort_unstable();
        buckets
    }

    /// Makes a key for `bucket` and syncs it to the file; returns it (or the one it
    /// already has). Fails if another live bucket holds the slot.
    pub fn create(&mut self, bucket: u64) -> io::Result<BucketKey> {
        if bucket == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "bucket 0 marks a free slot",
            ));
        }
        if let Some(key) = self.keys.get(&bucket) {
            return Ok(key.clone());
        }
        let taken = self.keys.keys().any(|&b| b % SLOTS == bucket % SLOTS);
        if taken {
            return Err(io::Error::other(format!(
                "bucket {bucket} would share a key slot with a live bucket: more than {SLOTS} buckets live"
            )));
        }
        let mut key = BucketKey([0; 32]);
        rand::thread_rng().fill_bytes(&mut key.0);
        let mut slot = [0u8; SLOT_LEN];
        slot[..8].copy_from_slice(&bucket.to_le_bytes());
        slot[8..].copy_from_slice(&key.0);
        self.write_slot(bucket, &slot)?;
        slot.fill(0);
        std::hint::black_box(&slot);
        self.keys.insert(bucket, key.clone());
        Ok(key)
    }

    /// Overwrites `bucket`'s key with zeros in place and syncs the file: from then
    /// on nothing sealed under it can be read.
    pub fn destroy(&mut self, bucket: u64) -> io::Result<()> {
        if self.keys.remove(&bucket).is_some() {
            self.write_slot(bucket, &[0u8; SLOT_LEN])?;
        }
        Ok(())
    }

    fn write_slot(&self, bucket: u64, slot: &[u8]) -> io::Result<()> {
        self.file.write_all_at(slot, (bucket % SLOTS) * SLOT)?;
        self.file.sync_data()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_survive_a_reopen_and_destroyed_ones_leave_zeros() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys");
        let mut keys = KeyFile::open(&path).unwrap();
        let a = keys.create(1000).unwrap();
        let b = keys.create(1001).unwrap();
        assert_ne!(a.0, b.0);
        assert_eq!(
            keys.create(1000).unwrap().0,
            a.0,
            "creating again gives the same key"
        );
        drop(keys);

        let mut keys = KeyFile::open(&path).unwrap();
        assert_eq!(keys.buckets(), vec![1000, 1001]);
        assert_eq!(keys.key(1000).unwrap().0, a.0);
        keys.destroy(1000).unwrap();
        assert!(keys.key(1000).is_none());
        drop(keys);

        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(
            bytes.len() as u64,
            SLOTS * SLOT,
            "overwritten in place, never grown"
        );
        assert!(
            bytes.windows(32).all(|w| w != a.0),
            "the destroyed key is nowhere in the file"
        );
        assert!(bytes.windows(32).any(|w| w == b.0), "the live key is");
        assert_eq!(KeyFile::open(&path).unwrap().buckets(), vec![1001]);
    }

    #[test]
    fn two_live_buckets_never_share_a_slot() {
        let dir = tempfile::tempdir().unwrap();
        let mut keys = KeyFile::open(&dir.path().join("keys")).unwrap();
        keys.create(7).unwrap();
        assert!(keys.create(7 + SLOTS).is_err());
        keys.destroy(7).unwrap();
        keys.create(7 + SLOTS).unwrap();
        assert!(keys.create(0).is_err());
    }
}

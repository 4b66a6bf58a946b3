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
//!
//! A slot is `bucket (u64 LE) | key (32) | check (8)`, the check being the first 8
//! bytes of SHA-256 over the bucket and key. A crash in the middle of writing a slot
//! (making a key, or zeroing one) can leave it part old, part new; such a slot does
//! not check, or sits at another slot than its bucket's, and [`KeyFile::open`] takes
//! it for free and zeroes it: a key being made was never used (nothing is written
//! under it before its slot is synced), and a key being destroyed was meant to go.
//! So a torn slot never yields a wrong key, and the bucket it named is gone (its
//! segment is deleted at start like any segment without a key).

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

use rand::RngCore;
use sha2::{Digest, Sha256};

/// Slots in the file.
pub const SLOTS: u64 = 512;
/// A slot: the bucket number (little-endian; 0 marks a free slot), its key and the
/// check of both.
const SLOT_LEN: usize = 8 + 32 + 8;
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
        let mut torn = Vec::new();
        for (index, slot) in (0u64..).zip(bytes.chunks_exact(SLOT_LEN)) {
            match parse(index, slot) {
                Slot::Free => {}
                Slot::Live(bucket, key) => {
                    keys.insert(bucket, key);
                }
                Slot::Torn => torn.push(index),
            }
        }
        bytes.fill(0);
        std::hint::black_box(&bytes);
        let keys = KeyFile { file, keys };
        if !torn.is_empty() {
            for &index in &torn {
                keys.file.write_all_at(&[0u8; SLOT_LEN], index * SLOT)?;
            }
            keys.file.sync_data()?;
        }
        Ok(keys)
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
        slot[8..40].copy_from_slice(&key.0);
        slot[40..].copy_from_slice(&check(bucket, &key.0));
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

enum Slot {
    Free,
    Live(u64, BucketKey),
    /// Neither free nor whole: a write of it was cut short.
    Torn,
}

/// Slot number `index`'s bytes.
fn parse(index: u64, slot: &[u8]) -> Slot {
    if slot.iter().all(|&b| b == 0) {
        return Slot::Free;
    }
    let bucket = u64::from_le_bytes(slot[..8].try_into().unwrap_or_default());
    let key: [u8; 32] = slot[8..40].try_into().unwrap_or_default();
    let key = BucketKey(key);
    if bucket == 0 || bucket % SLOTS != index || slot[40..] != check(bucket, &key.0) {
        return Slot::Torn;
    }
    Slot::Live(bucket, key)
}

/// The check of a slot: the first 8 bytes of SHA-256 over its bucket and key.
fn check(bucket: u64, key: &[u8; 32]) -> [u8; 8] {
    let mut hash = Sha256::new();
    hash.update(b"messgo log key slot");
    hash.update(bucket.to_le_bytes());
    hash.update(key);
    let digest = hash.finalize();
    let mut out = [0u8; 8];
    out.copy_from_slice(&digest[..8]);
    out
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

    /// Writes `bytes` over the start of `bucket`'s slot, as a write of the slot cut
    /// short by a crash leaves it (the rest of the slot keeps its old bytes).
    fn tear(path: &Path, bucket: u64, bytes: &[u8]) {
        let file = OpenOptions::new().write(true).open(path).unwrap();
        file.write_all_at(bytes, (bucket % SLOTS) * SLOT).unwrap();
    }

    fn whole_slot(bucket: u64, key: &[u8; 32]) -> Vec<u8> {
        let mut slot = bucket.to_le_bytes().to_vec();
        slot.extend_from_slice(key);
        slot.extend_from_slice(&check(bucket, key));
        slot
    }

    #[test]
    fn a_slot_torn_while_made_or_zeroed_is_free_and_never_a_wrong_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys");
        let mut keys = KeyFile::open(&path).unwrap();
        let a = keys.create(1000).unwrap();
        let b = keys.create(1001).unwrap();
        drop(keys);
        // A destroy of 1001 cut short: its bucket number zeroed, its key not yet.
        tear(&path, 1001, &[0u8; 8]);
        // A create of 1002 cut short at every length from a byte to all but one.
        let c = [9u8; 32];
        for len in 1..SLOT_LEN {
            tear(&path, 1002, &whole_slot(1002, &c)[..len]);
            let keys = KeyFile::open(&path).unwrap();
            assert_eq!(keys.buckets(), vec![1000], "cut at {len}");
            assert_eq!(keys.key(1000).unwrap().0, a.0);
        }
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            !bytes.windows(16).any(|w| w == &b.0[..16] || w == &c[..16]),
            "the torn slots were zeroed at the open"
        );
        // A destroy of 1000 cut short the other way: the number whole, the key half
        // zeroed (the write reached the first sector, not the second).
        let mut half = whole_slot(1000, &a.0);
        half[24..].fill(0);
        tear(&path, 1000, &half);
        assert!(KeyFile::open(&path).unwrap().buckets().is_empty());
        // A bucket number torn into another slot's: 1003's low byte alone.
        tear(&path, 1003, &[1003u64.to_le_bytes()[0]]);
        assert!(KeyFile::open(&path).unwrap().buckets().is_empty());
    }

    #[test]
    fn a_truncated_file_keeps_the_slots_before_the_cut() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys");
        let mut keys = KeyFile::open(&path).unwrap();
        let a = keys.create(SLOTS + 3).unwrap();
        keys.create(SLOTS + 300).unwrap();
        drop(keys);
        let file = OpenOptions::new().write(true).open(&path).unwrap();
        file.set_len(300 * SLOT + 20).unwrap();
        let keys = KeyFile::open(&path).unwrap();
        assert_eq!(keys.buckets(), vec![SLOTS + 3]);
        assert_eq!(keys.key(SLOTS + 3).unwrap().0, a.0);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), SLOTS * SLOT);
    }

    #[test]
    fn the_log_drops_a_bucket_whose_key_slot_is_torn_and_reads_the_rest_whole() {
        use super::super::record::{tests::row, LogRow};
        use super::super::segment;
        use super::super::store::{From, Log};
        use super::super::BUCKET_MS;
        let dir = tempfile::tempdir().unwrap();
        let chat = uuid::Uuid::new_v4();
        let in_bucket = |seq: i64, bucket: i64| LogRow {
            chat_id: chat,
            seq,
            expires_at: bucket * BUCKET_MS,
            ..row(seq)
        };
        let rows = [in_bucket(1, 3), in_bucket(2, 5), in_bucket(3, 3)];
        let mut log = Log::open(dir.path()).unwrap();
        log.append(&rows).unwrap();
        drop(log);
        // Bucket 5's destroy cut short: its key half zeroed, its file still there.
        let path = dir.path().join("keys");
        tear(
            &path,
            5,
            &[5u8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        );
        let log = Log::open(dir.path()).unwrap();
        assert_eq!(log.size(), (2, 1));
        assert!(!segment::path(dir.path(), 5).exists(), "deleted at start");
        assert!(segment::path(dir.path(), 3).exists());
        let page = log.page(chat, 0, From::After(0), 10, 0).unwrap();
        assert_eq!(page, vec![rows[0].clone(), rows[2].clone()]);
    }
}

//! The log as a whole: the keys' file, a segment per live bucket, and the index.
//!
//! Its methods block (file I/O and fdatasync): the server calls them from the thread
//! that owns the log, as it does the SQLite writer. A commit goes to the buckets of
//! its rows' expiries (usually one: the chats of a server share a few timers); each
//! bucket's key is synced to the keys' file before its first record. A bucket is
//! erased once its window has passed: its key is zeroed in place first, then its file
//! deleted, so a crash between the two leaves a file nobody can read, which the next
//! start deletes.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use uuid::Uuid;

use super::index::Index;
use super::keys::KeyFile;
use super::record::LogRow;
use super::segment::{self, Loc, Segment};
use super::{bucket_of, BUCKET_MS};

pub struct Log {
    dir: PathBuf,
    keys: KeyFile,
    segments: BTreeMap<u64, Segment>,
    index: Index,
}

/// Where a history page starts.
#[derive(Debug, Clone, Copy)]
pub enum From {
    /// Oldest first, above this number.
    After(i64),
    /// Newest first, below this number.
    Before(i64),
}

impl Log {
    /// Opens the log in `dir` (made if missing): every live bucket's segment is read,
    /// torn tails cut, and the index built; files of buckets without a key are
    /// deleted.
    pub fn open(dir: &Path) -> io::Result<Log> {
        std::fs::create_dir_all(dir)?;
        let keys = KeyFile::open(&dir.join("keys"))?;
        let mut log = Log {
            dir: dir.to_owned(),
            keys,
            segments: BTreeMap::new(),
            index: Index::default(),
        };
        for bucket in log.keys.buckets() {
            let key = log
                .keys
                .key(bucket)
                .cloned()
                .ok_or_else(|| io::Error::other("a key vanished"))?;
            let (seg, rows) = Segment::recover(dir, bucket, key)?;
            for (loc, row) in &rows {
                log.index.insert(*loc, row);
            }
            log.segments.insert(bucket, seg);
        }
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            let bucket = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".seg"))
                .and_then(|n| n.parse::<u64>().ok());
            if let Some(bucket) = bucket {
                if !log.segments.contains_key(&bucket) {
                    std::fs::remove_file(&path)?;
                }
            }
        }
        Ok(log)
    }

    /// Stores `rows` (each already numbered in its chat): when this returns, they
    /// are on the disk. Rows go to the buckets of their expiries.
    pub fn append(&mut self, rows: &[LogRow]) -> io::Result<()> {
        let mut by_bucket: BTreeMap<u64, Vec<&LogRow>> = BTreeMap::new();
        for row in rows {
            by_bucket
                .entry(bucket_of(row.expires_at))
                .or_default()
                .push(row);
        }
        for (bucket, rows) in by_bucket {
            let seg = self.segment(bucket)?;
            let locs = seg.append(&rows)?;
            for (loc, row) in locs.into_iter().zip(rows) {
                self.index.insert(loc, row);
            }
        }
        Ok(())
    }

    fn segment(&mut self, bucket: u64) -> io::Result<&mut Segment> {
        if !self.segments.contains_key(&bucket) {
            let key = self.keys.create(bucket)?;
            let (seg, _) = Segment::recover(&self.dir, bucket, key)?;
            self.segments.insert(bucket, seg);
        }
        self.segments
            .get_mut(&bucket)
            .ok_or_else(|| io::Error::other("a segment vanished"))
    }

    fn read(&self, loc: Loc) -> io::Result<Option<LogRow>> {
        match self.segments.get(&loc.bucket) {
            Some(seg) => seg.read(loc),
            None => Ok(None),
        }
    }

    /// Message `seq` of `chat`, if the log has it.
    pub fn get(&self, chat: Uuid, seq: i64) -> io::Result<Option<LogRow>> {
        match self.index.get(chat, seq) {
            Some(loc) => self.read(loc),
            None => Ok(None),
        }
    }

    /// Up to `limit` of `chat`'s messages numbered above `floor`, from `from`, that
    /// have not expired at `now`.
    pub fn page(
        &self,
        chat: Uuid,
        floor: i64,
        from: From,
        limit: usize,
        now: i64,
    ) -> io::Result<Vec<LogRow>> {
        let places = match from {
            From::After(after) => self.index.range(chat, (floor.max(after) + 1).., false),
            From::Before(before) => self.index.range(chat, (floor + 1)..before, true),
        };
        let mut out = Vec::new();
        for loc in places {
            if out.len() >= limit {
                break;
            }
            if let Some(row) = self.read(loc)? {
                if row.expires_at > now {
                    out.push(row);
                }
            }
        }
        Ok(out)
    }

    /// Erases message `seq` of `chat` in place, leaving its tombstone, if it is the
    /// message `id` (any, if `None`); returns the row it had, if it was there and not
    /// erased already.
    pub fn erase(&mut self, chat: Uuid, seq: i64, id: Option<Uuid>) -> io::Result<Option<LogRow>> {
        let Some(loc) = self.index.get(chat, seq) else {
            return Ok(None);
        };
        let Some(row) = self.read(loc)? else {
            return Ok(None);
        };
        if row.deleted || id.is_some_and(|id| id != row.id) {
            return Ok(None);
        }
        if let Some(seg) = self.segments.get_mut(&loc.bucket) {
            seg.erase(loc, &row)?;
        }
        Ok(Some(row))
    }

    /// `chat`'s records numbered above `above`, in order (tombstones included).
    pub fn rows_above(&self, chat: Uuid, above: i64) -> io::Result<Vec<LogRow>> {
        let mut rows = Vec::new();
        for loc in self.index.range(chat, (above + 1).., false) {
            rows.extend(self.read(loc)?);
        }
        Ok(rows)
    }

    /// Erases in place every message of `chat` numbered above `above`; returns how
    /// many.
    pub fn erase_chat_above(&mut self, chat: Uuid, above: i64) -> io::Result<usize> {
        let mut n = 0;
        for seq in self.index.seqs(chat).into_iter().filter(|&s| s > above) {
            n += usize::from(self.erase(chat, seq, None)?.is_some());
        }
        Ok(n)
    }

    /// Erases every bucket whose window has passed at `now`: key first, then file.
    /// Returns how many messages went.
    pub fn drop_expired(&mut self, now: i64) -> io::Result<usize> {
        let done: Vec<u64> = self
            .segments
            .keys()
            .copied()
            .filter(|&b| {
                i64::try_from(b)
                    .unwrap_or(i64::MAX)
                    .saturating_mul(BUCKET_MS)
                    <= now
            })
            .collect();
        let before = self.index.len();
        for bucket in done {
            self.keys.destroy(bucket)?;
            self.segments.remove(&bucket);
            self.index.forget_bucket(bucket);
            match std::fs::remove_file(segment::path(&self.dir, bucket)) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                Ok(()) | Err(_) => {}
            }
        }
        Ok(before - self.index.len())
    }

    /// The highest number `chat` has had in the log.
    pub fn last_seq(&self, chat: Uuid) -> i64 {
        self.index.last_seq(chat)
    }

    /// Every chat's highest number, to raise the database's counters after a crash.
    pub fn last_seqs(&self) -> impl Iterator<Item = (Uuid, i64)> + '_ {
        self.index.last_seqs().iter().map(|(&c, &s)| (c, s))
    }

    /// Messages indexed, and live buckets.
    pub fn size(&self) -> (usize, usize) {
        (self.index.len(), self.segments.len())
    }
}

/// Every record anyone holding the keys' file could read from the log in `dir` now,
/// erased ones as their tombstones, changing nothing: what the forensic tests
/// search (the segments' bytes are sealed, so a search of the raw files proves
/// nothing).
pub fn readable_rows(dir: &Path) -> io::Result<Vec<LogRow>> {
    let keys = KeyFile::open(&dir.join("keys"))?;
    let mut rows = Vec::new();
    for bucket in keys.buckets() {
        if let Some(key) = keys.key(bucket) {
            rows.extend(segment::readable(dir, bucket, key)?);
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::super::record::tests::row;
    use super::*;

    fn in_chat(chat: Uuid, seq: i64, expires_at: i64) -> LogRow {
        LogRow {
            chat_id: chat,
            seq,
            expires_at,
            ..row(seq)
        }
    }

    #[test]
    fn pages_read_back_across_buckets_and_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let chat = Uuid::new_v4();
        let soon = 10 * BUCKET_MS;
        let later = 20 * BUCKET_MS;
        let mut log = Log::open(dir.path()).unwrap();
        // A chat whose timer changed: its messages sit in two buckets.
        let rows: Vec<LogRow> = (1..=6)
            .map(|s| in_chat(chat, s, if s % 2 == 0 { soon } else { later }))
            .collect();
        log.append(&rows[..3]).unwrap();
        log.append(&rows[3..]).unwrap();
        assert_eq!(log.size(), (6, 2));
        for log in [log, Log::open(dir.path()).unwrap()] {
            let after: Vec<i64> = log
                .page(chat, 0, From::After(2), 3, 0)
                .unwrap()
                .iter()
                .map(|r| r.seq)
                .collect();
            assert_eq!(after, vec![3, 4, 5]);
            let before: Vec<i64> = log
                .page(chat, 1, From::Before(6), 10, 0)
                .unwrap()
                .iter()
                .map(|r| r.seq)
                .collect();
            assert_eq!(before, vec![5, 4, 3, 2], "newest first, above the floor");
            assert_eq!(log.get(chat, 5).unwrap(), Some(rows[4].clone()));
            assert_eq!(log.last_seq(chat), 6);
            let unexpired: Vec<i64> = log
                .page(chat, 0, From::After(0), 10, soon)
                .unwrap()
                .iter()
                .map(|r| r.seq)
                .collect();
            assert_eq!(unexpired, vec![1, 3, 5], "expired messages are not served");
        }
    }

    #[test]
    fn an_expired_bucket_goes_with_its_key_and_leaves_nothing_readable() {
        let dir = tempfile::tempdir().unwrap();
        let chat = Uuid::new_v4();
        let mut log = Log::open(dir.path()).unwrap();
        log.append(&[
            in_chat(chat, 1, 3 * BUCKET_MS),
            in_chat(chat, 2, 5 * BUCKET_MS),
        ])
        .unwrap();
        let key = log.keys.key(3).unwrap().0;
        assert_eq!(
            log.drop_expired(3 * BUCKET_MS - 1).unwrap(),
            0,
            "not before its window ends"
        );
        assert_eq!(log.drop_expired(3 * BUCKET_MS).unwrap(), 1);
        assert!(!segment::path(dir.path(), 3).exists());
        let seqs: Vec<i64> = log
            .page(chat, 0, From::After(0), 10, 0)
            .unwrap()
            .iter()
            .map(|r| r.seq)
            .collect();
        assert_eq!(seqs, vec![2]);
        assert_eq!(log.last_seq(chat), 2);
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            assert!(
                !bytes.windows(32).any(|w| w == key),
                "the key is nowhere on the disk's files"
            );
        }
        drop(log);
        assert_eq!(Log::open(dir.path()).unwrap().size(), (1, 1));
    }

    #[test]
    fn an_erased_message_stays_a_tombstone_through_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let chat = Uuid::new_v4();
        let mut log = Log::open(dir.path()).unwrap();
        log.append(&[in_chat(chat, 1, BUCKET_MS), in_chat(chat, 2, BUCKET_MS)])
            .unwrap();
        assert!(log.erase(chat, 1, None).unwrap().is_some());
        assert!(log.erase(chat, 1, None).unwrap().is_none(), "once");
        assert!(log.erase(chat, 9, None).unwrap().is_none());
        drop(log);
        let log = Log::open(dir.path()).unwrap();
        let page = log.page(chat, 0, From::After(0), 10, 0).unwrap();
        assert!(page[0].deleted && page[0].ciphertext.is_none());
        assert!(!page[1].deleted);
    }

    #[test]
    fn a_segment_left_without_its_key_is_deleted_at_start() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = Log::open(dir.path()).unwrap();
        log.append(&[in_chat(Uuid::new_v4(), 1, 7 * BUCKET_MS)])
            .unwrap();
        // A crash between zeroing the key and deleting the file.
        log.keys.destroy(7).unwrap();
        drop(log);
        let log = Log::open(dir.path()).unwrap();
        assert_eq!(log.size(), (0, 0));
        assert!(!segment::path(dir.path(), 7).exists());
    }
}

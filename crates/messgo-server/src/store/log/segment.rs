//! A bucket's segment: an append-only file of records (record.rs), written a commit
//! at a time with one `write` and one `fdatasync`, read a record at a time, and
//! erased a record at a time by overwriting it in place with its tombstone.
//!
//! A crash can leave the last commit half written (its fdatasync never returned, so
//! none of it was acknowledged). Recovery reads the records in order and cuts the
//! file at the first one whose length is not a record's or runs past the end: what
//! follows was never committed either, since commits are written in order and each
//! waits for its sync. A record whose length is sound but which does not open is
//! stepped over, not cut at: an erasure torn by a crash leaves exactly that in the
//! middle of the file (its length is written unchanged), and it was meant to be
//! unreadable anyway; the records after it are committed and stay.

use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, Read};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use aes_gcm::Aes256Gcm;

use super::keys::BucketKey;
use super::record::{self, LogRow, HEADER};

/// Where a record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Loc {
    pub bucket: u64,
    pub offset: u64,
    pub len: u32,
}

pub struct Segment {
    bucket: u64,
    cipher: Aes256Gcm,
    file: File,
    /// Where the next commit goes: the end of the last complete one.
    end: u64,
}

/// A bucket's file in the log's directory.
pub fn path(dir: &Path, bucket: u64) -> PathBuf {
    dir.join(format!("{bucket}.seg"))
}

/// Every record of `file` (of `bucket`, `size` bytes) that opens under `cipher`, in
/// order, and where the complete ones end.
fn scan(file: &File, size: u64, bucket: u64, cipher: &Aes256Gcm) -> (Vec<(Loc, LogRow)>, u64) {
    let mut rows = Vec::new();
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut end = 0u64;
    let mut header = [0u8; HEADER];
    while end + HEADER as u64 <= size {
        if reader.read_exact(&mut header).is_err() {
            break;
        }
        let Some(len) = record::length(&header) else {
            break;
        };
        if end + u64::from(len) > size {
            break;
        }
        let mut whole = header.to_vec();
        whole.resize(len as usize, 0);
        if reader.read_exact(&mut whole[HEADER..]).is_err() {
            break;
        }
        if let Some(row) = record::open(cipher, bucket, end, &whole) {
            let loc = Loc {
                bucket,
                offset: end,
                len,
            };
            rows.push((loc, row));
        }
        end += u64::from(len);
    }
    (rows, end)
}

/// Every record of `bucket`'s segment that opens with `key`, changing nothing: what
/// anyone holding the key could read from the file (the forensic tests' view).
pub fn readable(dir: &Path, bucket: u64, key: &BucketKey) -> io::Result<Vec<LogRow>> {
    let file = match File::open(path(dir, bucket)) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let size = file.metadata()?.len();
    let (rows, _) = scan(&file, size, bucket, &key.cipher());
    Ok(rows.into_iter().map(|(_, row)| row).collect())
}

impl Segment {
    /// Opens (or creates) `bucket`'s segment and reads it: every record that opens,
    /// in order, with where it is. A torn tail is cut off, and the cut synced.
    pub fn recover(
        dir: &Path,
        bucket: u64,
        key: BucketKey,
    ) -> io::Result<(Segment, Vec<(Loc, LogRow)>)> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path(dir, bucket))?;
        let size = file.metadata()?.len();
        let cipher = key.cipher();
        drop(key);
        let (rows, end) = scan(&file, size, bucket, &cipher);
        if end < size {
            file.set_len(end)?;
            file.sync_all()?;
        }
        Ok((
            Segment {
                bucket,
                cipher,
                file,
                end,
            },
            rows,
        ))
    }

    pub fn bucket(&self) -> u64 {
        self.bucket
    }

    /// Bytes of complete commits.
    pub fn len(&self) -> u64 {
        self.end
    }

    pub fn is_empty(&self) -> bool {
        self.end == 0
    }

    /// Appends `rows` as one commit: when this returns, they are on the disk. On an
    /// error nothing of them counts (the file is cut back to where it was).
    pub fn append<R: std::borrow::Borrow<LogRow>>(&mut self, rows: &[R]) -> io::Result<Vec<Loc>> {
        let mut buf = Vec::with_capacity(rows.len() * 640);
        let mut locs = Vec::with_capacity(rows.len());
        for row in rows {
            let offset = self.end + buf.len() as u64;
            let len = record::seal_into(
                &self.cipher,
                self.bucket,
                offset,
                row.borrow(),
                None,
                &mut buf,
            )
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "a message too large for the log",
                )
            })?;
            locs.push(Loc {
                bucket: self.bucket,
                offset,
                len,
            });
        }
        let written = self
            .file
            .write_all_at(&buf, self.end)
            .and_then(|()| self.file.sync_data());
        if let Err(e) = written {
            // A partial write must not stay as a tail that a later commit follows.
            let _ = self.file.set_len(self.end);
            return Err(e);
        }
        self.end += buf.len() as u64;
        Ok(locs)
    }

    /// The row at `loc`; `None` if what is there does not open (it never should).
    pub fn read(&self, loc: Loc) -> io::Result<Option<LogRow>> {
        let mut whole = vec![0u8; loc.len as usize];
        self.file.read_exact_at(&mut whole, loc.offset)?;
        Ok(record::open(&self.cipher, self.bucket, loc.offset, &whole))
    }

    /// Overwrites the record at `loc` (whose row is `row`) with its tombstone, in
    /// place and synced: the message's sealed bytes are gone from the file.
    pub fn erase(&mut self, loc: Loc, row: &LogRow) -> io::Result<()> {
        let stone = record::seal(
            &self.cipher,
            self.bucket,
            loc.offset,
            &row.tombstone(),
            Some(loc.len),
        )
        .ok_or_else(|| io::Error::other("a tombstone longer than its record"))?;
        self.file.write_all_at(&stone, loc.offset)?;
        self.file.sync_data()
    }
}

#[cfg(test)]
#[allow(clippy::cast_possible_truncation)]
mod tests {
    use super::super::record::tests::row;
    use super::*;

    fn key() -> BucketKey {
        BucketKey([5; 32])
    }

    #[test]
    fn commits_read_back_after_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let (mut seg, rows) = Segment::recover(dir.path(), 42, key()).unwrap();
        assert!(rows.is_empty() && seg.is_empty());
        let first: Vec<LogRow> = (1..=3).map(row).collect();
        let locs = seg.append(&first).unwrap();
        let more = seg.append(&[row(4)]).unwrap();
        assert_eq!(seg.read(locs[1]).unwrap(), Some(first[1].clone()));
        assert_eq!(seg.read(more[0]).unwrap().unwrap().seq, 4);
        drop(seg);
        let (seg, rows) = Segment::recover(dir.path(), 42, key()).unwrap();
        let seqs: Vec<i64> = rows.iter().map(|(_, r)| r.seq).collect();
        assert_eq!(seqs, vec![1, 2, 3, 4]);
        assert_eq!(rows[0].0, locs[0]);
        assert_eq!(
            seg.len(),
            std::fs::metadata(path(dir.path(), 42)).unwrap().len()
        );
    }

    #[test]
    fn a_torn_tail_is_cut_at_every_offset_and_nothing_before_it_is_lost() {
        let dir = tempfile::tempdir().unwrap();
        let (mut seg, _) = Segment::recover(dir.path(), 1, key()).unwrap();
        seg.append(&[row(1), row(2)]).unwrap();
        let committed = seg.len();
        seg.append(&[row(3), row(4)]).unwrap();
        let full = seg.len();
        drop(seg);
        let bytes = std::fs::read(path(dir.path(), 1)).unwrap();
        for cut in committed..full {
            std::fs::write(path(dir.path(), 1), &bytes[..cut as usize]).unwrap();
            let (seg, rows) = Segment::recover(dir.path(), 1, key()).unwrap();
            let seqs: Vec<i64> = rows.iter().map(|(_, r)| r.seq).collect();
            let expected: &[i64] = if cut >= committed + u64::from(row_len(&bytes, committed)) {
                &[1, 2, 3]
            } else {
                &[1, 2]
            };
            assert_eq!(seqs, expected, "cut at {cut}");
            assert_eq!(
                std::fs::metadata(path(dir.path(), 1)).unwrap().len(),
                seg.len(),
                "the tail is gone from the file"
            );
        }
    }

    fn row_len(bytes: &[u8], at: u64) -> u32 {
        record::length(&bytes[at as usize..]).unwrap()
    }

    #[test]
    fn garbage_after_the_last_commit_is_cut_and_a_wrong_key_reads_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (mut seg, _) = Segment::recover(dir.path(), 3, key()).unwrap();
        seg.append(&[row(1)]).unwrap();
        let good = seg.len();
        drop(seg);
        let mut f = OpenOptions::new()
            .append(true)
            .open(path(dir.path(), 3))
            .unwrap();
        std::io::Write::write_all(&mut f, &[0xAB; 300]).unwrap();
        let (seg, rows) = Segment::recover(dir.path(), 3, key()).unwrap();
        assert_eq!((rows.len(), seg.len()), (1, good));
        drop(seg);
        let (_, rows) = Segment::recover(dir.path(), 3, BucketKey([6; 32])).unwrap();
        assert!(rows.is_empty(), "a destroyed key leaves nothing readable");
    }

    #[test]
    fn an_erasure_torn_by_a_crash_loses_nothing_after_it() {
        let dir = tempfile::tempdir().unwrap();
        let (mut seg, _) = Segment::recover(dir.path(), 4, key()).unwrap();
        let locs = seg.append(&[row(1), row(2), row(3)]).unwrap();
        drop(seg);
        // Half of a tombstone's bytes over record 2's body; its length is unchanged.
        let f = OpenOptions::new()
            .write(true)
            .open(path(dir.path(), 4))
            .unwrap();
        f.write_all_at(&[0x5A; 40], locs[1].offset + HEADER as u64 + 8)
            .unwrap();
        let (seg, rows) = Segment::recover(dir.path(), 4, key()).unwrap();
        let seqs: Vec<i64> = rows.iter().map(|(_, r)| r.seq).collect();
        assert_eq!(seqs, vec![1, 3]);
        assert_eq!(
            seg.len(),
            locs[2].offset + u64::from(locs[2].len),
            "nothing was cut"
        );
    }

    #[test]
    fn an_erased_record_keeps_its_place_and_loses_its_content() {
        let dir = tempfile::tempdir().unwrap();
        let (mut seg, _) = Segment::recover(dir.path(), 9, key()).unwrap();
        let rows = vec![row(1), row(2), row(3)];
        let locs = seg.append(&rows).unwrap();
        let before = std::fs::read(path(dir.path(), 9)).unwrap();
        seg.erase(locs[1], &rows[1]).unwrap();
        let after = std::fs::read(path(dir.path(), 9)).unwrap();
        assert_eq!(before.len(), after.len(), "nothing else is rewritten");
        let span = locs[1].offset as usize..(locs[1].offset + u64::from(locs[1].len)) as usize;
        assert_ne!(before[span.clone()], after[span.clone()]);
        assert_eq!(before[..span.start], after[..span.start]);
        assert_eq!(before[span.end..], after[span.end..]);
        drop(seg);
        let (_, back) = Segment::recover(dir.path(), 9, key()).unwrap();
        assert_eq!(back.len(), 3, "the records after it are still read");
        assert!(back[1].1.deleted && back[1].1.ciphertext.is_none());
        assert_eq!(back[2].1, rows[2]);
    }
}

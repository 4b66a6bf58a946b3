//! The torn write: after a kill, the most recently written file of the data
//! directory is cut short at a random offset, as if its last writes had never
//! reached the disk.
//!
//! Which file: the newest by modification time of those whose path contains the
//! trial's filter (`--cut-file`, rotated over the trials: by default the newest of
//! all, then the newest `.seg`, and so on). SQLite's `*-shm` is left out: it is an
//! index of the WAL in shared memory, rebuilt from the WAL when the first connection
//! opens after a crash, not data. So is the message log's `keys` file unless the
//! filter names it: a slot torn mid-write is covered by its unit tests (`keys.rs`),
//! and cutting the file short loses whole keys, which no torn write of a slot does.
//! On SQLite with the log, a commit writes its segment, then the WAL: the newest of
//! all is the WAL (or the database file, right after a checkpoint), never a `.seg`,
//! which is why the rotation names `.seg` itself.
//!
//! Where the cut may fall: anywhere in the file, except where a torn write cannot
//! reach. For SQLite's WAL that is the frames a checkpoint has already copied
//! (or begun to copy) into the database file: SQLite syncs the WAL before it
//! copies, so those frames were on the disk before the database's pages changed,
//! and cutting them would leave the database newer than the WAL that describes it,
//! a state no crash produces. Their count is in the `-shm` file the killed server
//! left.
//!
//! A segment of the message log (`<bucket>.seg`) is cut anywhere, floor 0, though a
//! real torn write can only tear its last commit (the one whose fdatasync never
//! returned, so whose rows never committed). Commit boundaries cannot be seen from
//! outside without the keys and the database, and computing them here would trust
//! the very code under test. So the cut goes further than a crash can: it may take
//! records of commits whose rows the database has, as a disk losing synced data
//! would. The judge (`torn.rs`) accounts for exactly that: such a message must be
//! served under its seq as deleted (no sealed parts), those messages must be a
//! suffix of the cut bucket's commit order, and everything else must be whole. A cut
//! within the last commit is the realistic case, and loses nothing acknowledged.
//! Any other file may be cut anywhere.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use rand::Rng;
use serde::Serialize;

/// SQLite's WAL header, before the first frame.
const WAL_HEADER: u64 = 32;
/// A WAL frame's header, before its page.
const FRAME_HEADER: u64 = 24;

#[derive(Clone, Debug, Serialize)]
pub struct Cut {
    /// The file's name within the data directory.
    pub file: String,
    /// Its length before the cut.
    pub len: u64,
    /// The lowest offset a torn write can reach (see the module's comment).
    pub floor: u64,
    /// The new length.
    pub at: u64,
}

impl Cut {
    /// The cut removed nothing.
    pub fn is_noop(&self) -> bool {
        self.at >= self.len
    }
}

/// Cuts the newest file under `dir` (of those whose path contains `only`, if
/// given) at a random offset in `[floor, len]`. No such file: a cut of nothing.
pub fn cut_newest(dir: &Path, only: Option<&str>, rng: &mut impl Rng) -> std::io::Result<Cut> {
    let Some((path, len)) = newest(dir, only)? else {
        return Ok(Cut {
            file: format!("(no file matching {:?})", only.unwrap_or("")),
            len: 0,
            floor: 0,
            at: 0,
        });
    };
    let floor = floor(&path, len).min(len);
    let at = rng.gen_range(floor..=len);
    OpenOptions::new().write(true).open(&path)?.set_len(at)?;
    let file = path
        .strip_prefix(dir)
        .unwrap_or(&path)
        .display()
        .to_string();
    Ok(Cut {
        file,
        len,
        floor,
        at,
    })
}

/// The bucket of a cut message log segment (`<bucket>.seg`), if that is what was cut.
pub fn seg_bucket(file: &str) -> Option<u64> {
    Path::new(file)
        .file_name()?
        .to_str()?
        .strip_suffix(".seg")?
        .parse()
        .ok()
}

/// The most recently modified regular file under `dir` whose path there contains `only`
/// (SQLite's `-shm` aside, and the log's `keys` unless `only` is given), with its
/// length. Among equal times, the longer file: the log being appended to.
fn newest(dir: &Path, only: Option<&str>) -> std::io::Result<Option<(PathBuf, u64)>> {
    let mut best: Option<(SystemTime, u64, PathBuf)> = None;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let entry = entry?;
            let meta = entry.metadata()?;
            let path = entry.path();
            if meta.is_dir() {
                stack.push(path);
                continue;
            }
            // Within the data directory: the filter is not matched against `dir`.
            let name = path.strip_prefix(dir).unwrap_or(&path).to_string_lossy();
            let keys = entry.file_name() == "keys";
            if name.ends_with("-shm")
                || (keys && only.is_none())
                || !name.contains(only.unwrap_or(""))
            {
                continue;
            }
            let key = (meta.modified()?, meta.len());
            if best.as_ref().is_none_or(|b| key > (b.0, b.1)) {
                best = Some((key.0, key.1, path));
            }
        }
    }
    Ok(best.map(|(_, len, path)| (path, len)))
}

/// Where a torn write could start in `path`: past the WAL frames SQLite has copied
/// into the database (all of the file when that cannot be read); 0 for other files.
fn floor(path: &Path, len: u64) -> u64 {
    let name = path.to_string_lossy();
    let Some(base) = name.strip_suffix("-wal") else {
        return 0;
    };
    backfilled(path, &format!("{base}-shm")).unwrap_or(len)
}

/// The end of the backfilled frames, from the WAL's page size (header bytes 8..12,
/// big-endian) and the `-shm` file's checkpoint record: `nBackfill` at byte 96 and
/// `nBackfillAttempted` at byte 128, native byte order (sqlite3 `wal.c`). `None`
/// when either file cannot be read as such.
fn backfilled(wal: &Path, shm: &str) -> Option<u64> {
    let header = read_prefix(wal, 32)?;
    let page = u64::from(u32::from_be_bytes(header[8..12].try_into().ok()?));
    let index = read_prefix(Path::new(shm), 136)?;
    let word = |at: usize| index[at..at + 4].try_into().ok().map(u32::from_ne_bytes);
    let frames = u64::from(word(96)?.max(word(128)?));
    if frames == 0 {
        return Some(0);
    }
    Some(WAL_HEADER + frames * (FRAME_HEADER + page))
}

fn read_prefix(path: &Path, n: usize) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut bytes = vec![0; n];
    std::fs::File::open(path)
        .ok()?
        .read_exact(&mut bytes)
        .ok()?;
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A WAL header with 4 KiB pages and a `-shm` whose checkpoint record says
    /// `backfilled` frames (the layout checked against sqlite3 3.40: after a
    /// PASSIVE checkpoint of 151 frames, bytes 96..100 of the `-shm` read 151).
    fn files(dir: &Path, backfilled: u32, len: u64) -> PathBuf {
        let wal = dir.join("x.db-wal");
        let mut header = vec![0u8; 32];
        header[8..12].copy_from_slice(&4096u32.to_be_bytes());
        header.resize(usize::try_from(len).unwrap(), 7);
        std::fs::write(&wal, header).unwrap();
        let mut shm = vec![0u8; 32768];
        shm[96..100].copy_from_slice(&backfilled.to_ne_bytes());
        std::fs::write(dir.join("x.db-shm"), shm).unwrap();
        wal
    }

    #[test]
    fn a_wal_is_cut_only_past_its_backfilled_frames() {
        let dir = tempfile::tempdir().unwrap();
        let len = 32 + 10 * 4120;
        let wal = files(dir.path(), 3, len);
        assert_eq!(floor(&wal, len), 32 + 3 * 4120);
        let wal = files(dir.path(), 0, len);
        assert_eq!(
            floor(&wal, len),
            0,
            "nothing backfilled: the header too may go"
        );
        std::fs::remove_file(dir.path().join("x.db-shm")).unwrap();
        assert_eq!(
            floor(&wal, len),
            len,
            "unknown backfill: nothing may be cut"
        );
        assert_eq!(floor(&dir.path().join("segment.log"), len), 0);
        assert_eq!(floor(&dir.path().join("29000.seg"), len), 0, "see above");
    }

    #[test]
    fn the_newest_file_is_cut_within_its_bounds_and_shm_is_never_chosen() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("old"), vec![1u8; 100]).unwrap();
        let wal = files(dir.path(), 0, 32 + 2 * 4120);
        // The -shm was written last, yet the WAL is what gets cut.
        let cut = cut_newest(dir.path(), None, &mut rand::thread_rng()).unwrap();
        assert_eq!(cut.file, "x.db-wal");
        assert!(cut.at <= cut.len);
        assert_eq!(std::fs::metadata(&wal).unwrap().len(), cut.at);
    }

    #[test]
    fn the_keys_file_is_cut_only_when_named_and_a_segment_knows_its_bucket() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("messgo-log");
        std::fs::create_dir(&log).unwrap();
        std::fs::write(log.join("4242.seg"), vec![1u8; 100]).unwrap();
        std::fs::write(log.join("keys"), vec![0u8; 100]).unwrap();
        let mut rng = rand::thread_rng();
        let cut = cut_newest(dir.path(), None, &mut rng).unwrap();
        assert_eq!(cut.file, "messgo-log/4242.seg", "keys was written last");
        assert_eq!(seg_bucket(&cut.file), Some(4242));
        assert_eq!(seg_bucket("messgo.db-wal"), None);
        let cut = cut_newest(dir.path(), Some("keys"), &mut rng).unwrap();
        assert_eq!(cut.file, "messgo-log/keys");
        let cut = cut_newest(dir.path(), Some(".nothing"), &mut rng).unwrap();
        assert!(cut.is_noop());
    }
}

//! The files beside a SQLite store: whether its disk has room to open for writing,
//! whether a crash left a WAL, and its directory, made private.

use std::path::{Path, PathBuf};

use super::{StoreError, StoreResult};

/// Room a disk must have for the store to open for writing.
const ROOM: usize = 1 << 20;

/// Whether the disk holding `db` has [`ROOM`] to spare, tried by writing it. SQLite
/// alone can open for writing on a full disk when its WAL was checkpointed to the
/// end (the next commits reuse the WAL's own blocks), and would then refuse the first
/// change that needs a new block; a store that cannot grow says so at once instead,
/// by starting read-only.
pub(super) fn has_room(db: &Path) -> StoreResult<()> {
    use std::io::Write;
    let dir = db
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let probe = dir.join(".messgo-room");
    let written = std::fs::File::create(&probe).and_then(|mut f| f.write_all(&vec![0u8; ROOM]));
    let _ = std::fs::remove_file(&probe);
    match written {
        Ok(()) => Ok(()),
        // ENOSPC and EDQUOT.
        Err(e) if matches!(e.raw_os_error(), Some(28 | 122)) => Err(StoreError::Full),
        Err(e) => Err(StoreError::Database(sqlx::Error::Io(e))),
    }
}

/// Whether a WAL with content sits beside the database (left by a crash).
pub(super) fn has_wal(path: &Path) -> bool {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(PathBuf::from(wal)).is_ok_and(|m| m.len() > 0)
}

#[cfg(unix)]
pub(super) fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
pub(super) fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

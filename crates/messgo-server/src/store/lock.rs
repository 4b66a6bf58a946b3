//! Who holds a SQLite database: a server keeps an exclusive `flock` on a file beside
//! it (`messgo.db` → `messgo.db.lock`) for as long as it runs, so a second server, or
//! `messgo admin` working on the database directly, finds it taken and does not
//! write behind the server's single writer. The kernel lets go of the lock when the
//! process ends, however it ends (a `kill -9` leaves no stale lock), and the file
//! itself is left in place: removing it would let two processes lock two files.

use std::fs::File;
use std::path::{Path, PathBuf};

use rustix::fs::{flock, FlockOperation};

/// The lock on one SQLite database, held until dropped.
#[derive(Debug)]
pub struct DbLock {
    _file: File,
    path: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds it: a running server (or an admin command at work).
    #[error("the database {0} is in use by a running MessGo server (it holds {0}.lock)")]
    Held(String),
    #[error("could not open the lock file {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

impl DbLock {
    /// The lock file beside `db`.
    pub fn path_for(db: &Path) -> PathBuf {
        let mut name = db.as_os_str().to_owned();
        name.push(".lock");
        PathBuf::from(name)
    }

    /// Takes the lock on `db` at once, or says who has it.
    pub fn acquire(db: &Path) -> Result<DbLock, LockError> {
        let path = Self::path_for(db);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            super::sqlite_files::create_private_dir(dir).map_err(|source| LockError::Io {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let io = |source| LockError::Io {
            path: path.display().to_string(),
            source,
        };
        let file = open_private(&path).map_err(io)?;
        match flock(&file, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => Ok(DbLock { _file: file, path }),
            Err(e) if e == rustix::io::Errno::WOULDBLOCK => {
                Err(LockError::Held(db.display().to_string()))
            }
            Err(e) => Err(io(e.into())),
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(unix)]
fn open_private(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("messgo.db");
        let first = DbLock::acquire(&db).unwrap();
        assert!(matches!(DbLock::acquire(&db), Err(LockError::Held(_))));
        drop(first);
        DbLock::acquire(&db).expect("free again once dropped");
    }
}

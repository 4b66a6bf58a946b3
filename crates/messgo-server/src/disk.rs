//! Free space on the disk that holds the data, for `/api/ready`
//! (`--ready-min-free-disk`): below the threshold the node says it is not ready, well
//! before writes start failing with `storage_full`.

use std::path::{Path, PathBuf};

use crate::config::Config;

/// The directory to watch and the least free space that is still fine.
#[derive(Debug, Clone)]
pub struct DiskCheck {
    dir: PathBuf,
    min_free: u64,
}

/// What the disk check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiskState {
    Ok,
    /// Less free space than `--ready-min-free-disk`.
    Low,
    /// Not checked: the threshold is 0, or the directory is not there to ask about
    /// (on PostgreSQL the data dir may not exist; its disk is the database server's).
    Unchecked,
}

impl DiskCheck {
    pub fn new(config: &Config) -> Self {
        DiskCheck {
            dir: data_disk_dir(config),
            min_free: config.ready_min_free_disk,
        }
    }

    /// One `statvfs` call: cheap enough for every readiness probe.
    pub fn state(&self) -> DiskState {
        if self.min_free == 0 {
            return DiskState::Unchecked;
        }
        match free_bytes(&self.dir) {
            Some(free) if free < self.min_free => DiskState::Low,
            Some(_) => DiskState::Ok,
            None => DiskState::Unchecked,
        }
    }
}

/// Bytes an unprivileged writer may still use on the file system holding `dir`.
fn free_bytes(dir: &Path) -> Option<u64> {
    let s = rustix::fs::statvfs(dir).ok()?;
    Some(s.f_bavail.saturating_mul(s.f_frsize))
}

/// The SQLite file's directory, or the data dir (on PostgreSQL, where it holds
/// nothing of the database but may hold this node's files).
fn data_disk_dir(config: &Config) -> PathBuf {
    match &config.database {
        Some(url) if url.starts_with("postgres") => config.data_dir.clone(),
        Some(path) => Path::new(path)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
        None => config.data_dir.clone(),
    }
}

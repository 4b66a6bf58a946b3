//! The log as the server uses it: shared, and called from async code. Every call
//! takes the log's lock on a blocking thread, since appends and erasures wait for
//! the disk (fdatasync) and reads are file reads. Reads share the lock (a reconnect
//! storm's catch-ups read side by side); appends and erasures hold it alone.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use uuid::Uuid;

use super::record::LogRow;
use super::store::Log;
use crate::store::{StoreError, StoreResult};

/// A message's place: chat, number, and id (which must match, so a record that a
/// rolled-back commit left under a number given again is never taken for another).
pub type Place = (Uuid, i64, Uuid);

#[derive(Clone)]
pub struct MessageLog {
    log: Arc<RwLock<Log>>,
    dir: PathBuf,
}

/// An I/O error of the log as the store's: a full disk is [`StoreError::Full`].
fn store_error(e: io::Error) -> StoreError {
    // ENOSPC and EDQUOT: out of room, or out of the user's quota.
    if matches!(e.raw_os_error(), Some(28 | 122)) {
        StoreError::Full
    } else {
        StoreError::Database(sqlx::Error::Io(e))
    }
}

impl MessageLog {
    /// Opens (or makes) the log in `dir`: reads its live buckets, cuts torn tails.
    pub async fn open(dir: &Path) -> StoreResult<MessageLog> {
        let path = dir.to_owned();
        let log = tokio::task::spawn_blocking(move || Log::open(&path))
            .await
            .map_err(|_| StoreError::Closed)?
            .map_err(store_error)?;
        Ok(MessageLog {
            log: Arc::new(RwLock::new(log)),
            dir: dir.to_owned(),
        })
    }

    /// The log's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Log) -> io::Result<T> + Send + 'static,
    ) -> StoreResult<T> {
        let log = self.log.clone();
        tokio::task::spawn_blocking(move || {
            let mut log = log
                .write()
                .map_err(|_| io::Error::other("the log's lock"))?;
            f(&mut log)
        })
        .await
        .map_err(|_| StoreError::Closed)?
        .map_err(store_error)
    }

    async fn reading<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Log) -> io::Result<T> + Send + 'static,
    ) -> StoreResult<T> {
        let log = self.log.clone();
        tokio::task::spawn_blocking(move || {
            let log = log.read().map_err(|_| io::Error::other("the log's lock"))?;
            f(&log)
        })
        .await
        .map_err(|_| StoreError::Closed)?
        .map_err(store_error)
    }

    /// Stores `rows`; durable when this returns.
    pub async fn append(&self, rows: Vec<LogRow>) -> StoreResult<()> {
        if rows.is_empty() {
            return Ok(());
        }
        self.with(move |log| log.append(&rows)).await
    }

    /// The rows at `places`, in their order (`None` where the log has no such live
    /// message).
    pub async fn read(&self, places: Vec<Place>) -> StoreResult<Vec<Option<LogRow>>> {
        if places.is_empty() {
            return Ok(Vec::new());
        }
        self.reading(move |log| {
            places
                .into_iter()
                .map(|(chat, seq, id)| {
                    Ok(log
                        .get(chat, seq)?
                        .filter(|row| row.id == id && !row.deleted))
                })
                .collect()
        })
        .await
    }

    /// Erases the messages at `places` in place; returns how many were there.
    pub async fn erase(&self, places: Vec<Place>) -> StoreResult<usize> {
        self.with(move |log| {
            let mut n = 0;
            for (chat, seq, id) in places {
                n += usize::from(log.erase(chat, seq, Some(id))?.is_some());
            }
            Ok(n)
        })
        .await
    }

    /// For each `(chat, seq)`, the chat's records numbered above `seq`, in order.
    pub async fn rows_above(&self, chats: Vec<(Uuid, i64)>) -> StoreResult<Vec<Vec<LogRow>>> {
        self.reading(move |log| {
            chats
                .into_iter()
                .map(|(chat, seq)| log.rows_above(chat, seq))
                .collect()
        })
        .await
    }

    /// Erases, for each `(chat, seq)`, the chat's records numbered above `seq`;
    /// returns how many.
    pub async fn erase_above(&self, chats: Vec<(Uuid, i64)>) -> StoreResult<usize> {
        if chats.is_empty() {
            return Ok(0);
        }
        self.with(move |log| {
            let mut n = 0;
            for (chat, seq) in chats {
                n += log.erase_chat_above(chat, seq)?;
            }
            Ok(n)
        })
        .await
    }

    /// Erases every bucket whose window has passed at `now`; returns how many
    /// messages went.
    pub async fn drop_expired(&self, now: i64) -> StoreResult<usize> {
        self.with(move |log| log.drop_expired(now)).await
    }

    /// Every chat's highest number in the log.
    pub async fn last_seqs(&self) -> StoreResult<Vec<(Uuid, i64)>> {
        self.reading(|log| Ok(log.last_seqs().collect())).await
    }

    /// Messages indexed, and live buckets.
    pub async fn size(&self) -> StoreResult<(usize, usize)> {
        self.reading(|log| Ok(log.size())).await
    }
}

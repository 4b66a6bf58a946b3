//! The SQLite store's message log (store/log/): where chat messages' sealed parts
//! are kept, beside the database file (`messgo.db` → `messgo-log/`). Two duties tie
//! it to the database:
//!
//! - a commit writes the log first, then the database: a crash between the two
//!   leaves records whose numbers the database never committed (above the chat's
//!   counter). At start they are erased in place, so an unacknowledged message
//!   leaves nothing readable and its number goes to the next message;
//! - what deletes a message before it expires leaves its place in `log_erasures`
//!   (migration 0011's triggers, in the deleting transaction itself), and
//!   [`SqliteStore::erase_from_log`] erases those records in place, as part of the
//!   erasure routine and the sweep.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use uuid::Uuid;

use super::log::MessageLog;
use super::sqlite::SqliteStore;
use super::{StoreError, StoreResult};

/// Erasures handled per round: bounds what one round reads.
const ERASE_ROUND: usize = 4096;
/// Chats per counter read.
const CHATS_CHUNK: usize = 512;

/// The log's directory beside database `main`: `messgo.db` → `messgo-log`.
pub fn log_dir(main: &Path) -> PathBuf {
    let stem = main.file_stem().unwrap_or_default().to_string_lossy();
    main.with_file_name(format!("{stem}-log"))
}

impl SqliteStore {
    /// The message log, on the main database.
    pub fn log(&self) -> Option<&MessageLog> {
        self.log.as_ref()
    }

    /// Opens the log beside the database and squares the two (see the module's
    /// comment). On a store without a writer (a full disk) the queued erasures wait
    /// for the next sweep.
    pub(super) async fn open_log(&mut self) -> StoreResult<()> {
        let log = MessageLog::open(&log_dir(self.path())).await?;
        self.log = Some(log);
        self.erase_uncommitted().await?;
        match self.erase_from_log().await {
            Err(StoreError::Full) => Ok(()),
            other => other.map(|_| ()),
        }
    }

    /// Erases the log's records numbered above their chat's counter (or of a chat
    /// the database does not have): commits that never reached the database.
    async fn erase_uncommitted(&self) -> StoreResult<()> {
        let Some(log) = &self.log else {
            return Ok(());
        };
        let in_log = log.last_seqs().await?;
        let mut committed: HashMap<Uuid, i64> = HashMap::with_capacity(in_log.len());
        for part in in_log.chunks(CHATS_CHUNK) {
            let list = vec!["?"; part.len()].join(", ");
            let sql = format!("SELECT id, seq FROM chats WHERE id IN ({list})");
            let mut q = sqlx::query_as::<_, (Uuid, i64)>(&sql);
            for (id, _) in part {
                q = q.bind(id);
            }
            let mut c = self.reader().await?;
            committed.extend(q.fetch_all(&mut *c).await?);
        }
        let above: Vec<(Uuid, i64)> = in_log
            .into_iter()
            .filter_map(|(chat, last)| {
                let seq = committed.get(&chat).copied().unwrap_or(0);
                (last > seq).then_some((chat, seq))
            })
            .collect();
        let n = log.erase_above(above).await?;
        if n > 0 {
            tracing::info!(
                records = n,
                "erased the message log's records of commits a crash cut short"
            );
        }
        Ok(())
    }

    /// Erases in the log the messages deleted since the last time, then forgets them;
    /// returns how many records were erased.
    pub async fn erase_from_log(&self) -> StoreResult<usize> {
        let Some(log) = &self.log else {
            return Ok(0);
        };
        let mut total = 0;
        loop {
            let rows: Vec<(i64, Uuid, i64, Uuid)> = {
                let mut c = self.reader().await?;
                sqlx::query_as(
                    "SELECT rowid, chat_id, seq, id FROM log_erasures ORDER BY rowid LIMIT ?",
                )
                .bind(i64::try_from(ERASE_ROUND).unwrap_or(i64::MAX))
                .fetch_all(&mut *c)
                .await?
            };
            let Some(&(last, ..)) = rows.last() else {
                break;
            };
            let round = rows.len();
            total += log
                .erase(rows.into_iter().map(|(_, c, s, i)| (c, s, i)).collect())
                .await?;
            self.write(move |c| {
                Box::pin(async move {
                    sqlx::query("DELETE FROM log_erasures WHERE rowid <= ?")
                        .bind(last)
                        .execute(&mut *c)
                        .await?;
                    Ok(())
                })
            })
            .await?;
            if round < ERASE_ROUND {
                break;
            }
        }
        Ok(total)
    }
}

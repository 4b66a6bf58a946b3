//! The SQLite store's message log (store/log/): where chat messages' sealed parts
//! are kept, beside the database file (`messgo.db` → `messgo-log/`). Two duties tie
//! it to the database:
//!
//! - an append writes the log first (and syncs it), then the database, whose commit
//!   of a group of appends does not wait for the disk (writer.rs): a crash between
//!   the two, or a power loss after it, leaves records numbered above their chat's
//!   counter. At start those that follow on are redone in the database, the rest
//!   erased in place (`redo_uncommitted`);
//! - what deletes a message before it expires leaves its place in `log_erasures`
//!   (migration 0011's triggers, in the deleting transaction itself), and
//!   [`SqliteStore::erase_from_log`] erases those records in place, as part of the
//!   erasure routine and the sweep.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use uuid::Uuid;

use sqlx::SqliteConnection;

use super::log::{LogRow, MessageLog};
use super::sqlite::SqliteStore;
use super::{StoreError, StoreResult};

/// Erasures handled per round: bounds what one round reads.
const ERASE_ROUND: usize = 4096;
/// Chats per read of their state.
const CHATS_CHUNK: usize = 512;
/// Rows per INSERT of redone appends: 7 values each.
const INSERT_CHUNK: usize = 256;

/// What the database has of a chat, to redo appends against.
struct Committed {
    seq: i64,
    epoch: i64,
    members: HashSet<Uuid>,
}

/// The rows of redone appends (their sealed parts stay in the log), and their chats'
/// counters and last activity.
async fn insert_redone(c: &mut SqliteConnection, rows: &[LogRow]) -> StoreResult<()> {
    for part in rows.chunks(INSERT_CHUNK) {
        let values = vec!["(?, ?, ?, ?, ?, 'message', ?, ?)"; part.len()].join(", ");
        let sql = format!(
            "INSERT INTO messages (chat_id, seq, id, sender, epoch, kind, created_at, expires_at) VALUES {values}"
        );
        let mut q = sqlx::query(&sql);
        for r in part {
            q = q
                .bind(r.chat_id)
                .bind(r.seq)
                .bind(r.id)
                .bind(r.sender)
                .bind(r.epoch)
                .bind(r.created_at)
                .bind(r.expires_at);
        }
        q.execute(&mut *c).await?;
    }
    let mut tops: HashMap<Uuid, (i64, i64)> = HashMap::new();
    for r in rows {
        let top = tops.entry(r.chat_id).or_insert((r.seq, r.created_at));
        *top = (top.0.max(r.seq), top.1.max(r.created_at));
    }
    for (chat, (seq, at)) in tops {
        sqlx::query(
            "UPDATE chats SET seq = MAX(seq, ?), last_activity_at = MAX(last_activity_at, ?) WHERE id = ?",
        )
        .bind(seq)
        .bind(at)
        .bind(chat)
        .execute(&mut *c)
        .await?;
    }
    Ok(())
}

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
        match self.redo_uncommitted().await {
            Err(StoreError::Full) => Ok(()),
            other => other,
        }?;
        match self.erase_from_log().await {
            Err(StoreError::Full) => Ok(()),
            other => other.map(|_| ()),
        }
    }

    /// Squares the log's records numbered above their chat's counter with the
    /// database: appends whose commit a crash took (the log was synced first) are
    /// redone, in order, as long as they follow on (the next number, by a member,
    /// in the chat's epoch); what does not follow on (a commit that never reached
    /// the database and was never acknowledged, or one a cut file took the state
    /// before of) is erased in place, its number left to the next message.
    async fn redo_uncommitted(&self) -> StoreResult<()> {
        let Some(log) = &self.log else {
            return Ok(());
        };
        let in_log = log.last_seqs().await?;
        let chats = self.committed(&in_log).await?;
        let above: Vec<(Uuid, i64)> = in_log
            .into_iter()
            .filter_map(|(chat, last)| {
                let seq = chats.get(&chat).map_or(0, |c| c.seq);
                (last > seq).then_some((chat, seq))
            })
            .collect();
        if above.is_empty() {
            return Ok(());
        }
        let records = log.rows_above(above.clone()).await?;
        let mut redo: Vec<LogRow> = Vec::new();
        let mut erase = Vec::with_capacity(above.len());
        for ((chat, seq), records) in above.into_iter().zip(records) {
            let mut next = seq + 1;
            if let Some(state) = chats.get(&chat) {
                for r in records {
                    let follows = r.seq == next
                        && !r.deleted
                        && r.epoch == state.epoch
                        && r.sender.is_some_and(|s| state.members.contains(&s));
                    if !follows {
                        break;
                    }
                    redo.push(r);
                    next += 1;
                }
            }
            erase.push((chat, next - 1));
        }
        let redone = redo.len();
        if redone > 0 {
            // Without its rows the records below stay unredone until a start that can
            // write: erase nothing then.
            self.write(move |c| Box::pin(async move { insert_redone(c, &redo).await }))
                .await?;
        }
        let erased = log.erase_above(erase).await?;
        if redone + erased > 0 {
            tracing::info!(
                redone,
                erased,
                "squared the message log with the database after a crash"
            );
        }
        Ok(())
    }

    /// The database's counter, epoch and members of each chat in `chats`.
    async fn committed(&self, chats: &[(Uuid, i64)]) -> StoreResult<HashMap<Uuid, Committed>> {
        let mut out: HashMap<Uuid, Committed> = HashMap::with_capacity(chats.len());
        let mut c = self.reader().await?;
        for part in chats.chunks(CHATS_CHUNK) {
            let list = vec!["?"; part.len()].join(", ");
            let sql = format!("SELECT id, seq, epoch FROM chats WHERE id IN ({list})");
            let mut q = sqlx::query_as::<_, (Uuid, i64, i64)>(&sql);
            for (id, _) in part {
                q = q.bind(id);
            }
            for (id, seq, epoch) in q.fetch_all(&mut *c).await? {
                let members = HashSet::new();
                out.insert(
                    id,
                    Committed {
                        seq,
                        epoch,
                        members,
                    },
                );
            }
            let sql =
                format!("SELECT chat_id, user_id FROM chat_members WHERE chat_id IN ({list})");
            let mut q = sqlx::query_as::<_, (Uuid, Uuid)>(&sql);
            for (id, _) in part {
                q = q.bind(id);
            }
            for (chat, user) in q.fetch_all(&mut *c).await? {
                if let Some(state) = out.get_mut(&chat) {
                    state.members.insert(user);
                }
            }
        }
        Ok(out)
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

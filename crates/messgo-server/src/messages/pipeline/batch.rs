//! Appending many messages in one write (SQLite).
//!
//! Under load, sends arrive faster than one fsync each could carry. The appender
//! (append.rs) hands over everything waiting at once, and this job checks
//! and stores it with a handful of statements, whatever the number of messages:
//! read the state and members of the chats it has not cached and any earlier copies
//! of the ids, decide each message in memory, then multi-row INSERTs and one UPDATE
//! of the counters.
//!
//! It relies on SQLite's single writer: the state it reads cannot change before its
//! own writes, because every write runs on that one connection. For the same reason
//! it can keep the chats' state and members from one batch to the next, for as long
//! as no other kind of write ran in between. PostgreSQL appends
//! one message per transaction instead, where the row lock on the chat's counter
//! orders concurrent writers.

use std::collections::HashMap;
use std::sync::Mutex;

use messgo_proto::UserId;
use sqlx::SqliteConnection as Conn;
use uuid::Uuid;

use super::lists::{padded, placeholders, pow2_runs};
use crate::messages::sealed;
use crate::messages::sql::{Appended, MessageRow, NewMessage, MESSAGE_COLUMNS};
use crate::refusal::Refusal;
use crate::store::log::MessageLog;
use crate::store::{StoreError, StoreResult};

/// Most rows per INSERT: 10 values each, well inside SQLite's 32,766 variables.
const INSERT_CHUNK: usize = 256;
/// Most ids per `IN (…)` list.
const LIST_CHUNK: usize = 1024;

struct ChatState {
    epoch: i64,
    rotation_required: i64,
    epoch_opened_at: i64,
    timer_secs: i64,
    seq: i64,
    members: Vec<UserId>,
}

/// Most chats the cache keeps; past that it starts over.
const MAX_CACHED_CHATS: usize = 100_000;

/// The state and members of the chats recent batches wrote to, so that a batch reads
/// only chats it has not seen. Nothing but batch appends may have written since it
/// was filled: any other write job starts a new generation of the writer
/// (store/writer.rs), and a cache of an older generation is dropped unread.
#[derive(Default)]
pub struct ChatCache {
    generation: u64,
    chats: HashMap<Uuid, ChatState>,
}

/// Stores what may be stored of `batch` (messages without attachments) and returns
/// each message's verdict in order: the same rules, codes and duplicate handling as
/// a single append. An error of the database itself fails the whole job.
/// `generation` is the writer's while this job runs. With a `log`, the messages'
/// sealed parts go there first (`messages/sealed.rs`), and the rows without them.
pub async fn append_batch(
    c: &mut Conn,
    batch: &[NewMessage],
    cache: &Mutex<ChatCache>,
    generation: u64,
    log: Option<&MessageLog>,
) -> StoreResult<Vec<StoreResult<Appended>>> {
    let (mut chats, unseen) = take_cached(batch, cache, generation);
    read_chats(c, &unseen, &mut chats).await?;
    let existing = read_existing(c, batch).await?;
    let (verdicts, active) = decide(batch, &mut chats, &existing)?;
    let new_rows: Vec<&MessageRow> = verdicts
        .iter()
        .filter_map(|v| v.as_ref().ok().filter(|a| !a.duplicate).map(|a| &a.row))
        .collect();
    let Some(log) = log else {
        insert_new(c, &new_rows, true).await?;
        update_counters(c, &chats, &active).await?;
        put_back(cache, chats);
        return Ok(verdicts);
    };
    // The log's write and fdatasync run beside the INSERTs; the job waits for them
    // before it ends, so the log is durable before the database commits.
    let rows = new_rows.iter().map(|r| sealed::log_row(r)).collect();
    let logged = tokio::spawn({
        let log = log.clone();
        async move { log.append(rows).await }
    });
    let stored = async {
        insert_new(c, &new_rows, false).await?;
        update_counters(c, &chats, &active).await
    }
    .await;
    let logged = logged.await.map_err(|_| StoreError::Closed)?;
    if let Err(e) = stored {
        if logged.is_ok() {
            // The numbers go to the next messages: their records here must not read
            // as those messages' (the log also checks ids, and the live record holds).
            let places = new_rows.iter().map(|r| sealed::place(r)).collect();
            if let Err(erasing) = log.erase(places).await {
                tracing::warn!(error = %erasing, "erasing a failed batch's records failed");
            }
        }
        return Err(e);
    }
    logged?;
    put_back(cache, chats);
    Ok(verdicts)
}

/// The cached state of the batch's chats, and the chats the cache does not have.
/// The cached chats are taken out while the job runs and go back only once all of
/// its statements succeeded: a job that fails leaves them to be read again.
fn take_cached(
    batch: &[NewMessage],
    cache: &Mutex<ChatCache>,
    generation: u64,
) -> (HashMap<Uuid, ChatState>, Vec<Uuid>) {
    let mut chat_ids: Vec<Uuid> = batch.iter().map(|m| m.chat_id.0).collect();
    chat_ids.sort_unstable();
    chat_ids.dedup();
    let mut chats: HashMap<Uuid, ChatState> = HashMap::with_capacity(chat_ids.len());
    {
        let mut cache = cache.lock().expect("chat cache lock");
        if cache.generation != generation {
            cache.chats.clear();
            cache.generation = generation;
        }
        for id in &chat_ids {
            if let Some(state) = cache.chats.remove(id) {
                chats.insert(*id, state);
            }
        }
    }
    let unseen: Vec<Uuid> = chat_ids
        .into_iter()
        .filter(|id| !chats.contains_key(id))
        .collect();
    (chats, unseen)
}

fn put_back(cache: &Mutex<ChatCache>, chats: HashMap<Uuid, ChatState>) {
    let mut cache = cache.lock().expect("chat cache lock");
    if cache.chats.len() + chats.len() > MAX_CACHED_CHATS {
        cache.chats.clear();
    }
    cache.chats.extend(chats);
}

/// Earlier copies of the batch's ids (a resend after a lost ack), looked up by the
/// unique index on `id`.
async fn read_existing(
    c: &mut Conn,
    batch: &[NewMessage],
) -> StoreResult<HashMap<Uuid, MessageRow>> {
    let mut existing: HashMap<Uuid, MessageRow> = HashMap::new();
    let mut ids: Vec<Uuid> = batch.iter().map(|m| m.id.0).collect();
    ids.sort_unstable();
    ids.dedup();
    let columns = MESSAGE_COLUMNS
        .split(", ")
        .map(|c| format!("m.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    for part in padded(&ids, LIST_CHUNK) {
        // The ids drive the loop and probe the index; SQLite may plan
        // `id IN (…)` over a large list as a scan of the table instead.
        let keys = vec!["(?)"; part.len()].join(", ");
        let sql = format!(
            "WITH k(i) AS (VALUES {keys}) SELECT {columns} FROM k CROSS JOIN messages m ON m.id = k.i"
        );
        let mut q = sqlx::query_as::<_, MessageRow>(&sql);
        for id in &part {
            q = q.bind(id);
        }
        for row in q.fetch_all(&mut *c).await? {
            existing.insert(row.id, row);
        }
    }
    Ok(existing)
}

/// Each message's verdict, in memory: the chats' state says who may send and under
/// which epoch, and takes the next sequence numbers. Also returns the chats this
/// batch adds to, with the time of their last message.
type Decided = (Vec<StoreResult<Appended>>, HashMap<Uuid, i64>);

fn decide(
    batch: &[NewMessage],
    chats: &mut HashMap<Uuid, ChatState>,
    existing: &HashMap<Uuid, MessageRow>,
) -> StoreResult<Decided> {
    let mut verdicts: Vec<StoreResult<Appended>> = Vec::with_capacity(batch.len());
    // Ids accepted earlier in this batch, by their place in `verdicts`: each row is
    // built once, there.
    let mut taken: HashMap<Uuid, usize> = HashMap::new();
    let mut active: HashMap<Uuid, i64> = HashMap::new();
    for m in batch {
        let state = chats
            .get_mut(&m.chat_id.0)
            .filter(|s| s.members.contains(&m.sender));
        let Some(state) = state else {
            verdicts.push(Err(StoreError::NotFound));
            continue;
        };
        let earlier = match taken.get(&m.id.0) {
            Some(&i) => verdicts[i].as_ref().ok().map(|a| &a.row),
            None => existing.get(&m.id.0),
        };
        if let Some(row) = earlier {
            let verdict = if m.is_resend_of(row) {
                Ok(Appended {
                    row: row.clone(),
                    duplicate: true,
                    members: Vec::new(),
                    superseded: Vec::new(),
                })
            } else {
                Err(StoreError::Rejected(Refusal::DuplicateId))
            };
            verdicts.push(verdict);
            continue;
        }
        let stale = m.is_stale(state.epoch, state.rotation_required, state.epoch_opened_at);
        if stale {
            verdicts.push(Err(StoreError::Rejected(Refusal::EpochStale)));
            continue;
        }
        if !m.blobs.is_empty() {
            return Err(StoreError::Corrupt(
                "messages with attachments take the single append".into(),
            ));
        }
        state.seq += 1;
        active.insert(m.chat_id.0, m.now);
        taken.insert(m.id.0, verdicts.len());
        verdicts.push(Ok(Appended {
            row: m.row(state.seq, state.timer_secs),
            duplicate: false,
            members: state.members.clone(),
            superseded: Vec::new(),
        }));
    }
    Ok((verdicts, active))
}

/// Multi-row INSERTs of the accepted messages, with their sealed parts if
/// `sealed_here`.
async fn insert_new(c: &mut Conn, new_rows: &[&MessageRow], sealed_here: bool) -> StoreResult<()> {
    for rows in pow2_runs(new_rows, INSERT_CHUNK) {
        let values = vec!["(?, ?, ?, ?, ?, 'message', ?, ?, ?, ?, ?)"; rows.len()].join(", ");
        // OR FAIL: a row that broke a constraint would end the statement without
        // undoing its earlier rows, which the writer's rollback of the whole job does
        // anyway. With the default (ABORT) SQLite first copies every page the
        // statement changes into a statement journal (migration 0009).
        let sql = format!(
            "INSERT OR FAIL INTO messages (chat_id, seq, id, sender, epoch, kind, nonce, ciphertext, signature, created_at, expires_at) VALUES {values}"
        );
        let mut q = sqlx::query(&sql);
        for r in rows {
            q = q
                .bind(r.chat_id)
                .bind(r.seq)
                .bind(r.id)
                .bind(r.sender)
                .bind(r.epoch)
                .bind(r.nonce.as_ref().filter(|_| sealed_here))
                .bind(r.ciphertext.as_ref().filter(|_| sealed_here))
                .bind(r.signature.as_ref().filter(|_| sealed_here))
                .bind(r.created_at)
                .bind(r.expires_at);
        }
        q.execute(&mut *c).await?;
    }
    Ok(())
}

/// One UPDATE of the counters of the chats the batch added to.
async fn update_counters(
    c: &mut Conn,
    chats: &HashMap<Uuid, ChatState>,
    active: &HashMap<Uuid, i64>,
) -> StoreResult<()> {
    let touched: Vec<(Uuid, i64, i64)> = active
        .iter()
        .map(|(id, &at)| (*id, chats[id].seq, at))
        .collect();
    for part in padded(&touched, LIST_CHUNK / 4) {
        // A join on the new values: a `CASE id WHEN … END` per column would compare
        // every chat with every other one, quadratic in the batch's chats. OR FAIL
        // for the same reason as the INSERT.
        let values = vec!["(?, ?, ?)"; part.len()].join(", ");
        let sql = format!(
            "WITH v(id, seq, at) AS (VALUES {values}) \
             UPDATE OR FAIL chats SET seq = v.seq, last_activity_at = v.at FROM v WHERE chats.id = v.id"
        );
        let mut q = sqlx::query(&sql);
        for (id, seq, at) in &part {
            q = q.bind(id).bind(seq).bind(at);
        }
        q.execute(&mut *c).await?;
    }
    Ok(())
}

/// Reads the state and members of `ids` into `chats`; a chat that does not exist is
/// left out.
async fn read_chats(
    c: &mut Conn,
    ids: &[Uuid],
    chats: &mut HashMap<Uuid, ChatState>,
) -> StoreResult<()> {
    for ids in padded(ids, LIST_CHUNK) {
        let list = placeholders(ids.len());
        let sql = format!(
            "SELECT id, epoch, rotation_required, epoch_opened_at, timer_secs, seq FROM chats WHERE id IN ({list})"
        );
        let mut q = sqlx::query_as::<_, (Uuid, i64, i64, i64, i64, i64)>(&sql);
        for id in &ids {
            q = q.bind(id);
        }
        for (id, epoch, rotation_required, epoch_opened_at, timer_secs, seq) in
            q.fetch_all(&mut *c).await?
        {
            let state = ChatState {
                epoch,
                rotation_required,
                epoch_opened_at,
                timer_secs,
                seq,
                members: Vec::new(),
            };
            chats.insert(id, state);
        }
        let sql = format!("SELECT chat_id, user_id FROM chat_members WHERE chat_id IN ({list})");
        let mut q = sqlx::query_as::<_, (Uuid, Uuid)>(&sql);
        for id in &ids {
            q = q.bind(id);
        }
        for (chat, user) in q.fetch_all(&mut *c).await? {
            if let Some(state) = chats.get_mut(&chat) {
                state.members.push(UserId(user));
            }
        }
    }
    Ok(())
}

//! The pipeline's "append" stage: sends that arrive together become one store write
//! (group commit).
//!
//! Rather than each send becoming a writer job of its own (a SAVEPOINT and half a
//! dozen statements per message), sends queue here; one task takes everything
//! waiting, appends it as one batch and, once the batch is durable, runs each
//! sender's completion with its own verdict. While one batch commits, the next one
//! gathers, so the batch grows with the load by itself.
//!
//! Completions run right here, one after another, rather than waking a task per
//! message: a commit then fans out all its messages in one pass, and each socket
//! wakes once for everything that commit brought it.
//!
//! On SQLite the batch is one job of the single writer (batch.rs), which keeps the
//! chats' state it read for the next batch; on PostgreSQL each message is its own
//! transaction, the chats side by side, each chat's messages in the batch's order.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use messgo_proto::ChatId;
use tokio::sync::mpsc;

use super::batch::{self, ChatCache};
use crate::messages::sealed;
use crate::messages::sql::{self, Appended, NewMessage};
use crate::metrics::CommitStats;
use crate::store::{Db, StoreError, StoreResult};

/// Most messages in one batch: bounds the latency one batch adds to the next.
const MAX_BATCH: usize = 1024;
const QUEUE: usize = 16 * 1024;

/// What to do with a message's verdict; it runs on the appender's task, so it must
/// not block.
pub type Completion = Box<dyn FnOnce(StoreResult<Appended>) + Send>;

type Pending = (NewMessage, Completion);

pub struct Appender {
    tx: mpsc::Sender<Pending>,
}

impl Appender {
    /// Starts the batching task; it ends when the `Appender` is dropped.
    pub fn start(db: Db, stats: CommitStats) -> Appender {
        let (tx, mut rx) = mpsc::channel::<Pending>(QUEUE);
        let cache = Arc::new(Mutex::new(ChatCache::default()));
        tokio::spawn(async move {
            let mut waiting = Vec::with_capacity(MAX_BATCH);
            while rx.recv_many(&mut waiting, MAX_BATCH).await > 0 {
                let (batch, completions): (Vec<_>, Vec<_>) = waiting.drain(..).unzip();
                let (size, started) = (batch.len(), std::time::Instant::now());
                let appended = append_batch(&db, &cache, batch).await;
                stats.jobs.observe(size as f64);
                stats.seconds.observe(started.elapsed().as_secs_f64());
                match appended {
                    Ok(verdicts) => {
                        for (done, verdict) in completions.into_iter().zip(verdicts) {
                            done(verdict);
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %e, messages = completions.len(), "a batch of messages could not be stored");
                        for done in completions {
                            done(Err(e.for_each_job()));
                        }
                    }
                }
            }
        });
        Appender { tx }
    }

    /// Queues `m` (which carries no attachments) to be stored with whatever else is
    /// waiting; `done` hears the verdict once it is durable. Waits only while the
    /// queue is full.
    pub async fn submit(&self, m: NewMessage, done: Completion) {
        if let Err(mpsc::error::SendError((_, done))) = self.tx.send((m, done)).await {
            done(Err(StoreError::Closed));
        }
    }
}

/// Appends many messages (none with attachments) and returns each one's verdict in
/// order, as a single append would have given it.
pub async fn append_batch(
    db: &Db,
    cache: &Arc<Mutex<ChatCache>>,
    batch: Vec<NewMessage>,
) -> StoreResult<Vec<StoreResult<Appended>>> {
    match db {
        Db::Sqlite(engine) => {
            let generation = engine.generation().await?;
            let cache = cache.clone();
            let log = engine.log().cloned();
            engine
                .append(move |c| {
                    Box::pin(async move {
                        // Read inside the job: no other job can start a generation
                        // until this one ends.
                        let now = generation.load(std::sync::atomic::Ordering::Relaxed);
                        batch::append_batch(c, &batch, &cache, now, log.as_ref()).await
                    })
                })
                .await
        }
        Db::Postgres(_) => Ok(append_each(db, &batch).await),
    }
}

/// Appends one message (with attachments, which it claims in the same write). On
/// SQLite its sealed parts go to the message log before the row commits.
pub async fn append_one(db: &Db, m: NewMessage) -> StoreResult<Appended> {
    match db {
        Db::Sqlite(engine) => {
            let log = engine.log().cloned();
            engine
                .write(move |c| {
                    Box::pin(async move {
                        let appended = sql::sqlite::append(c, &m, log.is_none()).await?;
                        // Reactions and edits keep their sealed parts in the row.
                        let logged = !appended.duplicate && m.kind.is_message();
                        if let (Some(log), true) = (&log, logged) {
                            log.append(vec![sealed::log_row(&appended.row)]).await?;
                        }
                        Ok(appended)
                    })
                })
                .await
        }
        Db::Postgres(_) => db_run!(db, write, sql::append(&m, true)),
    }
}

/// PostgreSQL: each message its own transaction. Chats proceed side by side;
/// within a chat, messages go one after another so they keep the batch's order.
async fn append_each(db: &Db, batch: &[NewMessage]) -> Vec<StoreResult<Appended>> {
    let mut by_chat: HashMap<ChatId, Vec<usize>> = HashMap::new();
    for (i, m) in batch.iter().enumerate() {
        by_chat.entry(m.chat_id).or_default().push(i);
    }
    let lanes = by_chat.into_values().map(|indexes| async move {
        let mut out = Vec::with_capacity(indexes.len());
        for i in indexes {
            let m = batch[i].clone();
            out.push((i, db_run!(db, write, sql::append(&m, true))));
        }
        out
    });
    let mut verdicts: Vec<Option<StoreResult<Appended>>> = batch.iter().map(|_| None).collect();
    for (i, verdict) in futures_util::future::join_all(lanes)
        .await
        .into_iter()
        .flatten()
    {
        verdicts[i] = Some(verdict);
    }
    verdicts
        .into_iter()
        .map(|v| v.unwrap_or(Err(StoreError::NotCommitted)))
        .collect()
}

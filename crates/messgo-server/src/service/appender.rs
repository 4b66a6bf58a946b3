//! Gathers sends that arrive together into one store write.
//!
//! Rather than each send becoming a writer job of its own (a SAVEPOINT and half a
//! dozen statements per message), sends queue here; one task takes everything
//! waiting, hands it to
//! [`ChatStore::append_batch`](crate::store::ChatStore::append_batch) and, once the
//! batch is durable, runs each sender's completion with its own verdict. While one
//! batch commits, the next one gathers, so the batch grows with the load by itself.
//!
//! Completions run right here, one after another, rather than waking a task per
//! message: a commit then fans out all its messages in one pass, and each socket
//! wakes once for everything that commit brought it.

use tokio::sync::{mpsc, oneshot};

use crate::store::message_ops::{Appended, NewMessage};
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
    pub fn start(db: Db) -> Appender {
        let (tx, mut rx) = mpsc::channel::<Pending>(QUEUE);
        tokio::spawn(async move {
            let mut waiting = Vec::with_capacity(MAX_BATCH);
            while rx.recv_many(&mut waiting, MAX_BATCH).await > 0 {
                let (batch, completions): (Vec<_>, Vec<_>) = waiting.drain(..).unzip();
                match db.legacy().append_batch(batch).await {
                    Ok(verdicts) => {
                        for (done, verdict) in completions.into_iter().zip(verdicts) {
                            done(verdict);
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %e, messages = completions.len(), "a batch of messages could not be stored");
                        for done in completions {
                            done(Err(StoreError::Database(sqlx::Error::WorkerCrashed)));
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

    /// Stores `m` (which carries no attachments) with whatever else is waiting.
    pub async fn append(&self, m: NewMessage) -> StoreResult<Appended> {
        let (reply, answer) = oneshot::channel();
        let done: Completion = Box::new(move |verdict| {
            // A caller that went away still has its message stored.
            let _ = reply.send(verdict);
        });
        self.submit(m, done).await;
        answer.await.map_err(|_| StoreError::Closed)?
    }
}

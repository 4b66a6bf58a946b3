//! Gathers sends that arrive together into one store write.
//!
//! Each WebSocket send is its own task waiting for its commit. Rather than each
//! becoming a writer job of its own (a SAVEPOINT and half a dozen statements per
//! message), they queue here; one task takes everything waiting, hands it to
//! [`ChatStore::append_batch`](crate::store::ChatStore::append_batch) and answers
//! each sender with its own verdict once the batch is durable. While one batch
//! commits, the next one gathers, so the batch grows with the load by itself.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::store::message_ops::{Appended, NewMessage};
use crate::store::{Store, StoreError, StoreResult};

/// Most messages in one batch: bounds the latency one batch adds to the next.
const MAX_BATCH: usize = 1024;
const QUEUE: usize = 16 * 1024;

type Pending = (NewMessage, oneshot::Sender<StoreResult<Appended>>);

pub struct Appender {
    tx: mpsc::Sender<Pending>,
}

impl Appender {
    /// Starts the batching task; it ends when the `Appender` is dropped.
    pub fn start(store: Arc<dyn Store>) -> Appender {
        let (tx, mut rx) = mpsc::channel::<Pending>(QUEUE);
        tokio::spawn(async move {
            let mut waiting = Vec::with_capacity(MAX_BATCH);
            while rx.recv_many(&mut waiting, MAX_BATCH).await > 0 {
                let (batch, replies): (Vec<_>, Vec<_>) = waiting.drain(..).unzip();
                match store.append_batch(batch).await {
                    Ok(verdicts) => {
                        for (reply, verdict) in replies.into_iter().zip(verdicts) {
                            // A sender that went away (socket closed) still has its
                            // message stored; only the answer is dropped.
                            let _ = reply.send(verdict);
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %e, messages = replies.len(), "a batch of messages could not be stored");
                        for reply in replies {
                            let _ =
                                reply.send(Err(StoreError::Database(sqlx::Error::WorkerCrashed)));
                        }
                    }
                }
            }
        });
        Appender { tx }
    }

    /// Stores `m` (which carries no attachments) with whatever else is waiting.
    pub async fn append(&self, m: NewMessage) -> StoreResult<Appended> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send((m, reply))
            .await
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }
}

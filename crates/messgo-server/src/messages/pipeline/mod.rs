//! One message's way through the server, in the order it takes:
//!
//! 1. **accept** ([`Pipeline::accept`]): the one entry for a send, from a socket
//!    or REST. Decides here, once, how the message is appended: without
//!    attachments it joins the group commit; with attachments it is appended alone,
//!    claiming them in the same write.
//! 2. **check** ([`Pipeline::check`]): the rules that need no store (sizes, the
//!    attachments list, the sender's rate), and the row it becomes; the order stage
//!    reads the chat's next sequence number here if it does not know it yet.
//! 3. **append** (append.rs, batch.rs): group commit. Sends that arrive together
//!    become one durable write; membership, epoch and id are checked in that write
//!    (`messages/sql.rs` `append` for one message, `batch.rs` for a batch: a new
//!    send rule goes in both).
//! 4. **ack** ([`ack_and_publish`]): the stored message's sequence number and
//!    expiry; a resend of the same id gets the original's. It runs on the appender's
//!    task (on a task of its own for a message with attachments).
//! 5. **order** (order.rs): each chat's messages go out in sequence order; system
//!    messages (chats/) and messages with attachments commit apart from the batches
//!    and join the same order here.
//! 6. **fan out** (the bus): every open session of every member gets the frame; the
//!    socket the message came over gets its ack in the message's place.
//!
//! A store that is gone or a commit that failed reaches the sender as a typed
//! error ([`StoreError::Closed`], [`StoreError::NotCommitted`]), never as silence.

mod append;
mod batch;
mod lists;
pub mod order;

use std::sync::Arc;

use messgo_proto::{
    Ack, ChatId, MessageId, SendMessage, ServerEvent, UserId, MAX_BLOBS_PER_MESSAGE,
};
use tokio::sync::oneshot;

pub use append::append_batch;
use append::{Appender, Completion};
pub use batch::ChatCache;
pub use order::{flush_stale_holds, take_shared, Sequencer};

use super::{check_sealed, message_of, sql, targets, MAX_RETENTION_MS};
use crate::bus::{notify, step_frame, Bus, Origin, SocketId, Step};
use crate::clock::Clock;
use crate::erasure::Erasure;
use crate::metrics::{Metrics, Refused};
use crate::ratelimit::RateLimiter;
use crate::service::{rule, ServiceError, ServiceResult};
use crate::sessions::AuthContext;
use crate::store::{Db, StoreError};
use prometheus_client::metrics::counter::Counter;

/// A stored message's ack, and whether it already went out in the message's place
/// to the socket the message came from (which then needs no other answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    pub ack: Ack,
    pub on_socket: bool,
}

/// Hears a send's outcome once it is durable and fanned out (or refused). Runs on
/// the pipeline's task: it must not block.
pub type Done = Box<dyn FnOnce(ServiceResult<Sent>) + Send>;

pub struct Pipeline {
    db: Db,
    clock: Arc<dyn Clock>,
    send_limit: RateLimiter,
    retention_ms: i64,
    appender: Appender,
    pub order: Arc<Sequencer>,
    bus: Arc<dyn Bus>,
    erasure: Erasure,
    /// Messages stored, for the metrics.
    accepted: Counter,
}

impl Pipeline {
    /// Starts the group-commit task; it ends when the pipeline is dropped. The
    /// order stage's timer is [`flush_stale_holds`], run beside the server.
    pub fn start(
        db: Db,
        bus: Arc<dyn Bus>,
        clock: Arc<dyn Clock>,
        sends_per_minute: u32,
        retention_ms: i64,
        metrics: &Metrics,
        erasure: Erasure,
    ) -> Pipeline {
        let order = Arc::new(Sequencer::new(bus.clone(), clock.clone()));
        take_shared(&*bus, order.clone());
        Pipeline {
            send_limit: RateLimiter::new(sends_per_minute, 60_000, clock.clone())
                .counting(metrics, Refused::Messages),
            order,
            appender: Appender::start(db.clone(), metrics.message_batch.clone()),
            accepted: metrics.accepted.clone(),
            bus: bus.clone(),
            erasure,
            retention_ms,
            clock,
            db,
        }
    }

    /// The latest a message written now may live; the chat's timer may shorten it.
    pub fn expiry(&self, now: i64) -> i64 {
        now + self.retention_ms.min(MAX_RETENTION_MS)
    }

    /// Takes one send. Returns once it is queued (or refused): `done` hears the ack
    /// or the error once the message is durable and fanned out, so a socket keeps
    /// many sends in flight without a task for each. The socket `origin` names (the
    /// one the message came over, if any) gets the ack in the message's place.
    pub async fn accept(
        &self,
        who: AuthContext,
        m: SendMessage,
        origin: Option<SocketId>,
        done: Done,
    ) {
        let new = match self.check(who, m).await {
            Ok(new) => new,
            Err(e) => return done(Err(e)),
        };
        let (order, accepted) = (self.order.clone(), self.accepted.clone());
        let completion: Completion = Box::new(move |verdict| {
            if verdict.as_ref().is_ok_and(|a| !a.duplicate) {
                accepted.inc();
            }
            done(
                verdict
                    .map(|a| ack_and_publish(&order, a, who.user_id, origin))
                    .map_err(rule),
            )
        });
        if new.blobs.is_empty() && new.kind.is_message() {
            self.appender.submit(new, completion).await;
        } else {
            // Attachments are claimed in the same write, and a reaction's or an
            // edit's target checked (and an edit's superseded parts erased) in it,
            // one message at a time; off the caller's task, so a socket's other
            // sends are not held up.
            let (db, bus, erasure) = (self.db.clone(), self.bus.clone(), self.erasure.clone());
            tokio::spawn(async move {
                let appended = append::append_one(&db, new).await;
                let edited = appended
                    .as_ref()
                    .ok()
                    .filter(|a| !a.duplicate && a.row.kind == "edit")
                    .map(|a| {
                        (
                            ChatId(a.row.chat_id),
                            a.members.clone(),
                            a.superseded.clone(),
                        )
                    });
                completion(appended);
                if let Some((chat_id, members, superseded)) = edited {
                    for seq in superseded {
                        notify(
                            &*bus,
                            members.clone(),
                            &ServerEvent::MessageDeleted { chat_id, seq },
                        );
                    }
                    // The target's old content and the previous edit leave the files.
                    erasure.erase("a message edited").await;
                }
            });
        }
    }

    /// Like [`accept`](Self::accept), waiting for the outcome; a resend of the same
    /// id is acknowledged with the same sequence number and not delivered twice.
    pub async fn send(
        &self,
        who: AuthContext,
        m: SendMessage,
        origin: Option<SocketId>,
    ) -> ServiceResult<Sent> {
        let (reply, outcome) = oneshot::channel();
        let done: Done = Box::new(move |sent| {
            // A caller that went away still has its message stored.
            let _ = reply.send(sent);
        });
        self.accept(who, m, origin, done).await;
        outcome
            .await
            .map_err(|_| ServiceError::Store(StoreError::Closed))?
    }

    /// Checks a send against the rules that need no store and readies its row.
    async fn check(&self, who: AuthContext, m: SendMessage) -> ServiceResult<sql::NewMessage> {
        check_sealed(&m.nonce.0, &m.signature.0, &m.ciphertext.0)?;
        if let Some((field, problem)) = targets::shape_problem(m.kind, m.target, m.blobs.len()) {
            return Err(ServiceError::InvalidField { field, problem });
        }
        let mut unique = m.blobs.clone();
        unique.sort();
        unique.dedup();
        if m.blobs.len() > MAX_BLOBS_PER_MESSAGE || unique.len() != m.blobs.len() {
            return Err(ServiceError::InvalidField {
                field: "blobs",
                problem: "must be at most 20 distinct ids",
            });
        }
        self.send_limit
            .hit(&who.user_id.to_string())
            .map_err(ServiceError::RateLimited)?;
        let now = self.clock.now_ms();
        self.order.track(&self.db, who.user_id, m.chat_id).await;
        Ok(sql::NewMessage {
            chat_id: m.chat_id,
            id: m.id,
            sender: who.user_id,
            epoch: m.epoch,
            nonce: m.nonce.0,
            ciphertext: m.ciphertext.0,
            signature: m.signature.0,
            now,
            expires_at: self.expiry(now),
            blobs: m.blobs,
            kind: m.kind,
            target: m.target,
        })
    }
}

/// Acks a newly stored message and publishes it in its place in the chat's order (a
/// resend was delivered the first time). The socket it came from gets its ack there
/// instead of the message it already has: half the bytes, and no frame it would
/// only drop.
fn ack_and_publish(
    order: &Sequencer,
    appended: sql::Appended,
    sender: UserId,
    origin: Option<SocketId>,
) -> Sent {
    let row = appended.row;
    let ack = Ack {
        chat_id: ChatId(row.chat_id),
        id: MessageId(row.id),
        seq: row.seq,
        created_at: row.created_at,
        expires_at: row.expires_at,
    };
    if appended.duplicate {
        return Sent {
            ack,
            on_socket: false,
        };
    }
    let step = Step {
        chat: ack.chat_id,
        seq: ack.seq,
        ack: false,
    };
    let from = origin.map(|socket| {
        let origin = Origin {
            socket,
            frame: step_frame(&ServerEvent::Ack(ack), Step { ack: true, ..step }),
        };
        (sender, origin)
    });
    let on_socket = from.is_some();
    let frame = step_frame(
        &ServerEvent::Message {
            message: message_of(row),
        },
        step,
    );
    order.publish(ack.chat_id, ack.seq, appended.members, frame, from);
    Sent { ack, on_socket }
}

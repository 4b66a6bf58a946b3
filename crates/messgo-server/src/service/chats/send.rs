//! Sending a message: the rules that need no store, the durable append, and the
//! fan-out in the chat's order, where the socket a message came over gets its ack in
//! the message's place.

use messgo_proto::{
    Ack, ChatId, MessageId, SendMessage, ServerEvent, UserId, MAX_BLOBS_PER_MESSAGE,
};

use super::{check_sealed, frame, message_of, rule, Chats};
use crate::bus::{Origin, SocketId};
use crate::service::appender::Completion;
use crate::service::sequencer::{SentFrom, Sequencer};
use crate::service::{AuthContext, ServiceError, ServiceResult};
use crate::store::message_ops::{Appended, NewMessage};

impl Chats {
    /// Stores and fans out one message; a resend of the same id is acknowledged with
    /// the same sequence number and not delivered twice. The socket `origin` names
    /// (the one the message came over, if any) gets the ack in the message's place.
    pub async fn send(
        &self,
        who: AuthContext,
        m: SendMessage,
        origin: Option<SocketId>,
    ) -> ServiceResult<Sent> {
        let new = self.prepare(who, m).await?;
        let appended = if new.blobs.is_empty() {
            self.appender.append(new).await
        } else {
            // Attachments are claimed in the same write, one message at a time.
            self.db.legacy().append(&new).await
        };
        appended
            .map(|a| fan_out(&self.sequencer, a, who.user_id, origin))
            .map_err(rule)
    }

    /// Like [`send`](Self::send) for a message without attachments, but returns as
    /// soon as the message is queued: `done` hears the ack or the error once it is
    /// durable and fanned out. A socket keeps many sends in flight this way without
    /// a task for each.
    pub async fn submit(
        &self,
        who: AuthContext,
        m: SendMessage,
        origin: Option<SocketId>,
        done: Box<dyn FnOnce(ServiceResult<Sent>) + Send>,
    ) {
        let new = match self.prepare(who, m).await {
            Ok(new) if new.blobs.is_empty() => new,
            Ok(_) => {
                return done(Err(ServiceError::InvalidField {
                    field: "blobs",
                    problem: "attachments go through send",
                }))
            }
            Err(e) => return done(Err(e)),
        };
        let sequencer = self.sequencer.clone();
        let completion: Completion = Box::new(move |verdict| {
            done(
                verdict
                    .map(|a| fan_out(&sequencer, a, who.user_id, origin))
                    .map_err(rule),
            )
        });
        self.appender.submit(new, completion).await;
    }

    /// Checks a send against the rules that need no store and readies its row.
    async fn prepare(&self, who: AuthContext, m: SendMessage) -> ServiceResult<NewMessage> {
        check_sealed(&m.nonce.0, &m.signature.0, &m.ciphertext.0)?;
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
        self.track(who.user_id, m.chat_id).await;
        Ok(NewMessage {
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
        })
    }
}

/// A stored message's ack, and whether it already went out in the message's place
/// to the socket the message came from (which then needs no other answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    pub ack: Ack,
    pub on_socket: bool,
}

/// Publishes a newly stored message in its place in the chat's order (a resend was
/// delivered the first time). The socket it came from gets its ack there instead of
/// the message it already has: half the bytes, and no frame it would only drop.
fn fan_out(
    sequencer: &Sequencer,
    appended: Appended,
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
    let from: Option<SentFrom> = origin.map(|socket| {
        let origin = Origin {
            socket,
            frame: frame(&ServerEvent::Ack(ack)),
        };
        (sender, origin)
    });
    let on_socket = from.is_some();
    let frame = frame(&ServerEvent::Message {
        message: message_of(row),
    });
    sequencer.publish(ack.chat_id, ack.seq, appended.members, frame, from);
    Sent { ack, on_socket }
}

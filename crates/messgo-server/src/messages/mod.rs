//! Messages: sending ([`Pipeline`], in `pipeline/`), history pages, resuming after
//! a reconnect, and deleting one's own. The server stores and relays ciphertext it cannot read.

pub mod pipeline;
pub mod sql;

use std::sync::Arc;

use messgo_proto::{
    ChatId, Message, MessageId, MessageKind, ResumePoints, ServerEvent, SystemEvent, UserId,
    MAX_CIPHERTEXT,
};

pub use pipeline::{Done, Pipeline, Sent};
pub use sql::{MessageRow, Page};

use crate::bus::{notify, Bus};
use crate::chats::sql as chat_sql;
use crate::clock::Clock;
use crate::erasure::erase;
use crate::ratelimit::RateLimiter;
use crate::service::{rule, ServiceError, ServiceResult};
use crate::sessions::AuthContext;
use crate::store::{Db, StoreError};

/// Conversation data lives at most this long on the server.
pub const MAX_RETENTION_MS: i64 = 72 * 3_600_000;
/// Most chats one resume frame may name.
const MAX_RESUME_CHATS: usize = 1_000;
/// Most messages one resume sends per chat; clients page the rest over REST.
const RESUME_LIMIT: i64 = 500;
pub const PAGE_MAX: i64 = 200;

pub struct Messages {
    db: Db,
    bus: Arc<dyn Bus>,
    clock: Arc<dyn Clock>,
    resume_limit: RateLimiter,
}

impl Messages {
    pub fn new(db: Db, bus: Arc<dyn Bus>, clock: Arc<dyn Clock>) -> Self {
        Messages {
            resume_limit: RateLimiter::new(60, 60_000, clock.clone()),
            db,
            bus,
            clock,
        }
    }

    pub async fn history(
        &self,
        who: AuthContext,
        chat: ChatId,
        page: Page,
        limit: i64,
    ) -> ServiceResult<Vec<Message>> {
        let now = self.clock.now_ms();
        let limit = limit.clamp(1, PAGE_MAX);
        let rows = db_run!(
            self.db,
            read,
            sql::messages(chat, who.user_id, page, limit, now)
        )
        .map_err(rule)?;
        Ok(rows.into_iter().map(message_of).collect())
    }

    /// Everything after each given point, oldest first, per chat; chats the user is
    /// no longer in are skipped.
    pub async fn resume(
        &self,
        who: AuthContext,
        points: ResumePoints,
    ) -> ServiceResult<Vec<Message>> {
        // A resume reads a lot; a client has no reason to ask often or for more chats
        // than it can be in.
        if points.len() > MAX_RESUME_CHATS {
            return Err(ServiceError::InvalidField {
                field: "chats",
                problem: "may name at most 1000 chats",
            });
        }
        self.resume_limit
            .hit(&who.user_id.to_string())
            .map_err(ServiceError::RateLimited)?;
        let now = self.clock.now_ms();
        let mut out = Vec::new();
        for (chat, after) in points {
            let page = Page::After(after);
            match db_run!(
                self.db,
                read,
                sql::messages(chat, who.user_id, page, RESUME_LIMIT, now)
            ) {
                Ok(rows) => out.extend(rows.into_iter().map(message_of)),
                Err(StoreError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(out)
    }

    pub async fn delete_message(
        &self,
        who: AuthContext,
        chat: ChatId,
        id: MessageId,
    ) -> ServiceResult<()> {
        let seq =
            db_run!(self.db, write, sql::delete_message(chat, who.user_id, id)).map_err(rule)?;
        let members = db_run!(self.db, read, chat_sql::member_ids(chat))?;
        notify(
            &*self.bus,
            members,
            &ServerEvent::MessageDeleted { chat_id: chat, seq },
        );
        // "Deleted" means gone from the file and the WAL too, not just unlisted.
        erase(&self.db, "a message deleted for everyone").await;
        Ok(())
    }
}

pub fn message_of(r: MessageRow) -> Message {
    Message {
        chat_id: ChatId(r.chat_id),
        seq: r.seq,
        id: MessageId(r.id),
        sender: r.sender.map(UserId),
        // Written from a u32; anything else is corruption, shown as an epoch no key
        // opens rather than failing the whole page.
        epoch: u32::try_from(r.epoch).unwrap_or(u32::MAX),
        kind: if r.kind == "system" {
            MessageKind::System
        } else {
            MessageKind::Message
        },
        nonce: r.nonce.map(Into::into),
        ciphertext: r.ciphertext.map(Into::into),
        signature: r.signature.map(Into::into),
        system: r
            .system
            .and_then(|s| serde_json::from_str::<SystemEvent>(&s).ok()),
        created_at: r.created_at,
        expires_at: r.expires_at,
        deleted: r.deleted != 0,
    }
}

/// The shape every sealed payload (message, chat meta) must have.
pub(crate) fn check_sealed(nonce: &[u8], signature: &[u8], ciphertext: &[u8]) -> ServiceResult<()> {
    if nonce.len() != 12 {
        return Err(ServiceError::InvalidField {
            field: "nonce",
            problem: "must be 12 bytes",
        });
    }
    if signature.len() != 64 {
        return Err(ServiceError::InvalidField {
            field: "signature",
            problem: "must be 64 bytes",
        });
    }
    if ciphertext.len() < 16 {
        return Err(ServiceError::InvalidField {
            field: "ciphertext",
            problem: "is too short to be AES-GCM output",
        });
    }
    if ciphertext.len() > MAX_CIPHERTEXT {
        return Err(ServiceError::TooLarge("ciphertext"));
    }
    Ok(())
}

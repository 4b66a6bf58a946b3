//! Messages: sending ([`Pipeline`], in `pipeline/`), history pages, each socket's
//! place in each chat ([`feed`]: in order, once, caught up from the database after a
//! reconnect or a gap), and deleting one's own. The server stores and relays ciphertext it cannot read.

pub mod feed;
pub mod pipeline;
pub mod sealed;
pub mod sql;
pub mod targets;

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
use crate::erasure::Erasure;
use crate::ratelimit::RateLimiter;
use crate::service::{rule, ServiceError, ServiceResult};
use crate::sessions::AuthContext;
use crate::store::{Db, StoreError};

/// Conversation data lives at most this long on the server.
pub const MAX_RETENTION_MS: i64 = 72 * 3_600_000;
/// Most chats one resume frame may name.
const MAX_RESUME_CHATS: usize = 1_000;
/// Messages a socket reads at a time while a chat catches up (`feed.rs`)...
const CATCH_UP_PAGE: i64 = 64;
/// ...and how many bytes of ciphertext of them it keeps to write: a page is held
/// until the socket has written it, so a socket that resumes a chat of large
/// messages and then reads nothing holds about this much, not 64 messages of 64 KiB.
const CATCH_UP_BYTES: usize = 128 * 1024;
pub const PAGE_MAX: i64 = 200;

/// How many of `rows`, from the first, fit in `budget` bytes of ciphertext (the
/// first always does, so a page always moves on).
fn fits(rows: &[MessageRow], budget: usize) -> usize {
    let mut total = 0usize;
    let mut n = 0;
    for row in rows {
        total = total.saturating_add(row.ciphertext.as_ref().map_or(0, Vec::len));
        if n > 0 && total > budget {
            break;
        }
        n += 1;
    }
    n
}

pub struct Messages {
    db: Db,
    bus: Arc<dyn Bus>,
    clock: Arc<dyn Clock>,
    resume_limit: RateLimiter,
    erasure: Erasure,
}

impl Messages {
    pub fn new(db: Db, bus: Arc<dyn Bus>, clock: Arc<dyn Clock>, erasure: Erasure) -> Self {
        Messages {
            erasure,
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
        let rows = sealed::fill(&self.db, rows).await?;
        Ok(rows.into_iter().map(message_of).collect())
    }

    /// Whether `who` may resume from `points` now: a resume reads a lot, and a
    /// client has no reason to ask often or for more chats than it can be in. The
    /// socket then reads each chat's missing messages with [`catch_up`](Self::catch_up).
    pub fn may_resume(&self, who: AuthContext, points: &ResumePoints) -> ServiceResult<()> {
        if points.len() > MAX_RESUME_CHATS {
            return Err(ServiceError::InvalidField {
                field: "chats",
                problem: "may name at most 1000 chats",
            });
        }
        if points.is_empty() {
            // Reads nothing: a client that has nothing to resume says so on every
            // reconnect.
            return Ok(());
        }
        self.resume_limit
            .hit(&who.user_id.to_string())
            .map_err(ServiceError::RateLimited)
    }

    /// A page of `chat` after `after`, oldest first, for a socket catching up, and
    /// whether it is full (more may follow); `None` if `who` is not in the chat.
    pub async fn catch_up(
        &self,
        who: AuthContext,
        chat: ChatId,
        after: i64,
    ) -> ServiceResult<Option<(Vec<Message>, bool)>> {
        let now = self.clock.now_ms();
        let page = Page::After(after);
        match db_run!(
            self.db,
            read,
            sql::messages(chat, who.user_id, page, CATCH_UP_PAGE, now)
        ) {
            Ok(rows) => {
                let mut rows = sealed::fill(&self.db, rows).await?;
                let read = rows.len();
                rows.truncate(fits(&rows, CATCH_UP_BYTES));
                // Cut short by bytes or by count: more may follow.
                let full = rows.len() < read || i64::try_from(read) == Ok(CATCH_UP_PAGE);
                Ok(Some((rows.into_iter().map(message_of).collect(), full)))
            }
            Err(StoreError::NotFound) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn delete_message(
        &self,
        who: AuthContext,
        chat: ChatId,
        id: MessageId,
    ) -> ServiceResult<()> {
        let (seq, dependents) =
            db_run!(self.db, write, sql::delete_message(chat, who.user_id, id)).map_err(rule)?;
        let members = db_run!(self.db, read, chat_sql::member_ids(chat))?;
        for seq in std::iter::once(seq).chain(dependents) {
            notify(
                &*self.bus,
                members.clone(),
                &ServerEvent::MessageDeleted { chat_id: chat, seq },
            );
        }
        // "Deleted" means gone from the file and the WAL too, not just unlisted.
        self.erasure.erase("a message deleted for everyone").await;
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
        kind: match r.kind.as_str() {
            "system" => MessageKind::System,
            "reaction" => MessageKind::Reaction,
            "edit" => MessageKind::Edit,
            _ => MessageKind::Message,
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
        target: r.target.map(MessageId),
        edited: r.edited != 0,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn row(bytes: usize) -> MessageRow {
        MessageRow {
            chat_id: uuid::Uuid::nil(),
            seq: 1,
            id: uuid::Uuid::nil(),
            sender: None,
            epoch: 1,
            kind: "message".into(),
            nonce: None,
            ciphertext: Some(vec![0; bytes]),
            signature: None,
            system: None,
            created_at: 0,
            expires_at: 0,
            deleted: 0,
            target: None,
            edited: 0,
        }
    }

    #[test]
    fn a_catch_up_page_keeps_what_fits_in_its_bytes_and_always_one() {
        let large: Vec<MessageRow> = (0..64).map(|_| row(60 * 1024)).collect();
        assert_eq!(
            fits(&large, CATCH_UP_BYTES),
            2,
            "2 × 60 KiB fit in 128 KiB, 3 do not"
        );
        let small: Vec<MessageRow> = (0..64).map(|_| row(300)).collect();
        assert_eq!(
            fits(&small, CATCH_UP_BYTES),
            64,
            "a page of small ones is whole"
        );
        assert_eq!(
            fits(&[row(1 << 20)], CATCH_UP_BYTES),
            1,
            "one over the budget still moves on"
        );
        assert_eq!(fits(&[], CATCH_UP_BYTES), 0);
    }
}

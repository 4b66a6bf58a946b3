//! Chats and messages: membership, epochs, ordering and fan-out. The server checks
//! who may do what and under which epoch; it never sees a key or a plaintext.

use std::collections::HashMap;
use std::sync::Arc;

use messgo_proto::{
    Chat, ChatId, ChatKind, ChatMember, EpochKey, EpochOpened, Message, MessageId, MessageKind,
    OpenEpoch, ResumePoints, Role, Sealed, ServerEvent, SystemEvent, UserId, MAX_CIPHERTEXT,
};

use super::appender::Appender;
use super::sequencer::Sequencer;
use super::{AuthContext, ServiceError, ServiceResult};
use crate::bus::{notify, Bus};
use crate::clock::Clock;
use crate::ratelimit::RateLimiter;
use crate::store::chat_ops::{ChatRow, MemberRow};
use crate::store::message_ops::{MessageRow, Page};
use crate::store::{Db, StoreError, StoreResult};
use futures_util::future::BoxFuture;

mod blobs;
mod expiry;
mod presence;
mod send;
pub use send::Sent;

/// Conversation data lives at most this long on the server.
pub const MAX_RETENTION_MS: i64 = 72 * 3_600_000;
/// Most chats one resume frame may name.
const MAX_RESUME_CHATS: usize = 1_000;
/// Most messages one resume sends per chat; clients page the rest over REST.
const RESUME_LIMIT: i64 = 500;
pub const PAGE_MAX: i64 = 200;

pub struct Chats {
    db: Db,
    bus: Arc<dyn Bus>,
    clock: Arc<dyn Clock>,
    send_limit: RateLimiter,
    typing_limit: RateLimiter,
    resume_limit: RateLimiter,
    retention_ms: i64,
    pub sequencer: Arc<Sequencer>,
    appender: Appender,
}

fn rule(e: StoreError) -> ServiceError {
    match e {
        StoreError::NotFound => ServiceError::NotFound,
        StoreError::Rejected(code) => ServiceError::Rule(code),
        e => e.into(),
    }
}

fn chat_of(row: ChatRow, members: Vec<MemberRow>) -> ServiceResult<Chat> {
    let meta = match row.meta {
        Some(text) => Some(
            serde_json::from_str::<Sealed>(&text)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        ),
        None => None,
    };
    Ok(Chat {
        id: ChatId(row.id),
        kind: match row.kind.as_str() {
            "group" => ChatKind::Group,
            "assistant" => ChatKind::Assistant,
            _ => ChatKind::Direct,
        },
        members: members
            .into_iter()
            .map(|m| ChatMember {
                user_id: UserId(m.user_id),
                username: m.username,
                role: if m.role == "admin" {
                    Role::Admin
                } else {
                    Role::Member
                },
                joined_at: m.joined_at,
                x25519_public: m.x25519_public.into(),
                ed25519_public: m.ed25519_public.into(),
            })
            .collect(),
        epoch: row.epoch as u32,
        epoch_opened_at: row.epoch_opened_at,
        rotation_required: row.rotation_required != 0,
        seq: row.seq,
        meta,
        created_at: row.created_at,
        last_activity_at: row.last_activity_at,
        last_read_seq: row.last_read_seq,
        unread: row.unread,
        timer_secs: row.timer_secs,
    })
}

pub fn message_of(r: MessageRow) -> Message {
    Message {
        chat_id: ChatId(r.chat_id),
        seq: r.seq,
        id: MessageId(r.id),
        sender: r.sender.map(UserId),
        epoch: r.epoch as u32,
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

impl Chats {
    pub fn new(
        db: Db,
        bus: Arc<dyn Bus>,
        clock: Arc<dyn Clock>,
        sends_per_minute: u32,
        retention_ms: i64,
    ) -> Self {
        Chats {
            retention_ms,
            send_limit: RateLimiter::new(sends_per_minute, 60_000, clock.clone()),
            typing_limit: RateLimiter::new(30, 60_000, clock.clone()),
            resume_limit: RateLimiter::new(60, 60_000, clock.clone()),
            sequencer: Arc::new(Sequencer::new(bus.clone(), clock.clone())),
            appender: Appender::start(db.clone()),
            db,
            bus,
            clock,
        }
    }

    /// The latest a message written now may live; the chat's timer may shorten it.
    fn expiry(&self, now: i64) -> i64 {
        now + self.retention_ms.min(MAX_RETENTION_MS)
    }

    pub async fn list(&self, who: AuthContext) -> ServiceResult<Vec<Chat>> {
        let rows = self.db.legacy().chats_of(who.user_id).await?;
        let mut members: HashMap<uuid::Uuid, Vec<MemberRow>> = HashMap::new();
        for m in self.db.legacy().members_for(who.user_id, None).await? {
            members.entry(m.chat_id).or_default().push(m);
        }
        rows.into_iter()
            .map(|r| {
                let m = members.remove(&r.id).unwrap_or_default();
                chat_of(r, m)
            })
            .collect()
    }

    /// The chat as `viewer` (a member) sees it.
    pub async fn get(&self, viewer: UserId, chat: ChatId) -> ServiceResult<Chat> {
        let row = self
            .db
            .legacy()
            .chat_for(viewer, chat)
            .await
            .map_err(rule)?;
        let members = self.db.legacy().members_for(viewer, Some(chat)).await?;
        chat_of(row, members)
    }

    /// Makes sure the sequencer knows where the chat stands before a write takes the
    /// next sequence number.
    async fn track(&self, who: UserId, chat: ChatId) {
        if !self.sequencer.tracks(chat) {
            if let Ok(row) = self.db.legacy().chat_for(who, chat).await {
                self.sequencer.start(chat, row.seq + 1);
            }
        }
    }

    /// Tells every member the chat's new state, and publishes the system message (if
    /// any) in its place in the chat's order.
    async fn announce(&self, chat: ChatId, system: Option<MessageRow>) -> ServiceResult<()> {
        let seq = system.as_ref().map(|r| r.seq);
        let members = match self.db.legacy().member_ids(chat).await {
            Ok(m) => m,
            Err(e) => {
                if let Some(seq) = seq {
                    self.sequencer.skip(chat, seq);
                }
                return Err(e.into());
            }
        };
        if let Some(row) = system {
            let frame = frame(&ServerEvent::Message {
                message: message_of(row),
            });
            self.sequencer
                .publish(chat, seq.expect("system row"), members.clone(), frame, None);
        }
        // Each member gets their own view: read position and unread count are theirs.
        for member in members {
            let view = self.get(member, chat).await?;
            notify(
                &*self.bus,
                [member],
                &ServerEvent::ChatUpdated { chat: view },
            );
        }
        Ok(())
    }

    pub async fn create_group(
        &self,
        who: AuthContext,
        members: Vec<UserId>,
    ) -> ServiceResult<Chat> {
        let mut members = members;
        members.sort();
        members.dedup();
        let now = self.clock.now_ms();
        let chat = ChatId::random();
        self.sequencer.start(chat, 1);
        let system = self
            .db
            .legacy()
            .create_group(chat, who.user_id, &members, now, self.expiry(now))
            .await
            .map_err(rule)?;
        self.announce(chat, Some(system)).await?;
        self.get(who.user_id, chat).await
    }

    pub async fn open_epoch(
        &self,
        who: AuthContext,
        chat: ChatId,
        req: OpenEpoch,
    ) -> ServiceResult<EpochOpened> {
        let mut keys = Vec::with_capacity(req.keys.len());
        for k in req.keys {
            if k.wrapped.len() != 80 {
                return Err(ServiceError::InvalidField {
                    field: "keys",
                    problem: "must hold 80-byte wrapped keys",
                });
            }
            keys.push((k.user_id, k.wrapped.0));
        }
        let meta = match req.meta {
            Some(m) => {
                check_sealed(&m.nonce.0, &m.signature.0, &m.ciphertext.0)?;
                if m.epoch != req.epoch || m.sender != who.user_id {
                    return Err(ServiceError::InvalidField {
                        field: "meta",
                        problem: "must be sealed by you under the new epoch",
                    });
                }
                Some(serde_json::to_string(&m).expect("Sealed serializes"))
            }
            None => None,
        };
        let now = self.clock.now_ms();
        self.db
            .legacy()
            .open_epoch(chat, who.user_id, req.epoch, &keys, meta, now)
            .await
            .map_err(rule)?;
        for (user, wrapped) in keys {
            let event = ServerEvent::EpochOpened {
                chat_id: chat,
                epoch: req.epoch,
                wrapped: wrapped.into(),
            };
            notify(&*self.bus, [user], &event);
        }
        self.announce(chat, None).await?;
        Ok(EpochOpened { epoch: req.epoch })
    }

    pub async fn epoch_key(
        &self,
        who: AuthContext,
        chat: ChatId,
        epoch: u32,
    ) -> ServiceResult<EpochKey> {
        self.db
            .legacy()
            .chat_for(who.user_id, chat)
            .await
            .map_err(rule)?;
        let (wrapped, by, at) = self
            .db
            .legacy()
            .epoch_key(chat, who.user_id, epoch)
            .await
            .map_err(rule)?;
        Ok(EpochKey {
            epoch,
            wrapped: wrapped.into(),
            opened_by: UserId(by),
            opened_at: at,
        })
    }

    /// The shape of every change that writes a system message: make sure the
    /// sequencer knows the chat, run the store's rule-checked write at `now` with
    /// the latest expiry allowed, then announce the change and its system message.
    async fn system_change<F>(
        &self,
        who: AuthContext,
        chat: ChatId,
        write: F,
    ) -> ServiceResult<Option<MessageRow>>
    where
        F: for<'a> FnOnce(
            &'a dyn crate::store::Store,
            i64,
            i64,
        ) -> BoxFuture<'a, StoreResult<Option<MessageRow>>>,
    {
        self.track(who.user_id, chat).await;
        let now = self.clock.now_ms();
        let system = write(self.db.legacy(), now, self.expiry(now))
            .await
            .map_err(rule)?;
        if let Some(row) = &system {
            self.announce(chat, Some(row.clone())).await?;
        }
        Ok(system)
    }

    pub async fn add_member(
        &self,
        who: AuthContext,
        chat: ChatId,
        user: UserId,
    ) -> ServiceResult<()> {
        self.system_change(who, chat, |s, now, exp| {
            Box::pin(async move {
                s.add_member(chat, who.user_id, user, now, exp)
                    .await
                    .map(Some)
            })
        })
        .await
        .map(drop)
    }

    /// Removing yourself is leaving. The removed member hears `chat.removed` and
    /// nothing of the chat after it.
    pub async fn remove_member(
        &self,
        who: AuthContext,
        chat: ChatId,
        user: UserId,
    ) -> ServiceResult<()> {
        // The rest hear the system message; the removed member hears only chat.removed.
        let result = self
            .system_change(who, chat, |s, now, exp| {
                Box::pin(async move { s.remove_member(chat, who.user_id, user, now, exp).await })
            })
            .await;
        if result.is_ok() {
            notify(
                &*self.bus,
                [user],
                &ServerEvent::ChatRemoved { chat_id: chat },
            );
        }
        result.map(drop)
    }

    pub async fn promote(&self, who: AuthContext, chat: ChatId, user: UserId) -> ServiceResult<()> {
        self.system_change(who, chat, |s, now, exp| {
            Box::pin(async move { s.promote(chat, who.user_id, user, now, exp).await.map(Some) })
        })
        .await
        .map(drop)
    }

    pub async fn set_meta(
        &self,
        who: AuthContext,
        chat: ChatId,
        meta: Sealed,
    ) -> ServiceResult<()> {
        check_sealed(&meta.nonce.0, &meta.signature.0, &meta.ciphertext.0)?;
        if meta.sender != who.user_id {
            return Err(ServiceError::InvalidField {
                field: "meta",
                problem: "must be sealed by you",
            });
        }
        let (epoch, text) = (
            meta.epoch,
            serde_json::to_string(&meta).expect("Sealed serializes"),
        );
        self.system_change(who, chat, |s, now, exp| {
            Box::pin(async move {
                s.set_meta(chat, who.user_id, epoch, text, now, exp)
                    .await
                    .map(Some)
            })
        })
        .await
        .map(drop)
    }

    pub async fn history(
        &self,
        who: AuthContext,
        chat: ChatId,
        page: Page,
        limit: i64,
    ) -> ServiceResult<Vec<Message>> {
        let now = self.clock.now_ms();
        let rows = self
            .db
            .legacy()
            .messages(chat, who.user_id, page, limit.clamp(1, PAGE_MAX), now)
            .await
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
            match self
                .db
                .legacy()
                .messages(chat, who.user_id, Page::After(after), RESUME_LIMIT, now)
                .await
            {
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
        let seq = self
            .db
            .legacy()
            .delete_message(chat, who.user_id, id)
            .await
            .map_err(rule)?;
        let members = self.db.legacy().member_ids(chat).await?;
        notify(
            &*self.bus,
            members,
            &ServerEvent::MessageDeleted { chat_id: chat, seq },
        );
        // "Deleted" means gone from the file and the WAL too, not just unlisted.
        self.db.compact().await?;
        Ok(())
    }
}

fn frame(event: &ServerEvent) -> Arc<str> {
    serde_json::to_string(event)
        .expect("events serialize")
        .into()
}

fn check_sealed(nonce: &[u8], signature: &[u8], ciphertext: &[u8]) -> ServiceResult<()> {
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

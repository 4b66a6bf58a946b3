//! Chats: membership, groups and their admins, epochs, read positions and presence,
//! timers. The server checks who may do what and under which epoch; it never sees a
//! key or a plaintext. Messages themselves are `messages/`.

mod epochs;
pub mod epochs_sql;
mod expiry;
mod groups;
mod presence;
pub mod presence_sql;
pub mod sql;

use std::collections::HashMap;
use std::sync::Arc;

use messgo_proto::{Chat, ChatId, ChatKind, ChatMember, Role, Sealed, ServerEvent, UserId};

pub use sql::{ChatRow, MemberRow};

use crate::bus::{notify, step_frame, Bus, Step};
use crate::clock::Clock;
use crate::erasure::Erasure;
use crate::messages::{message_of, MessageRow, Pipeline};
use crate::ratelimit::RateLimiter;
use crate::service::{rule, ServiceResult};
use crate::sessions::AuthContext;
use crate::store::{Db, StoreError};

pub struct Chats {
    db: Db,
    bus: Arc<dyn Bus>,
    clock: Arc<dyn Clock>,
    typing_limit: RateLimiter,
    /// System messages take their place in the chat's order like any message.
    pipeline: Arc<Pipeline>,
    erasure: Erasure,
}

pub(crate) fn chat_of(row: ChatRow, members: Vec<MemberRow>) -> ServiceResult<Chat> {
    let meta = match row.meta {
        Some(text) => Some(
            serde_json::from_str::<Sealed>(&text)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        ),
        None => None,
    };
    Ok(Chat {
        id: ChatId(row.id),
        kind: chat_kind(&row.kind)?,
        members: members
            .into_iter()
            .map(|m| {
                Ok(ChatMember {
                    user_id: UserId(m.user_id),
                    role: role(&m.role)?,
                    username: m.username,
                    joined_at: m.joined_at,
                    x25519_public: m.x25519_public.into(),
                    ed25519_public: m.ed25519_public.into(),
                })
            })
            .collect::<Result<_, StoreError>>()?,
        epoch: u32::try_from(row.epoch)
            .map_err(|_| StoreError::Corrupt(format!("epoch {}", row.epoch)))?,
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

/// The kinds the schema allows (a CHECK constraint); anything else is corruption.
fn chat_kind(kind: &str) -> Result<ChatKind, StoreError> {
    match kind {
        "direct" => Ok(ChatKind::Direct),
        "group" => Ok(ChatKind::Group),
        "assistant" => Ok(ChatKind::Assistant),
        other => Err(StoreError::Corrupt(format!("chat kind {other}"))),
    }
}

fn role(role: &str) -> Result<Role, StoreError> {
    match role {
        "admin" => Ok(Role::Admin),
        "member" => Ok(Role::Member),
        other => Err(StoreError::Corrupt(format!("member role {other}"))),
    }
}

impl Chats {
    pub fn new(
        db: Db,
        bus: Arc<dyn Bus>,
        clock: Arc<dyn Clock>,
        pipeline: Arc<Pipeline>,
        erasure: Erasure,
    ) -> Self {
        Chats {
            erasure,
            typing_limit: RateLimiter::new(30, 60_000, clock.clone()),
            db,
            bus,
            clock,
            pipeline,
        }
    }

    pub async fn list(&self, who: AuthContext) -> ServiceResult<Vec<Chat>> {
        let rows = db_run!(self.db, read, sql::chats_of(who.user_id))?;
        let mut members: HashMap<uuid::Uuid, Vec<MemberRow>> = HashMap::new();
        for m in db_run!(self.db, read, sql::members_for(who.user_id, None))? {
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
        let row = db_run!(self.db, read, sql::chat_for(viewer, chat)).map_err(rule)?;
        let members = db_run!(self.db, read, sql::members_for(viewer, Some(chat)))?;
        chat_of(row, members)
    }

    /// Before a change that writes a system message: the sequencer knows the chat,
    /// and the change's time and the latest expiry its system message may have.
    async fn before_change(&self, who: AuthContext, chat: ChatId) -> (i64, i64) {
        self.pipeline.order.track(&self.db, who.user_id, chat).await;
        let now = self.clock.now_ms();
        (now, self.pipeline.expiry(now))
    }

    /// Tells every member the chat's new state, and publishes the system message (if
    /// any) in its place in the chat's order.
    async fn announce(&self, chat: ChatId, system: Option<MessageRow>) -> ServiceResult<()> {
        let seq = system.as_ref().map(|r| r.seq);
        let members = match db_run!(self.db, read, sql::member_ids(chat)) {
            Ok(m) => m,
            Err(e) => {
                if let Some(seq) = seq {
                    self.pipeline.order.skip(chat, seq);
                }
                return Err(e.into());
            }
        };
        if let Some(row) = system {
            let seq = row.seq;
            let step = Step {
                chat,
                seq,
                ack: false,
            };
            let frame = step_frame(
                &ServerEvent::Message {
                    message: message_of(row),
                },
                step,
            );
            self.pipeline
                .order
                .publish(chat, seq, members.clone(), frame, None);
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
}

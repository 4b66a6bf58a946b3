//! Groups: creating one of your contacts, adding, removing and promoting members,
//! and the group's sealed name and picture (meta). Each change leaves a system
//! message in the chat's order.

use messgo_proto::{Chat, ChatId, Sealed, ServerEvent, UserId};

use super::{sql, Chats};
use crate::bus::notify;
use crate::messages::check_sealed;
use crate::service::{rule, ServiceError, ServiceResult};
use crate::sessions::AuthContext;

impl Chats {
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
        self.pipeline.order.start(chat, 1);
        let (by, expires_at) = (who.user_id, self.pipeline.expiry(now));
        let system = db_run!(
            self.db,
            write,
            sql::create_group(chat, by, &members, now, expires_at)
        )
        .map_err(rule)?;
        self.announce(chat, Some(system)).await?;
        self.get(who.user_id, chat).await
    }

    pub async fn add_member(
        &self,
        who: AuthContext,
        chat: ChatId,
        user: UserId,
    ) -> ServiceResult<()> {
        let (now, expires_at) = self.before_change(who, chat).await;
        let by = who.user_id;
        let system = db_run!(
            self.db,
            write,
            sql::add_member(chat, by, user, now, expires_at)
        )
        .map_err(rule)?;
        self.announce(chat, Some(system)).await
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
        let (now, expires_at) = self.before_change(who, chat).await;
        let by = who.user_id;
        let system = db_run!(
            self.db,
            write,
            sql::remove_member(chat, by, user, now, expires_at)
        )
        .map_err(rule)?;
        match system {
            Some(system) => self.announce(chat, Some(system)).await?,
            // The last member left: the group, its messages and attachments went.
            None => self.erasure.erase("an emptied group").await,
        }
        notify(
            &*self.bus,
            [user],
            &ServerEvent::ChatRemoved { chat_id: chat },
        );
        Ok(())
    }

    pub async fn promote(&self, who: AuthContext, chat: ChatId, user: UserId) -> ServiceResult<()> {
        let (now, expires_at) = self.before_change(who, chat).await;
        let by = who.user_id;
        let system = db_run!(
            self.db,
            write,
            sql::promote(chat, by, user, now, expires_at)
        )
        .map_err(rule)?;
        self.announce(chat, Some(system)).await
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
        let (now, expires_at) = self.before_change(who, chat).await;
        let by = who.user_id;
        let system = db_run!(
            self.db,
            write,
            sql::set_meta(chat, by, epoch, &text, now, expires_at)
        )
        .map_err(rule)?;
        self.announce(chat, Some(system)).await
    }
}

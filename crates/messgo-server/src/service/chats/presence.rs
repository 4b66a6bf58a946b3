//! What members see of each other besides messages: read positions, receipts and
//! typing, each shared only between people who both turned it on.

use messgo_proto::{ChatId, ServerEvent, Settings};

use super::expiry::check_timer;
use super::{rule, Chats};
use crate::bus::notify;
use crate::service::{AuthContext, ServiceError, ServiceResult};

impl Chats {
    pub async fn settings(&self, who: AuthContext) -> ServiceResult<Settings> {
        let (typing, receipts, timer) =
            self.db.legacy().settings(who.user_id).await.map_err(rule)?;
        Ok(Settings {
            typing_indicators: typing != 0,
            read_receipts: receipts != 0,
            default_timer_secs: timer,
        })
    }

    pub async fn set_settings(&self, who: AuthContext, s: Settings) -> ServiceResult<Settings> {
        check_timer(s.default_timer_secs)?;
        self.db
            .legacy()
            .set_settings(
                who.user_id,
                s.typing_indicators,
                s.read_receipts,
                s.default_timer_secs,
            )
            .await?;
        Ok(s)
    }

    /// Moves the read position; your other sessions follow, and members who share
    /// read receipts (as you do) see it.
    pub async fn mark_read(&self, who: AuthContext, chat: ChatId, seq: i64) -> ServiceResult<()> {
        let seq = self
            .db
            .legacy()
            .mark_read(chat, who.user_id, seq)
            .await
            .map_err(rule)?;
        notify(
            &*self.bus,
            [who.user_id],
            &ServerEvent::ChatRead { chat_id: chat, seq },
        );
        if self.settings(who).await?.read_receipts {
            let to = self
                .db
                .legacy()
                .members_opted_in(chat, who.user_id, false)
                .await?;
            notify(
                &*self.bus,
                to,
                &ServerEvent::Read {
                    chat_id: chat,
                    user_id: who.user_id,
                    seq,
                },
            );
        }
        Ok(())
    }

    /// Relays "typing" only between members who both turned typing indicators on.
    pub async fn typing(&self, who: AuthContext, chat: ChatId) -> ServiceResult<()> {
        self.typing_limit
            .hit(&who.user_id.to_string())
            .map_err(ServiceError::RateLimited)?;
        self.db
            .legacy()
            .chat_for(who.user_id, chat)
            .await
            .map_err(rule)?;
        if !self.settings(who).await?.typing_indicators {
            return Ok(());
        }
        let to = self
            .db
            .legacy()
            .members_opted_in(chat, who.user_id, true)
            .await?;
        notify(
            &*self.bus,
            to,
            &ServerEvent::Typing {
                chat_id: chat,
                user_id: who.user_id,
            },
        );
        Ok(())
    }
}

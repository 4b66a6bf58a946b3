//! What members see of each other besides messages: read positions, receipts and
//! typing, each shared only between people who both turned it on.

use messgo_proto::{ChatId, ServerEvent, Settings};

use super::expiry::check_timer;
use super::{presence_sql, sql, Chats};
use crate::bus::notify;
use crate::service::{rule, ServiceError, ServiceResult};
use crate::sessions::AuthContext;

impl Chats {
    pub async fn settings(&self, who: AuthContext) -> ServiceResult<Settings> {
        let row = db_run!(self.db, read, presence_sql::settings(who.user_id)).map_err(rule)?;
        Ok(Settings {
            typing_indicators: row.typing_indicators != 0,
            read_receipts: row.read_receipts != 0,
            default_timer_secs: row.default_timer_secs,
        })
    }

    pub async fn set_settings(&self, who: AuthContext, s: Settings) -> ServiceResult<Settings> {
        check_timer(s.default_timer_secs)?;
        let (typing, receipts, timer) =
            (s.typing_indicators, s.read_receipts, s.default_timer_secs);
        db_run!(
            self.db,
            write,
            presence_sql::set_settings(who.user_id, typing, receipts, timer)
        )?;
        Ok(s)
    }

    /// Moves the read position; your other sessions follow, and members who share
    /// read receipts (as you do) see it.
    pub async fn mark_read(&self, who: AuthContext, chat: ChatId, seq: i64) -> ServiceResult<()> {
        let seq = db_run!(
            self.db,
            write,
            presence_sql::mark_read(chat, who.user_id, seq)
        )
        .map_err(rule)?;
        notify(
            &*self.bus,
            [who.user_id],
            &ServerEvent::ChatRead { chat_id: chat, seq },
        );
        if self.settings(who).await?.read_receipts {
            let to = db_run!(
                self.db,
                read,
                presence_sql::members_opted_in(chat, who.user_id, false)
            )?;
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
        db_run!(self.db, read, sql::chat_for(who.user_id, chat)).map_err(rule)?;
        if !self.settings(who).await?.typing_indicators {
            return Ok(());
        }
        let to = db_run!(
            self.db,
            read,
            presence_sql::members_opted_in(chat, who.user_id, true)
        )?;
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

//! Read positions and the per-account presence settings (typing, receipts, the
//! default timer), written once for both engines.

use messgo_proto::{ChatId, UserId};
use uuid::Uuid;

use crate::store::{StoreError, StoreResult};

/// An account's presence settings as stored (booleans are 0 or 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct SettingsRow {
    pub typing_indicators: i64,
    pub read_receipts: i64,
    pub default_timer_secs: i64,
}

for_both_engines! {

    /// Moves `user`'s read position forward (never back, never past the end).
    pub async fn mark_read(c: &mut Conn, chat: ChatId, user: UserId, seq: i64) -> StoreResult<i64> {
        let row: Option<(i64,)> = sqlx::query_as(
            "UPDATE chat_members SET last_read_seq = CASE \
                WHEN last_read_seq >= $3 THEN last_read_seq \
                ELSE (SELECT CASE WHEN ch.seq < $3 THEN ch.seq ELSE $3 END FROM chats ch WHERE ch.id = $1) END \
             WHERE chat_id = $1 AND user_id = $2 RETURNING last_read_seq",
        )
        .bind(chat.0)
        .bind(user.0)
        .bind(seq)
        .fetch_optional(&mut *c)
        .await?;
        row.map(|(s,)| s).ok_or(StoreError::NotFound)
    }


    /// Members of `chat` other than `except` who turned on typing indicators
    /// (`typing`) or read receipts (otherwise).
    pub async fn members_opted_in(c: &mut Conn, chat: ChatId, except: UserId, typing: bool) -> StoreResult<Vec<UserId>> {
        let column = if typing { "u.typing_indicators" } else { "u.read_receipts" };
        let rows: Vec<(Uuid,)> = sqlx::query_as(&format!(
            "SELECT m.user_id FROM chat_members m JOIN users u ON u.id = m.user_id \
             WHERE m.chat_id = $1 AND m.user_id <> $2 AND {column} = 1"
        ))
        .bind(chat.0)
        .bind(except.0)
        .fetch_all(&mut *c)
        .await?;
        Ok(rows.into_iter().map(|(u,)| UserId(u)).collect())
    }


    pub async fn settings(c: &mut Conn, user: UserId) -> StoreResult<SettingsRow> {
        sqlx::query_as::<_, SettingsRow>("SELECT typing_indicators, read_receipts, default_timer_secs FROM users WHERE id = $1")
            .bind(user.0)
            .fetch_optional(&mut *c)
            .await?
            .ok_or(StoreError::NotFound)
    }


    pub async fn set_settings(c: &mut Conn, user: UserId, typing: bool, receipts: bool, timer: i64) -> StoreResult<()> {
        sqlx::query("UPDATE users SET typing_indicators = $1, read_receipts = $2, default_timer_secs = $3 WHERE id = $4")
            .bind(i64::from(typing))
            .bind(i64::from(receipts))
            .bind(timer)
            .bind(user.0)
            .execute(&mut *c)
            .await?;
        Ok(())
    }
}

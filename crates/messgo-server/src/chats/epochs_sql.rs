//! Epoch keys' SQL: opening an epoch with a wrapped key for each member, reading
//! one's own, and dropping keys no message needs any more.

use messgo_proto::{ChatId, UserId};
use uuid::Uuid;

use crate::messages::sql::rejected;
use crate::refusal::Refusal;
use crate::store::{StoreError, StoreResult};

/// One member's wrapped key of one epoch, and who opened the epoch when.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EpochKeyRow {
    pub wrapped: Vec<u8>,
    pub opened_by: Uuid,
    pub opened_at: i64,
}

for_both_engines! {
    uses(crate::chats::sql as chat_sql);

    /// Opens the next epoch with a wrapped key for exactly the current members.
    pub async fn open_epoch(
        c: &mut Conn, chat: ChatId, by: UserId, epoch: u32, keys: &[(UserId, Vec<u8>)], meta: Option<&str>, now: i64,
    ) -> StoreResult<()> {
        let current = chat_sql::chat_for(&mut *c, by, chat).await?;
        if i64::from(epoch) != current.epoch + 1 {
            return Err(rejected(Refusal::EpochConflict));
        }
        // A group's sealed name and picture are its admins' to change, as with
        // `set_meta`. A member's client re-sealing them for the new epoch may be faithful,
        // but the server cannot see that, so only admins' epochs carry a meta.
        if meta.is_some() && current.kind == "group"
            && chat_sql::role_of(&mut *c, chat, by).await?.as_deref() != Some("admin") {
            return Err(rejected(Refusal::NotAdmin));
        }
        let mut members = chat_sql::member_ids(&mut *c, chat).await?;
        let mut covered: Vec<UserId> = keys.iter().map(|(u, _)| *u).collect();
        members.sort();
        covered.sort();
        if members != covered {
            return Err(rejected(Refusal::EpochKeysMismatch));
        }
        for (user, wrapped) in keys {
            sqlx::query(
                "INSERT INTO epoch_keys (chat_id, epoch, user_id, wrapped, opened_by, opened_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(chat.0)
            .bind(i64::from(epoch))
            .bind(user.0)
            .bind(wrapped)
            .bind(by.0)
            .bind(now)
            .execute(&mut *c)
            .await?;
        }
        sqlx::query(
            "UPDATE chats SET epoch = $2, epoch_opened_at = $3, rotation_required = 0, meta = COALESCE($4, meta) WHERE id = $1",
        )
        .bind(chat.0)
        .bind(i64::from(epoch))
        .bind(now)
        .bind(meta)
        .execute(&mut *c)
        .await?;
        Ok(())
    }


    pub async fn epoch_key(c: &mut Conn, chat: ChatId, user: UserId, epoch: u32) -> StoreResult<EpochKeyRow> {
        sqlx::query_as::<_, EpochKeyRow>("SELECT wrapped, opened_by, opened_at FROM epoch_keys WHERE chat_id = $1 AND epoch = $2 AND user_id = $3")
            .bind(chat.0)
            .bind(i64::from(epoch))
            .bind(user.0)
            .fetch_optional(&mut *c)
            .await?
            .ok_or(StoreError::NotFound)
    }


    /// An epoch's keys go once it is no longer current and none of its messages
    /// remain: whatever copies of its ciphertext exist become unreadable.
    pub async fn delete_spent_epoch_keys(c: &mut Conn) -> StoreResult<u64> {
        let done = sqlx::query(
            "DELETE FROM epoch_keys WHERE \
               epoch < (SELECT ch.epoch FROM chats ch WHERE ch.id = epoch_keys.chat_id) \
               AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.chat_id = epoch_keys.chat_id AND m.epoch = epoch_keys.epoch)",
        )
        .execute(&mut *c)
        .await?;
        Ok(done.rows_affected())
    }
}

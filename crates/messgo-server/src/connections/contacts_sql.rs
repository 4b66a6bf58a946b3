//! The contacts' and blocks' SQL, written once for both engines.

use messgo_proto::{RequestId, UserId};
use uuid::Uuid;

use super::sql::{ids, pair};
use crate::store::{StoreError, StoreResult};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ContactRow {
    pub user_id: Uuid,
    pub username: String,
    pub display_name: Option<String>,
    pub bio: Option<String>,
    pub avatar_updated_at: Option<i64>,
    pub x25519_public: Vec<u8>,
    pub ed25519_public: Vec<u8>,
    pub connected_at: i64,
    pub chat_id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct BlockedRow {
    pub user_id: Uuid,
    pub username: String,
    pub blocked_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Blocked {
    pub was_connected: bool,
    /// The pair's direct chat, deleted with the connection.
    pub removed_chat: Option<Uuid>,
    /// The blocked user's requests to the blocker, now hidden (the sender still sees them).
    pub hidden: Vec<RequestId>,
    /// The blocker's requests to the blocked user, deleted.
    pub deleted: Vec<RequestId>,
}

for_both_engines! {

    pub async fn contacts(c: &mut Conn, me: UserId, only: Option<UserId>) -> StoreResult<Vec<ContactRow>> {
        Ok(sqlx::query_as(
            "SELECT u.id AS user_id, u.username, u.display_name, u.bio, u.avatar_updated_at, u.x25519_public, u.ed25519_public, \
                    c.created_at AS connected_at, c.chat_id \
             FROM connections c JOIN users u ON u.id = CASE WHEN c.user_a = $1 THEN c.user_b ELSE c.user_a END \
             WHERE (c.user_a = $1 OR c.user_b = $1) AND ($2 IS NULL OR u.id = $2) ORDER BY u.username",
        )
        .bind(me.0)
        .bind(only.map(|u| u.0))
        .fetch_all(&mut *c)
        .await?)
    }


    /// Removes the connection and the pair's direct chat; returns the chat's id.
    pub async fn disconnect(c: &mut Conn, me: UserId, other: UserId) -> StoreResult<Uuid> {
        let (a, b) = pair(me, other);
        let row: Option<(Uuid,)> =
            sqlx::query_as("DELETE FROM connections WHERE user_a = $1 AND user_b = $2 RETURNING chat_id")
                .bind(a)
                .bind(b)
                .fetch_optional(&mut *c)
                .await?;
        let (chat,) = row.ok_or(StoreError::NotFound)?;
        sqlx::query("DELETE FROM chats WHERE id = $1").bind(chat).execute(&mut *c).await?;
        Ok(chat)
    }


    /// Blocks a contact, or someone with a request to `me`; anyone else is NotFound.
    pub async fn block(c: &mut Conn, me: UserId, other: UserId, now: i64) -> StoreResult<Blocked> {
        let (a, b) = pair(me, other);
        let (connected, requested, already): (bool, bool, bool) = sqlx::query_as(
            "SELECT EXISTS(SELECT 1 FROM connections WHERE user_a = $1 AND user_b = $2), \
                    EXISTS(SELECT 1 FROM connection_requests WHERE from_user = $3 AND to_user = $4), \
                    EXISTS(SELECT 1 FROM blocks WHERE blocker = $4 AND blocked = $3)",
        )
        .bind(a)
        .bind(b)
        .bind(other.0)
        .bind(me.0)
        .fetch_one(&mut *c)
        .await?;
        if !(connected || requested || already) {
            return Err(StoreError::NotFound);
        }
        sqlx::query("INSERT INTO blocks (blocker, blocked, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(me.0)
            .bind(other.0)
            .bind(now)
            .execute(&mut *c)
            .await?;
        let removed_chat = if connected { Some(disconnect(&mut *c, me, other).await?) } else { None };
        let hidden: Vec<(Uuid,)> = sqlx::query_as(
            "UPDATE connection_requests SET to_user = NULL WHERE from_user = $1 AND to_user = $2 RETURNING id",
        )
        .bind(other.0)
        .bind(me.0)
        .fetch_all(&mut *c)
        .await?;
        let deleted: Vec<(Uuid,)> =
            sqlx::query_as("DELETE FROM connection_requests WHERE from_user = $1 AND to_user = $2 RETURNING id")
                .bind(me.0)
                .bind(other.0)
                .fetch_all(&mut *c)
                .await?;
        Ok(Blocked { was_connected: connected, removed_chat, hidden: ids(hidden), deleted: ids(deleted) })
    }


    pub async fn unblock(c: &mut Conn, me: UserId, other: UserId) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM blocks WHERE blocker = $1 AND blocked = $2")
            .bind(me.0)
            .bind(other.0)
            .execute(&mut *c)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }


    pub async fn blocks(c: &mut Conn, me: UserId) -> StoreResult<Vec<BlockedRow>> {
        Ok(sqlx::query_as(
            "SELECT b.blocked AS user_id, u.username, b.created_at AS blocked_at \
             FROM blocks b JOIN users u ON u.id = b.blocked WHERE b.blocker = $1 ORDER BY b.created_at",
        )
        .bind(me.0)
        .fetch_all(&mut *c)
        .await?)
    }
}

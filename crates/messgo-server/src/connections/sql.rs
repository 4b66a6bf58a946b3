//! The connections' SQL: requests, connect keys and their sweep, written once for
//! both engines (see `for_both_engines!`). Every statement is valid for SQLite and
//! PostgreSQL alike (`$n` parameters, first used in ascending order, which SQLite
//! numbers the same way).

use messgo_proto::{RequestId, RequestTarget, UserId};
use uuid::Uuid;

use crate::store::{StoreError, StoreResult};

/// A request as the store records it.
#[derive(Debug, Clone)]
pub struct NewRequest {
    pub id: RequestId,
    pub from: UserId,
    pub target: RequestTarget,
    pub now: i64,
    pub expires_at: i64,
    /// Attempts after this instant count against `limit`.
    pub window_start: i64,
    pub limit: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// Recorded; `delivered_to` is the user who may see it, if anyone.
    Sent { delivered_to: Option<UserId> },
    /// An unexpired request from the same sender to the same target exists.
    Duplicate,
    /// The oldest attempt in the window, from which the wait is computed.
    RateLimited { oldest_attempt: i64 },
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct IncomingRow {
    pub id: Uuid,
    pub from_user: Uuid,
    pub username: String,
    pub ed25519_public: Vec<u8>,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OutgoingRow {
    pub id: Uuid,
    pub target_kind: String,
    pub target: String,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub requester: UserId,
    pub chat_id: Uuid,
    /// The accepter's own requests to the requester, now moot and deleted.
    pub removed_reverse: Vec<RequestId>,
}

/// The pair in the order the `connections` table keeps it.
pub fn pair(a: UserId, b: UserId) -> (Uuid, Uuid) {
    if a.0 < b.0 {
        (a.0, b.0)
    } else {
        (b.0, a.0)
    }
}

fn target_parts(t: &RequestTarget) -> (&'static str, &str) {
    match t {
        RequestTarget::Username(u) => ("username", u),
        RequestTarget::ConnectKey(k) => ("connect_key", k),
    }
}

pub fn target_from_parts(kind: &str, value: String) -> StoreResult<RequestTarget> {
    match kind {
        "username" => Ok(RequestTarget::Username(value)),
        "connect_key" => Ok(RequestTarget::ConnectKey(value)),
        other => Err(StoreError::Corrupt(format!("request target kind {other}"))),
    }
}

pub(crate) fn ids(v: Vec<(Uuid,)>) -> Vec<RequestId> {
    v.into_iter().map(|(id,)| RequestId(id)).collect()
}

for_both_engines! {
    /// Runs the same statements whatever the target turns out to be, so neither the
    /// answer nor the time it takes says whether it exists.
    pub async fn send_request(c: &mut Conn, r: &NewRequest) -> StoreResult<SendOutcome> {
        let (count, oldest): (i64, Option<i64>) =
            sqlx::query_as("SELECT COUNT(*), MIN(at) FROM request_attempts WHERE user_id = $1 AND at > $2")
                .bind(r.from.0)
                .bind(r.window_start)
                .fetch_one(&mut *c)
                .await?;
        if count >= i64::from(r.limit) {
            return Ok(SendOutcome::RateLimited { oldest_attempt: oldest.unwrap_or(r.now) });
        }
        sqlx::query("INSERT INTO request_attempts (user_id, at) VALUES ($1, $2)")
            .bind(r.from.0)
            .bind(r.now)
            .execute(&mut *c)
            .await?;

        let (kind, value) = target_parts(&r.target);
        let lookup = if kind == "username" {
            "SELECT id FROM users WHERE username = $1"
        } else {
            "SELECT id FROM users WHERE connect_key = $1"
        };
        let found: Option<(Uuid,)> = sqlx::query_as(lookup).bind(value).fetch_optional(&mut *c).await?;
        let target = found.map_or(Uuid::nil(), |(id,)| id);
        let (a, b) = pair(r.from, UserId(target));
        let (blocked, connected): (bool, bool) = sqlx::query_as(
            "SELECT EXISTS(SELECT 1 FROM blocks WHERE (blocker = $1 AND blocked = $2) OR (blocker = $2 AND blocked = $1)), \
                    EXISTS(SELECT 1 FROM connections WHERE user_a = $3 AND user_b = $4)",
        )
        .bind(target)
        .bind(r.from.0)
        .bind(a)
        .bind(b)
        .fetch_one(&mut *c)
        .await?;
        let visible = found.is_some() && target != r.from.0 && !blocked && !connected;
        let to_user = visible.then_some(target);

        sqlx::query(
            "DELETE FROM connection_requests WHERE from_user = $1 AND target_kind = $2 AND target = $3 AND expires_at <= $4",
        )
        .bind(r.from.0)
        .bind(kind)
        .bind(value)
        .bind(r.now)
        .execute(&mut *c)
        .await?;
        let done = sqlx::query(
            "INSERT INTO connection_requests (id, from_user, target_kind, target, to_user, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (from_user, target_kind, target) DO NOTHING",
        )
        .bind(r.id.0)
        .bind(r.from.0)
        .bind(kind)
        .bind(value)
        .bind(to_user)
        .bind(r.now)
        .bind(r.expires_at)
        .execute(&mut *c)
        .await?;
        Ok(if done.rows_affected() == 0 {
            SendOutcome::Duplicate
        } else {
            SendOutcome::Sent { delivered_to: to_user.map(UserId) }
        })
    }


    pub async fn incoming(c: &mut Conn, me: UserId, now: i64) -> StoreResult<Vec<IncomingRow>> {
        Ok(sqlx::query_as(
            "SELECT r.id, r.from_user, u.username, u.ed25519_public, r.created_at, r.expires_at \
             FROM connection_requests r JOIN users u ON u.id = r.from_user \
             WHERE r.to_user = $1 AND r.expires_at > $2 ORDER BY r.created_at",
        )
        .bind(me.0)
        .bind(now)
        .fetch_all(&mut *c)
        .await?)
    }


    pub async fn outgoing(c: &mut Conn, me: UserId, now: i64) -> StoreResult<Vec<OutgoingRow>> {
        Ok(sqlx::query_as(
            "SELECT id, target_kind, target, created_at, expires_at FROM connection_requests \
             WHERE from_user = $1 AND expires_at > $2 ORDER BY created_at",
        )
        .bind(me.0)
        .bind(now)
        .fetch_all(&mut *c)
        .await?)
    }


    /// The sender of an unexpired request addressed to `me`.
    pub async fn incoming_sender(c: &mut Conn, id: RequestId, me: UserId, now: i64) -> StoreResult<UserId> {
        let row: Option<(Uuid,)> = sqlx::query_as(
            "SELECT from_user FROM connection_requests WHERE id = $1 AND to_user = $2 AND expires_at > $3",
        )
        .bind(id.0)
        .bind(me.0)
        .bind(now)
        .fetch_optional(&mut *c)
        .await?;
        row.map(|(u,)| UserId(u)).ok_or(StoreError::NotFound)
    }


    pub async fn accept(c: &mut Conn, id: RequestId, me: UserId, new_chat: Uuid, now: i64) -> StoreResult<Accepted> {
        let requester = incoming_sender(&mut *c, id, me, now).await?;
        sqlx::query("DELETE FROM connection_requests WHERE id = $1").bind(id.0).execute(&mut *c).await?;
        let reverse: Vec<(Uuid,)> =
            sqlx::query_as("DELETE FROM connection_requests WHERE from_user = $1 AND to_user = $2 RETURNING id")
                .bind(me.0)
                .bind(requester.0)
                .fetch_all(&mut *c)
                .await?;
        let chat_id = connect_pair(&mut *c, me, requester, new_chat, now).await?;
        Ok(Accepted { requester, chat_id, removed_reverse: ids(reverse) })
    }


    /// Makes two people contacts with their direct chat (the shorter of their default
    /// timers), or finds the chat they have: what an accepted request and a used
    /// invite both do. Returns the chat's id.
    pub async fn connect_pair(c: &mut Conn, one: UserId, other: UserId, new_chat: Uuid, now: i64) -> StoreResult<Uuid> {
        let (a, b) = pair(one, other);
        let existing: Option<(Uuid,)> =
            sqlx::query_as("SELECT chat_id FROM connections WHERE user_a = $1 AND user_b = $2")
                .bind(a)
                .bind(b)
                .fetch_optional(&mut *c)
                .await?;
        Ok(match existing {
            Some((chat,)) => chat,
            None => {
                // The shorter of the two people's default timers.
                sqlx::query(
                    "INSERT INTO chats (id, kind, created_at, timer_secs) VALUES ($1, 'direct', $2, \
                     (SELECT MIN(default_timer_secs) FROM users WHERE id = $3 OR id = $4))",
                )
                .bind(new_chat)
                .bind(now)
                .bind(a)
                .bind(b)
                .execute(&mut *c)
                .await?;
                for user in [a, b] {
                    sqlx::query("INSERT INTO chat_members (chat_id, user_id, role, joined_at) VALUES ($1, $2, 'member', $3)")
                        .bind(new_chat)
                        .bind(user)
                        .bind(now)
                        .execute(&mut *c)
                        .await?;
                }
                sqlx::query("INSERT INTO connections (user_a, user_b, chat_id, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(a)
                    .bind(b)
                    .bind(new_chat)
                    .bind(now)
                    .execute(&mut *c)
                    .await?;
                new_chat
            }
        })
    }


    /// Declining only hides the request from its target; its sender sees no change.
    pub async fn decline(c: &mut Conn, id: RequestId, me: UserId, now: i64) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE connection_requests SET to_user = NULL WHERE id = $1 AND to_user = $2 AND expires_at > $3",
        )
        .bind(id.0)
        .bind(me.0)
        .bind(now)
        .execute(&mut *c)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }


    /// Deletes one of `me`'s own requests; returns who could see it.
    pub async fn cancel(c: &mut Conn, id: RequestId, me: UserId) -> StoreResult<Option<UserId>> {
        let row: Option<(Option<Uuid>,)> =
            sqlx::query_as("DELETE FROM connection_requests WHERE id = $1 AND from_user = $2 RETURNING to_user")
                .bind(id.0)
                .bind(me.0)
                .fetch_optional(&mut *c)
                .await?;
        row.map(|(to,)| to.map(UserId)).ok_or(StoreError::NotFound)
    }


    pub async fn set_connect_key(c: &mut Conn, me: UserId, key: &str) -> StoreResult<()> {
        sqlx::query("UPDATE users SET connect_key = $1 WHERE id = $2")
            .bind(key)
            .bind(me.0)
            .execute(&mut *c)
            .await
            .map_err(crate::store::classify)?;
        Ok(())
    }


    /// Expired requests and attempts older than the rate window.
    pub async fn sweep_requests(c: &mut Conn, now: i64, attempts_before: i64) -> StoreResult<u64> {
        let r = sqlx::query("DELETE FROM connection_requests WHERE expires_at <= $1").bind(now).execute(&mut *c).await?;
        sqlx::query("DELETE FROM request_attempts WHERE at <= $1").bind(attempts_before).execute(&mut *c).await?;
        Ok(r.rows_affected())
    }
}

//! The sessions' SQL, written once for both engines (see `for_both_engines!`).

use messgo_proto::{SessionId, UserId};

use crate::store::{classify, StoreError, StoreResult};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub id: SessionId,
    pub user_id: UserId,
    pub token_hash: Vec<u8>,
    pub device: String,
    pub created_at: i64,
    pub last_seen_at: i64,
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    id: uuid::Uuid,
    user_id: uuid::Uuid,
    token_hash: Vec<u8>,
    device: String,
    created_at: i64,
    last_seen_at: i64,
}

impl From<SessionRow> for SessionRecord {
    fn from(r: SessionRow) -> Self {
        SessionRecord {
            id: SessionId(r.id),
            user_id: UserId(r.user_id),
            token_hash: r.token_hash,
            device: r.device,
            created_at: r.created_at,
            last_seen_at: r.last_seen_at,
        }
    }
}

const SESSION_COLUMNS: &str = "id, user_id, token_hash, device, created_at, last_seen_at";

for_both_engines! {
    /// Stores a new session, unless its account is gone or disabled (a login that
    /// raced an operator's `disable` gets no session): then `NotFound`.
    pub async fn create_session(c: &mut Conn, s: &SessionRecord) -> StoreResult<()> {
        let done = sqlx::query(&format!(
            "INSERT INTO sessions ({SESSION_COLUMNS}) SELECT $1, $2, $3, $4, $5, $6 \
             WHERE EXISTS (SELECT 1 FROM users WHERE id = $2 AND disabled_at IS NULL)"
        ))
            .bind(s.id.0)
            .bind(s.user_id.0)
            .bind(&s.token_hash)
            .bind(&s.device)
            .bind(s.created_at)
            .bind(s.last_seen_at)
            .execute(&mut *c)
            .await
            .map_err(classify)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Deletes every session of `user`; returns how many there were.
    pub async fn delete_sessions_of(c: &mut Conn, user: UserId) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user.0)
            .execute(&mut *c)
            .await?;
        Ok(done.rows_affected())
    }

    pub async fn session_by_token_hash(c: &mut Conn, token_hash: &[u8]) -> StoreResult<SessionRecord> {
        sqlx::query_as::<_, SessionRow>(&format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE token_hash = $1"))
            .bind(token_hash)
            .fetch_optional(&mut *c)
            .await?
            .map(Into::into)
            .ok_or(StoreError::NotFound)
    }

    pub async fn touch_session(c: &mut Conn, id: SessionId, now: i64) -> StoreResult<()> {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id.0)
            .execute(&mut *c)
            .await?;
        Ok(())
    }

    pub async fn sessions_of(c: &mut Conn, user: UserId) -> StoreResult<Vec<SessionRecord>> {
        let rows = sqlx::query_as::<_, SessionRow>(&format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = $1 ORDER BY created_at"
        ))
        .bind(user.0)
        .fetch_all(&mut *c)
        .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    pub async fn delete_session(c: &mut Conn, user: UserId, id: SessionId) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM sessions WHERE id = $1 AND user_id = $2")
            .bind(id.0)
            .bind(user.0)
            .execute(&mut *c)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Marks a session in use, unless it is gone or has already been idle since
    /// `idle_since` (an idle session ends; it does not come back). Says whether it did.
    pub async fn touch_live_session(c: &mut Conn, id: SessionId, now: i64, idle_since: i64) -> StoreResult<bool> {
        let done = sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2 AND last_seen_at >= $3")
            .bind(now)
            .bind(id.0)
            .bind(idle_since)
            .execute(&mut *c)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Deletes the sessions unused since `before`; returns which, so their sockets end.
    pub async fn delete_sessions_idle_since(c: &mut Conn, before: i64) -> StoreResult<Vec<(UserId, SessionId)>> {
        let rows: Vec<(uuid::Uuid, uuid::Uuid)> =
            sqlx::query_as("DELETE FROM sessions WHERE last_seen_at < $1 RETURNING user_id, id")
                .bind(before)
                .fetch_all(&mut *c)
                .await?;
        Ok(rows.into_iter().map(|(user, id)| (UserId(user), SessionId(id))).collect())
    }
}

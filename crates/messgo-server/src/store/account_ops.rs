//! Account and session SQL, written once for both engines (see `for_both_engines!`).

use messgo_proto::{SessionId, UserId};

use super::{
    classify, kdf_text, Credentials, SessionRecord, SessionRow, StoreError, StoreResult,
    UserRecord, UserRow, SESSION_COLUMNS, USER_COLUMNS, USER_SELECT,
};

for_both_engines! {
    pub async fn realm_id(c: &mut Conn, candidate: &str) -> StoreResult<String> {
        sqlx::query("INSERT INTO meta (key, value) VALUES ('realm_id', $1) ON CONFLICT DO NOTHING")
            .bind(candidate)
            .execute(&mut *c)
            .await?;
        let (v,): (String,) = sqlx::query_as("SELECT value FROM meta WHERE key = 'realm_id'")
            .fetch_one(&mut *c)
            .await?;
        Ok(v)
    }

    pub async fn create_user(c: &mut Conn, u: &UserRecord) -> StoreResult<()> {
        sqlx::query(&format!(
            "INSERT INTO users ({USER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        ))
        .bind(u.id.0)
        .bind(&u.username)
        .bind(&u.auth_hash)
        .bind(kdf_text(&u.kdf))
        .bind(&u.key_bundle)
        .bind(&u.x25519_public)
        .bind(&u.ed25519_public)
        .bind(u.created_at)
        .bind(&u.connect_key)
        .bind(&u.display_name)
        .execute(&mut *c)
        .await
        .map_err(classify)?;
        Ok(())
    }

    pub async fn user_by_username(c: &mut Conn, username: &str) -> StoreResult<UserRecord> {
        sqlx::query_as::<_, UserRow>(&format!("SELECT {USER_SELECT} FROM users WHERE username = $1"))
            .bind(username)
            .fetch_optional(&mut *c)
            .await?
            .ok_or(StoreError::NotFound)?
            .try_into()
    }

    pub async fn user_by_id(c: &mut Conn, id: UserId) -> StoreResult<UserRecord> {
        sqlx::query_as::<_, UserRow>(&format!("SELECT {USER_SELECT} FROM users WHERE id = $1"))
            .bind(id.0)
            .fetch_optional(&mut *c)
            .await?
            .ok_or(StoreError::NotFound)?
            .try_into()
    }

    pub async fn set_credentials(c: &mut Conn, id: UserId, creds: &Credentials, keep: SessionId) -> StoreResult<()> {
        let done = sqlx::query("UPDATE users SET auth_hash = $1, kdf = $2, key_bundle = $3 WHERE id = $4")
            .bind(&creds.auth_hash)
            .bind(kdf_text(&creds.kdf))
            .bind(&creds.key_bundle)
            .bind(id.0)
            .execute(&mut *c)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
            .bind(id.0)
            .bind(keep.0)
            .execute(&mut *c)
            .await?;
        Ok(())
    }

    pub async fn delete_user(c: &mut Conn, id: UserId) -> StoreResult<()> {
        // What they said goes with them; the sequence numbers stay as tombstones.
        sqlx::query(
            "UPDATE messages SET deleted = 1, nonce = NULL, ciphertext = NULL, signature = NULL WHERE sender = $1",
        )
        .bind(id.0)
        .execute(&mut *c)
        .await?;
        // Their groups need new keys without them; groups left empty go.
        sqlx::query("UPDATE chats SET rotation_required = 1 WHERE id IN (SELECT chat_id FROM chat_members WHERE user_id = $1)")
            .bind(id.0)
            .execute(&mut *c)
            .await?;
        sqlx::query(
            "DELETE FROM chats WHERE kind = 'group' AND id IN (SELECT chat_id FROM chat_members WHERE user_id = $1) \
             AND (SELECT COUNT(*) FROM chat_members m WHERE m.chat_id = chats.id) = 1",
        )
        .bind(id.0)
        .execute(&mut *c)
        .await?;
        // Direct chats have no owner to outlive: they go with either member's account.
        sqlx::query(
            "DELETE FROM chats WHERE kind = 'direct' AND id IN (SELECT chat_id FROM chat_members WHERE user_id = $1)",
        )
        .bind(id.0)
        .execute(&mut *c)
        .await?;
        let done = sqlx::query("DELETE FROM users WHERE id = $1").bind(id.0).execute(&mut *c).await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn create_session(c: &mut Conn, s: &SessionRecord) -> StoreResult<()> {
        sqlx::query(&format!("INSERT INTO sessions ({SESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"))
            .bind(s.id.0)
            .bind(s.user_id.0)
            .bind(&s.token_hash)
            .bind(&s.device)
            .bind(s.created_at)
            .bind(s.last_seen_at)
            .execute(&mut *c)
            .await
            .map_err(classify)?;
        Ok(())
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

    pub async fn delete_sessions_idle_since(c: &mut Conn, before: i64) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE last_seen_at < $1").bind(before).execute(&mut *c).await?;
        Ok(done.rows_affected())
    }
}

//! The accounts' SQL, written once for both engines (see `for_both_engines!`).

use messgo_proto::{SessionId, UserId};

use crate::store::{classify, StoreError, StoreResult};
use messgo_proto::KdfParams;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: UserId,
    pub username: String,
    pub auth_hash: String,
    pub kdf: KdfParams,
    pub key_bundle: Vec<u8>,
    pub x25519_public: Vec<u8>,
    pub ed25519_public: Vec<u8>,
    pub created_at: i64,
    pub connect_key: Option<String>,
    pub display_name: Option<String>,
    pub bio: Option<String>,
    pub avatar_updated_at: Option<i64>,
    /// When an operator disabled the account (it cannot sign in), if they did.
    pub disabled_at: Option<i64>,
}

/// New credentials after a password change.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub auth_hash: String,
    pub kdf: KdfParams,
    pub key_bundle: Vec<u8>,
}

fn parse_kdf(text: &str) -> StoreResult<KdfParams> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("kdf params: {e}")))
}

fn kdf_text(kdf: &KdfParams) -> String {
    serde_json::to_string(kdf).expect("KdfParams always serializes")
}

/// Row shape shared by both engines.
#[derive(sqlx::FromRow)]
pub(super) struct UserRow {
    id: uuid::Uuid,
    username: String,
    auth_hash: String,
    kdf: String,
    key_bundle: Vec<u8>,
    x25519_public: Vec<u8>,
    ed25519_public: Vec<u8>,
    created_at: i64,
    connect_key: Option<String>,
    display_name: Option<String>,
    bio: Option<String>,
    avatar_updated_at: Option<i64>,
    disabled_at: Option<i64>,
}

impl TryFrom<UserRow> for UserRecord {
    type Error = StoreError;
    fn try_from(r: UserRow) -> StoreResult<Self> {
        Ok(UserRecord {
            id: UserId(r.id),
            username: r.username,
            auth_hash: r.auth_hash,
            kdf: parse_kdf(&r.kdf)?,
            key_bundle: r.key_bundle,
            x25519_public: r.x25519_public,
            ed25519_public: r.ed25519_public,
            created_at: r.created_at,
            connect_key: r.connect_key,
            display_name: r.display_name,
            bio: r.bio,
            avatar_updated_at: r.avatar_updated_at,
            disabled_at: r.disabled_at,
        })
    }
}

const USER_COLUMNS: &str =
    "id, username, auth_hash, kdf, key_bundle, x25519_public, ed25519_public, \
    created_at, connect_key, display_name";
/// What reads return: the stored columns and the profile's.
const USER_SELECT: &str =
    "id, username, auth_hash, kdf, key_bundle, x25519_public, ed25519_public, \
    created_at, connect_key, display_name, bio, avatar_updated_at, disabled_at";

for_both_engines! {
    /// The realm id, if one was stored (reading only: a server whose disk is full
    /// still starts).
    pub async fn stored_realm_id(c: &mut Conn) -> StoreResult<Option<String>> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT value FROM meta WHERE key = 'realm_id'")
                .fetch_optional(&mut *c)
                .await?;
        Ok(row.map(|(v,)| v))
    }

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

    /// A value kept in `meta`, if there is one.
    pub async fn meta_value(c: &mut Conn, key: &str) -> StoreResult<Option<String>> {
        let row: Option<(String,)> = sqlx::query_as("SELECT value FROM meta WHERE key = $1")
            .bind(key)
            .fetch_optional(&mut *c)
            .await?;
        Ok(row.map(|(v,)| v))
    }

    /// Keeps `candidate` under `key` unless a value is there already; returns the one kept.
    pub async fn keep_meta_value(c: &mut Conn, key: &str, candidate: &str) -> StoreResult<String> {
        sqlx::query("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(key)
            .bind(candidate)
            .execute(&mut *c)
            .await?;
        let (v,): (String,) = sqlx::query_as("SELECT value FROM meta WHERE key = $1")
            .bind(key)
            .fetch_one(&mut *c)
            .await?;
        Ok(v)
    }

    /// How many accounts have each set of KDF parameters.
    pub async fn kdf_counts(c: &mut Conn) -> StoreResult<Vec<(KdfParams, u64)>> {
        let rows: Vec<(String, i64)> = sqlx::query_as("SELECT kdf, COUNT(*) FROM users GROUP BY kdf")
            .fetch_all(&mut *c)
            .await?;
        rows.iter()
            .map(|(kdf, n)| Ok((parse_kdf(kdf)?, u64::try_from(*n).unwrap_or(0))))
            .collect()
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

    /// Sets when the account was disabled (`None`: enabled); disabling ends its
    /// sessions in the same transaction. Says whether anything changed.
    pub async fn set_disabled(c: &mut Conn, id: UserId, at: Option<i64>) -> StoreResult<bool> {
        let (was,): (Option<i64>,) = sqlx::query_as("SELECT disabled_at FROM users WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&mut *c)
            .await?
            .ok_or(StoreError::NotFound)?;
        if at.is_some() {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(id.0)
                .execute(&mut *c)
                .await?;
        }
        if was.is_some() == at.is_some() {
            return Ok(false);
        }
        sqlx::query("UPDATE users SET disabled_at = $1 WHERE id = $2")
            .bind(at)
            .bind(id.0)
            .execute(&mut *c)
            .await?;
        Ok(true)
    }

    pub async fn delete_user(c: &mut Conn, id: UserId) -> StoreResult<()> {
        // Others' reactions to what they said go first (while their messages can still
        // be found), then what they said; the sequence numbers stay as tombstones.
        sqlx::query(
            "UPDATE messages SET deleted = 1, nonce = NULL, ciphertext = NULL, signature = NULL \
             WHERE deleted = 0 AND target IN (SELECT id FROM messages WHERE sender = $1 AND kind = 'message')",
        )
        .bind(id.0)
        .execute(&mut *c)
        .await?;
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
        // A group always keeps an admin, as when its last admin leaves: where they were
        // the only one, the longest-standing other member takes over.
        sqlx::query(
            "UPDATE chat_members SET role = 'admin' \
             WHERE chat_id IN (SELECT m.chat_id FROM chat_members m JOIN chats ch ON ch.id = m.chat_id \
                               WHERE m.user_id = $1 AND ch.kind = 'group') \
             AND user_id = (SELECT o.user_id FROM chat_members o WHERE o.chat_id = chat_members.chat_id \
                            AND o.user_id <> $1 ORDER BY o.joined_at, o.user_id LIMIT 1) \
             AND NOT EXISTS (SELECT 1 FROM chat_members a WHERE a.chat_id = chat_members.chat_id \
                             AND a.role = 'admin' AND a.user_id <> $1)",
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
}

//! What a backup keeps, read from one database and written into another, once for
//! both engines. Kept: `meta` (the realm id and the decoy secret, so passwords and
//! prelogin answers stay the same), accounts with their credentials and wrapped key
//! bundles, profiles and settings, contacts with the direct chats that back them
//! (their rows only: no message, no epoch key, and a new epoch is required), blocks,
//! and live invite links (their codes' hashes, so a link still works after a move).
//! Never sessions, requests, messages, epoch keys or attachments.

use crate::store::StoreResult;

/// Every column of an account, as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
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
    avatar: Option<Vec<u8>>,
    avatar_type: Option<String>,
    avatar_updated_at: Option<i64>,
    typing_indicators: i64,
    read_receipts: i64,
    default_timer_secs: i64,
    disabled_at: Option<i64>,
}

const USER_COLUMNS: &str = "id, username, auth_hash, kdf, key_bundle, x25519_public, \
    ed25519_public, created_at, connect_key, display_name, bio, avatar, avatar_type, \
    avatar_updated_at, typing_indicators, read_receipts, default_timer_secs, disabled_at";

/// A direct chat behind a contact: its numbering and timer, nothing of its keys.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChatRow {
    id: uuid::Uuid,
    created_at: i64,
    epoch: i64,
    seq: i64,
    last_activity_at: i64,
    timer_secs: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MemberRow {
    chat_id: uuid::Uuid,
    user_id: uuid::Uuid,
    role: String,
    joined_at: i64,
    joined_seq: i64,
    last_read_seq: i64,
}

/// Everything a backup keeps.
#[derive(Debug, Clone, Default)]
pub struct Kept {
    pub meta: Vec<(String, String)>,
    pub users: Vec<UserRow>,
    pub chats: Vec<ChatRow>,
    pub members: Vec<MemberRow>,
    /// (user_a, user_b, chat_id, created_at)
    pub connections: Vec<(uuid::Uuid, uuid::Uuid, uuid::Uuid, i64)>,
    /// (blocker, blocked, created_at)
    pub blocks: Vec<(uuid::Uuid, uuid::Uuid, i64)>,
    /// Live invite links: their codes' hashes, so a link keeps working after a move.
    pub invites: Vec<InviteRow>,
}

/// (id, code_hash, inviter, uses, uses_left, created_at, expires_at)
pub type InviteRow = (uuid::Uuid, Vec<u8>, Option<uuid::Uuid>, i64, i64, i64, i64);

/// The direct chats that back a contact.
const KEPT_CHATS: &str = "SELECT chat_id FROM connections";

for_both_engines! {
    /// Reads what a backup keeps (the caller holds one transaction, so it is one
    /// moment's state).
    pub async fn read_kept(c: &mut Conn) -> StoreResult<Kept> {
        Ok(Kept {
            meta: sqlx::query_as("SELECT key, value FROM meta ORDER BY key")
                .fetch_all(&mut *c)
                .await?,
            users: sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY username"))
                .fetch_all(&mut *c)
                .await?,
            chats: sqlx::query_as(&format!(
                "SELECT id, created_at, epoch, seq, last_activity_at, timer_secs FROM chats \
                 WHERE kind = 'direct' AND id IN ({KEPT_CHATS})"
            ))
            .fetch_all(&mut *c)
            .await?,
            members: sqlx::query_as(&format!(
                "SELECT chat_id, user_id, role, joined_at, joined_seq, last_read_seq \
                 FROM chat_members WHERE chat_id IN ({KEPT_CHATS})"
            ))
            .fetch_all(&mut *c)
            .await?,
            connections: sqlx::query_as("SELECT user_a, user_b, chat_id, created_at FROM connections")
                .fetch_all(&mut *c)
                .await?,
            blocks: sqlx::query_as("SELECT blocker, blocked, created_at FROM blocks")
                .fetch_all(&mut *c)
                .await?,
            invites: sqlx::query_as(
                "SELECT id, code_hash, inviter, uses, uses_left, created_at, expires_at FROM invites",
            )
            .fetch_all(&mut *c)
            .await?,
        })
    }

    /// Whether the database holds no account yet (a restore's target must not).
    pub async fn has_accounts(c: &mut Conn) -> StoreResult<bool> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users").fetch_one(&mut *c).await?;
        Ok(n > 0)
    }

    /// Writes what a backup keeps, row by row, into a database made by the
    /// migrations. Meta rows replace the ones a fresh server made for itself.
    pub async fn write_kept(c: &mut Conn, kept: Kept) -> StoreResult<()> {
        for (key, value) in &kept.meta {
            sqlx::query("INSERT INTO meta (key, value) VALUES ($1, $2) \
                         ON CONFLICT (key) DO UPDATE SET value = excluded.value")
                .bind(key)
                .bind(value)
                .execute(&mut *c)
                .await?;
        }
        for u in &kept.users {
            sqlx::query(&format!(
                "INSERT INTO users ({USER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
                 $10, $11, $12, $13, $14, $15, $16, $17, $18)"
            ))
            .bind(u.id).bind(&u.username).bind(&u.auth_hash).bind(&u.kdf).bind(&u.key_bundle)
            .bind(&u.x25519_public).bind(&u.ed25519_public).bind(u.created_at)
            .bind(&u.connect_key).bind(&u.display_name).bind(&u.bio).bind(&u.avatar)
            .bind(&u.avatar_type).bind(u.avatar_updated_at).bind(u.typing_indicators)
            .bind(u.read_receipts).bind(u.default_timer_secs).bind(u.disabled_at)
            .execute(&mut *c)
            .await?;
        }
        // No epoch key is kept: the chat's next sender opens a new epoch.
        for ch in &kept.chats {
            sqlx::query(
                "INSERT INTO chats (id, kind, created_at, epoch, epoch_opened_at, rotation_required, \
                 seq, meta, last_activity_at, timer_secs) \
                 VALUES ($1, 'direct', $2, $3, 0, 1, $4, NULL, $5, $6)",
            )
            .bind(ch.id).bind(ch.created_at).bind(ch.epoch).bind(ch.seq)
            .bind(ch.last_activity_at).bind(ch.timer_secs)
            .execute(&mut *c)
            .await?;
        }
        for m in &kept.members {
            sqlx::query(
                "INSERT INTO chat_members (chat_id, user_id, role, joined_at, joined_seq, last_read_seq) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(m.chat_id).bind(m.user_id).bind(&m.role).bind(m.joined_at)
            .bind(m.joined_seq).bind(m.last_read_seq)
            .execute(&mut *c)
            .await?;
        }
        for (a, b, chat, at) in &kept.connections {
            sqlx::query("INSERT INTO connections (user_a, user_b, chat_id, created_at) VALUES ($1, $2, $3, $4)")
                .bind(a).bind(b).bind(chat).bind(at)
                .execute(&mut *c)
                .await?;
        }
        for (blocker, blocked, at) in &kept.blocks {
            sqlx::query("INSERT INTO blocks (blocker, blocked, created_at) VALUES ($1, $2, $3)")
                .bind(blocker).bind(blocked).bind(at)
                .execute(&mut *c)
                .await?;
        }
        for (id, hash, inviter, uses, left, at, expires) in &kept.invites {
            sqlx::query(
                "INSERT INTO invites (id, code_hash, inviter, uses, uses_left, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(id).bind(hash).bind(inviter).bind(uses).bind(left).bind(at).bind(expires)
            .execute(&mut *c)
            .await?;
        }
        Ok(())
    }
}

impl Kept {
    /// Accounts, contacts (pairs) and blocks, for the summary line.
    pub fn counts(&self) -> (usize, usize, usize) {
        (self.users.len(), self.connections.len(), self.blocks.len())
    }
}

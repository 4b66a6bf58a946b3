//! The storage seam: one async trait, implemented by SQLite (embedded default) and
//! PostgreSQL (scale-out). Services talk only to [`Store`]; SQL lives only below here.

/// Compiles the same SQL functions once per engine's connection type (see ops.rs).
/// `uses(m, …);` first lets the items call sibling op modules by name, each for the
/// same engine as the caller.
macro_rules! for_both_engines {
    (uses($($sibling:ident),*); $($item:item)*) => {
        pub mod sqlite {
            use sqlx::SqliteConnection as Conn;
            use super::*;
            $(use super::super::$sibling::sqlite as $sibling;)*
            $($item)*
        }
        pub mod postgres {
            use sqlx::PgConnection as Conn;
            use super::*;
            $(use super::super::$sibling::postgres as $sibling;)*
            $($item)*
        }
    };
    ($($item:item)*) => {
        for_both_engines! { uses(); $($item)* }
    };
}

/// SQLite: writes run as one group-committed job, reads on a pooled reader.
macro_rules! sqlite_write {
    ($self:ident, |$c:ident| $body:expr) => {
        $self
            .writer()
            .await?
            .write(move |$c| Box::pin(async move { $body.await }))
            .await
    };
}

macro_rules! sqlite_read {
    ($self:ident, |$c:ident| $body:expr) => {{
        let mut conn = $self.readers.acquire().await?;
        let $c = &mut *conn;
        $body.await
    }};
}

/// PostgreSQL: each call is its own transaction.
macro_rules! pg_tx {
    ($self:ident, |$c:ident| $body:expr) => {{
        let mut tx = $self.pool.begin().await?;
        let $c = &mut *tx;
        let out = $body.await?;
        tx.commit().await?;
        Ok(out)
    }};
}

mod account_ops;
mod batch;
pub mod chat_ops;
mod chats;
mod connections;
pub mod message_ops;
pub mod ops;
mod postgres;
mod sqlite;
mod writer;

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use messgo_proto::{KdfParams, SessionId, UserId};

pub use chats::ChatStore;
pub use connections::ConnectionStore;
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was hit; the string names the rule (e.g. "username").
    #[error("conflict on {0}")]
    Conflict(&'static str),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// A rule checked inside the transaction refused the change (e.g. "not_admin").
    #[error("refused: {0}")]
    Rejected(&'static str),
    #[error("the store is shutting down")]
    Closed,
}

pub type StoreResult<T> = Result<T, StoreError>;

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
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub id: SessionId,
    pub user_id: UserId,
    pub token_hash: Vec<u8>,
    pub device: String,
    pub created_at: i64,
    pub last_seen_at: i64,
}

/// New credentials after a password change.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub auth_hash: String,
    pub kdf: KdfParams,
    pub key_bundle: Vec<u8>,
}

#[async_trait]
pub trait Store: ConnectionStore + ChatStore + Send + Sync + 'static {
    /// Returns the stored realm id, storing `candidate` first if there is none yet.
    async fn realm_id(&self, candidate: &str) -> StoreResult<String>;

    /// `Conflict("username")` or `Conflict("user_id")` when taken.
    async fn create_user(&self, user: &UserRecord) -> StoreResult<()>;
    async fn user_by_username(&self, username: &str) -> StoreResult<UserRecord>;
    async fn user_by_id(&self, id: UserId) -> StoreResult<UserRecord>;
    /// Replaces the credentials and, in the same transaction, revokes every session
    /// of the user except `keep`.
    async fn set_credentials(
        &self,
        id: UserId,
        creds: &Credentials,
        keep: SessionId,
    ) -> StoreResult<()>;
    /// Removes the user and, by cascade, everything of theirs.
    async fn delete_user(&self, id: UserId) -> StoreResult<()>;

    async fn create_session(&self, session: &SessionRecord) -> StoreResult<()>;
    async fn session_by_token_hash(&self, token_hash: &[u8]) -> StoreResult<SessionRecord>;
    async fn touch_session(&self, id: SessionId, now: i64) -> StoreResult<()>;
    async fn sessions_of(&self, user: UserId) -> StoreResult<Vec<SessionRecord>>;
    /// `NotFound` unless the session exists and belongs to `user`.
    async fn delete_session(&self, user: UserId, id: SessionId) -> StoreResult<()>;
    async fn delete_sessions_idle_since(&self, before: i64) -> StoreResult<u64>;

    /// Makes deleted data physically go (SQLite: incremental vacuum and a truncating
    /// WAL checkpoint; PostgreSQL: nothing to do here, autovacuum reclaims).
    async fn compact(&self) -> StoreResult<()>;

    /// Flushes pending writes and closes connections.
    async fn close(&self);
}

/// Opens the engine named by `database` (a `postgres://` URL), or the embedded SQLite
/// file in `data_dir` when none is given.
pub async fn open(database: Option<&str>, data_dir: &Path) -> StoreResult<Arc<dyn Store>> {
    match database {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            Ok(Arc::new(PostgresStore::connect(url).await?))
        }
        Some(url) => {
            let path = url.strip_prefix("sqlite://").unwrap_or(url);
            Ok(Arc::new(SqliteStore::open(Path::new(path)).await?))
        }
        None => Ok(Arc::new(
            SqliteStore::open(&data_dir.join("messgo.db")).await?,
        )),
    }
}

/// Maps a unique-constraint violation to `Conflict`, naming the column it concerns.
pub(crate) fn classify(err: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &err {
        if db.is_unique_violation() {
            let text = db.message().to_ascii_lowercase() + db.constraint().unwrap_or_default();
            let which = if text.contains("connect_key") {
                "connect_key"
            } else if text.contains("username") {
                "username"
            } else if text.contains("token") {
                "token"
            } else {
                "id"
            };
            return StoreError::Conflict(which);
        }
    }
    StoreError::Database(err)
}

fn parse_kdf(text: &str) -> StoreResult<KdfParams> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("kdf params: {e}")))
}

fn kdf_text(kdf: &KdfParams) -> String {
    serde_json::to_string(kdf).expect("KdfParams always serializes")
}

/// Row shape shared by both engines.
#[derive(sqlx::FromRow)]
struct UserRow {
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
        })
    }
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

const USER_COLUMNS: &str =
    "id, username, auth_hash, kdf, key_bundle, x25519_public, ed25519_public, \
    created_at, connect_key, display_name";
/// What reads return: the stored columns and the profile's.
const USER_SELECT: &str =
    "id, username, auth_hash, kdf, key_bundle, x25519_public, ed25519_public, \
    created_at, connect_key, display_name, bio, avatar_updated_at";
const SESSION_COLUMNS: &str = "id, user_id, token_hash, device, created_at, last_seen_at";

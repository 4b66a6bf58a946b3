//! The scale-out engine. PostgreSQL does its own group commit, so writes go straight
//! to the pool.

use async_trait::async_trait;
use messgo_proto::{SessionId, UserId};
use sqlx::postgres::{PgPool, PgPoolOptions};

use super::account_ops::postgres as ops;
use super::*;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

pub struct PostgresStore {
    pub(super) pool: PgPool,
}

impl PostgresStore {
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .connect(url)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(PostgresStore { pool })
    }
}

#[async_trait]
impl Store for PostgresStore {
    async fn realm_id(&self, candidate: &str) -> StoreResult<String> {
        pg_tx!(self, |c| ops::realm_id(c, candidate))
    }
    async fn create_user(&self, u: &UserRecord) -> StoreResult<()> {
        pg_tx!(self, |c| ops::create_user(c, u))
    }
    async fn user_by_username(&self, username: &str) -> StoreResult<UserRecord> {
        pg_tx!(self, |c| ops::user_by_username(c, username))
    }
    async fn user_by_id(&self, id: UserId) -> StoreResult<UserRecord> {
        pg_tx!(self, |c| ops::user_by_id(c, id))
    }
    async fn set_credentials(
        &self,
        id: UserId,
        creds: &Credentials,
        keep: SessionId,
    ) -> StoreResult<()> {
        pg_tx!(self, |c| ops::set_credentials(c, id, creds, keep))
    }
    async fn delete_user(&self, id: UserId) -> StoreResult<()> {
        pg_tx!(self, |c| ops::delete_user(c, id))
    }
    async fn create_session(&self, s: &SessionRecord) -> StoreResult<()> {
        pg_tx!(self, |c| ops::create_session(c, s))
    }
    async fn session_by_token_hash(&self, token_hash: &[u8]) -> StoreResult<SessionRecord> {
        pg_tx!(self, |c| ops::session_by_token_hash(c, token_hash))
    }
    async fn touch_session(&self, id: SessionId, now: i64) -> StoreResult<()> {
        pg_tx!(self, |c| ops::touch_session(c, id, now))
    }
    async fn sessions_of(&self, user: UserId) -> StoreResult<Vec<SessionRecord>> {
        pg_tx!(self, |c| ops::sessions_of(c, user))
    }
    async fn delete_session(&self, user: UserId, id: SessionId) -> StoreResult<()> {
        pg_tx!(self, |c| ops::delete_session(c, user, id))
    }
    async fn delete_sessions_idle_since(&self, before: i64) -> StoreResult<u64> {
        pg_tx!(self, |c| ops::delete_sessions_idle_since(c, before))
    }

    async fn compact(&self) -> StoreResult<()> {
        Ok(())
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}

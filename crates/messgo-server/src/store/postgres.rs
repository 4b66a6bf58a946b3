//! The scale-out engine. PostgreSQL does its own group commit, so writes go straight
//! to the pool.

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Connection};

use super::StoreResult;

pub(super) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

pub struct PostgresStore {
    pub pool: PgPool,
}

/// Connections a store keeps open at most unless told otherwise (`--database-pool`).
pub const POOL: u32 = 16;

impl PostgresStore {
    pub async fn connect(url: &str) -> StoreResult<Self> {
        Self::connect_with(url, POOL).await
    }

    /// Connects with a pool of at most `pool` connections.
    pub async fn connect_with(url: &str, pool: u32) -> StoreResult<Self> {
        let options = PgConnectOptions::from_str(url)?;
        // One direct connection first: a server that is down or refuses us fails here
        // at once, with its own reason. The pool would retry for its acquire timeout
        // (30 s) and then say only "pool timed out".
        options.connect().await?.close().await?;
        let pool = PgPoolOptions::new()
            .max_connections(pool)
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(PostgresStore { pool })
    }
}

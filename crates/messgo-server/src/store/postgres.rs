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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreError;

    /// Like SQLite's (sqlite.rs): an older binary must not run on a schema it does not
    /// know. Needs the machine's PostgreSQL (MESSGO_TEST_POSTGRES, as the suites).
    #[tokio::test]
    async fn a_database_from_a_newer_version_is_refused() {
        let admin = std::env::var("MESSGO_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let name = format!("messgo_t_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
        let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
        let store = PostgresStore::connect_with(&url, 2).await.unwrap();
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (9999, 'from the future', true, '\\x00', 0)",
        )
        .execute(&store.pool)
        .await
        .unwrap();
        store.pool.close().await;
        let refused = PostgresStore::connect_with(&url, 2).await;
        sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
            .execute(&mut conn)
            .await
            .unwrap();
        match refused {
            Err(e @ StoreError::Migrate(sqlx::migrate::MigrateError::VersionMissing(9999))) => {
                let said = e.to_string();
                assert!(said.contains("migrated by a newer MessGo"), "{said}");
            }
            Err(other) => panic!("unexpected error: {other}"),
            Ok(_) => panic!("a newer database must not be opened by an older binary"),
        }
    }
}

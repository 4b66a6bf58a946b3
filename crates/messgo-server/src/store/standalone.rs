//! Connections outside a running store, for tools that copy a database's rows
//! (`messgo backup` and `restore`): a fresh SQLite file made by the migrations, a
//! read-only look at a SQLite file a server may be using, and one PostgreSQL
//! connection. None of them starts a writer or touches the message log.

use std::path::Path;
use std::str::FromStr;

use sqlx::postgres::PgConnectOptions;
use sqlx::sqlite::{SqliteAutoVacuum, SqliteConnectOptions, SqliteJournalMode};
use sqlx::{ConnectOptions, Connection, PgConnection, SqliteConnection};

use super::{StoreError, StoreResult};

/// A new SQLite file at `path` (absent, or empty: made by the caller with the mode it wants), with the main schema from the
/// migrations, the server's settings (incremental auto-vacuum, secure delete), and a
/// rollback journal rather than a WAL, so the file is the whole database once closed.
pub async fn fresh_sqlite(path: &Path) -> StoreResult<SqliteConnection> {
    if std::fs::metadata(path).is_ok_and(|m| m.len() > 0) {
        return Err(StoreError::Corrupt(format!(
            "{} exists already",
            path.display()
        )));
    }
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .auto_vacuum(SqliteAutoVacuum::Incremental)
        .journal_mode(SqliteJournalMode::Delete)
        .foreign_keys(true)
        .pragma("secure_delete", "ON")
        .connect()
        .await?;
    super::sqlite::MIGRATOR.run_direct(&mut conn).await?;
    Ok(conn)
}

/// Reads `path` without writing to it (a running server may hold it: its WAL is
/// read like any reader would).
pub async fn read_sqlite(path: &Path) -> StoreResult<SqliteConnection> {
    if !path.exists() {
        return Err(StoreError::NotFound);
    }
    Ok(SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .connect()
        .await?)
}

/// One PostgreSQL connection, without running migrations.
pub async fn postgres(url: &str) -> StoreResult<PgConnection> {
    Ok(PgConnectOptions::from_str(url)?.connect().await?)
}

/// Starts a read-only transaction that sees one moment of a PostgreSQL database.
pub async fn postgres_snapshot(
    conn: &mut PgConnection,
) -> StoreResult<sqlx::Transaction<'_, sqlx::Postgres>> {
    let mut tx = conn.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

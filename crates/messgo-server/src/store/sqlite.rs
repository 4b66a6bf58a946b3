//! The embedded engine: one SQLite file in WAL mode, `synchronous=FULL` (acknowledged
//! means on disk), `secure_delete=ON` and incremental auto-vacuum (deleted bytes are
//! overwritten and can be given back), foreign keys on. Reads use a small pool; all
//! writes go through the group-committing [`Writer`].

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::sqlite::{
    SqliteAutoVacuum, SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{ConnectOptions, Sqlite};
use tokio::sync::Mutex;

use super::writer::{WriteJob, Writer};
use super::{StoreError, StoreResult};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

pub struct SqliteStore {
    pub(super) readers: SqlitePool,
    writer: Mutex<Option<Writer>>,
    writer_task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl SqliteStore {
    pub async fn open(path: &Path) -> StoreResult<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            create_private_dir(dir).map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
        }
        let options = SqliteConnectOptions::from_str("sqlite://")?
            .filename(path)
            .create_if_missing(true)
            .auto_vacuum(SqliteAutoVacuum::Incremental)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .pragma("secure_delete", "ON")
            // Under load the same index pages are rewritten by every commit; a longer
            // WAL lets a checkpoint copy each page once for many commits (40 MB at
            // most; the sweeps' TRUNCATE checkpoint still empties it after deletes).
            .pragma("wal_autocheckpoint", "10000")
            // Index pages are touched by every batch: keep them in SQLite's own cache
            // (32 MiB at most per connection) rather than re-reading them with a
            // system call each (the default is 2 MiB).
            .pragma("cache_size", "-32768")
            // Every job runs in a SAVEPOINT, so SQLite keeps the original of each page
            // it changes for a rollback; past 64 KiB that copy spills into a temporary
            // file, a system call per page. In memory it is a copy.
            .pragma("temp_store", "MEMORY")
            // Rows come back from SQLite's thread through a bounded channel; once it
            // is full, every further row is a thread switch each way. The batch
            // append reads a row per chat and member, so let a whole answer through.
            .row_buffer_size(4096)
            // The batch append's statements come in a few dozen sizes (messages/pipeline/batch.rs);
            // keep them all prepared beside everything else.
            .statement_cache_capacity(256)
            .busy_timeout(Duration::from_secs(10))
            .log_statements(tracing::log::LevelFilter::Trace);

        let mut conn = options.connect().await?;
        MIGRATOR.run(&mut conn).await?;
        let (writer, task) = Writer::start(conn);
        let readers = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        Ok(SqliteStore {
            readers,
            writer: Mutex::new(Some(writer)),
            writer_task: Mutex::new(Some(task)),
        })
    }

    pub(super) async fn writer(&self) -> StoreResult<Writer> {
        self.writer.lock().await.clone().ok_or(StoreError::Closed)
    }

    /// A pooled reader connection (reads never wait for the writer in WAL mode).
    pub async fn reader(&self) -> StoreResult<PoolConnection<Sqlite>> {
        Ok(self.readers.acquire().await?)
    }

    /// Runs `job` inside the writer's next group-committed transaction and returns
    /// its result once that transaction is durable.
    pub async fn write<T: Send + 'static>(&self, job: impl WriteJob<T>) -> StoreResult<T> {
        self.writer().await?.write(job).await
    }

    /// Like [`write`](Self::write), for a job that only appends messages and keeps
    /// whatever it caches up to date itself (see [`Writer::append`]).
    pub async fn append<T: Send + 'static>(&self, job: impl WriteJob<T>) -> StoreResult<T> {
        self.writer().await?.append(job).await
    }

    /// The writer's generation counter (see [`Writer::generation`]).
    pub async fn generation(&self) -> StoreResult<Arc<std::sync::atomic::AtomicU64>> {
        Ok(self.writer().await?.generation())
    }

    pub(super) async fn close(&self) {
        // Readers first, so the writer's final checkpoint finds nobody in the WAL;
        // then dropping the last Writer lets its task drain, checkpoint and close.
        self.readers.close().await;
        self.writer.lock().await.take();
        if let Some(task) = self.writer_task.lock().await.take() {
            if let Err(e) = task.await {
                tracing::error!(error = %e, "SQLite writer task failed");
            }
        }
    }
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

#[cfg(test)]
mod tests {
    use sqlx::Connection;

    use super::*;

    #[tokio::test]
    async fn settings_are_the_ones_the_promises_need() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("m.db")).await.unwrap();
        let get = |sql: &'static str| {
            let pool = store.readers.clone();
            async move {
                let (v,): (String,) = sqlx::query_as(&format!("SELECT CAST(({sql}) AS TEXT)"))
                    .fetch_one(&pool)
                    .await
                    .unwrap();
                v
            }
        };
        assert_eq!(
            get("SELECT journal_mode FROM pragma_journal_mode").await,
            "wal"
        );
        assert_eq!(
            get("SELECT synchronous FROM pragma_synchronous").await,
            "2",
            "FULL"
        );
        assert_eq!(
            get("SELECT secure_delete FROM pragma_secure_delete").await,
            "1"
        );
        assert_eq!(
            get("SELECT auto_vacuum FROM pragma_auto_vacuum").await,
            "2",
            "INCREMENTAL"
        );
        assert_eq!(
            get("SELECT foreign_keys FROM pragma_foreign_keys").await,
            "1"
        );
        store.close().await;
    }

    /// Migration 0009 defers the messages' foreign keys to the commit (so the batch
    /// append needs no statement journal); they must still hold there.
    #[tokio::test]
    async fn a_message_without_its_chat_fails_at_commit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.db");
        SqliteStore::open(&path).await.unwrap().close().await;
        let mut conn = SqliteConnectOptions::new()
            .filename(&path)
            .foreign_keys(true)
            .connect()
            .await
            .unwrap();
        sqlx::query("BEGIN").execute(&mut conn).await.unwrap();
        sqlx::query(
            "INSERT OR FAIL INTO messages (chat_id, seq, id, epoch, kind, created_at, expires_at) \
             VALUES (x'00', 1, x'01', 0, 'message', 0, 1)",
        )
        .execute(&mut conn)
        .await
        .expect("checked at commit, not here");
        let err = sqlx::query("COMMIT").execute(&mut conn).await.unwrap_err();
        assert!(err.to_string().contains("FOREIGN KEY"), "{err}");
        sqlx::query("ROLLBACK").execute(&mut conn).await.unwrap();
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM messages")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(n, 0);
    }

    /// `.cargo/config.toml` hands SQLite's build its flags; a build that lost them
    /// would still pass every other test, only slower.
    #[tokio::test]
    async fn sqlite_is_built_without_memory_statistics() {
        let mut conn = SqliteConnectOptions::from_str("sqlite::memory:")
            .unwrap()
            .connect()
            .await
            .unwrap();
        let options: Vec<(String,)> =
            sqlx::query_as("SELECT compile_options FROM pragma_compile_options")
                .fetch_all(&mut conn)
                .await
                .unwrap();
        assert!(
            options.iter().any(|(o,)| o == "DEFAULT_MEMSTATUS=0"),
            "compiled with {options:?}"
        );
    }

    #[tokio::test]
    async fn a_database_from_a_newer_version_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.db");
        SqliteStore::open(&path).await.unwrap().close().await;
        let mut conn = SqliteConnectOptions::new()
            .filename(&path)
            .connect()
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (9999, 'from the future', 1, x'00', 0)",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();
        match SqliteStore::open(&path).await {
            Err(StoreError::Migrate(sqlx::migrate::MigrateError::VersionMissing(9999))) => {}
            Err(other) => panic!("unexpected error: {other}"),
            Ok(_) => panic!("a newer database must not be opened by an older binary"),
        }
    }
}

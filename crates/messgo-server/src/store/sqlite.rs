//! The embedded engine: one SQLite file in WAL mode, `synchronous=FULL` (acknowledged
//! means on disk; a group of message appends relies on the message log's sync
//! instead, writer.rs), `secure_delete=ON` and incremental auto-vacuum (deleted bytes are
//! overwritten and can be given back), foreign keys on. Reads use a small pool; all
//! writes go through the group-committing [`Writer`].
//!
//! A disk so full that the database cannot even be opened for writing (SQLite must
//! create its `-shm` and `-wal` files, and replay a WAL left by a crash) does not
//! stop the server: it opens the file read-only and serves what is stored, every
//! write answers [`StoreError::Full`], and the next write a while after the last try
//! (`--full-disk-retry`, 5 s by default) tries to open the writer again, so sends
//! resume once there is room.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use sqlx::pool::PoolConnection;
use sqlx::sqlite::{
    SqliteAutoVacuum, SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{ConnectOptions, Sqlite};
use tokio::sync::Mutex;

use super::log::MessageLog;
use super::sqlite_files::{create_private_dir, has_room, has_wal};
use super::writer::{WriteJob, Writer};
use super::{StoreError, StoreResult};
use crate::metrics::CommitStats;

use sqlx::migrate::Migrator;

pub(super) static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");
/// The attachments' own file (see `Db::open_blobs`).
static BLOBS_MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite-blobs");

/// Which schema a SQLite file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    /// Everything but attachments' bytes.
    Main,
    /// Attachments' encrypted chunks.
    Blobs,
}

impl Schema {
    /// Each reader's page cache (the writer keeps 32 MiB, below). Readers read history
    /// pages and attachments' chunks once each, so a large cache per reader mostly
    /// holds what will not be read again, and four of them add up: 8 MiB for the
    /// main file, 1 MiB for the attachments' (a 10 MiB download would otherwise
    /// fill a reader's cache with chunks already sent).
    fn reader_cache(self) -> &'static str {
        match self {
            Schema::Main => "-8192",
            Schema::Blobs => "-1024",
        }
    }

    fn migrator(self) -> &'static Migrator {
        match self {
            Schema::Main => &MIGRATOR,
            Schema::Blobs => &BLOBS_MIGRATOR,
        }
    }
}

/// How often a store opened read-only (the disk was full) tries again to open for
/// writing, when a write asks, unless set otherwise.
const RETRY_WRITER: Duration = Duration::from_secs(5);

/// A store opened for writing: its writer, the writer's task, and the readers.
type Opened = StoreResult<(Writer, tokio::task::JoinHandle<()>, SqlitePool)>;

pub struct SqliteStore {
    path: PathBuf,
    schema: Schema,
    /// Swapped once, when a store opened read-only gets its writer: read-only
    /// connections that found no `-shm` keep their WAL index in memory and would not
    /// see a writer's commits.
    readers: RwLock<SqlitePool>,
    writer: Mutex<Option<Writer>>,
    writer_task: Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// When a read-only store last tried to open for writing (`None`: it has a writer
    /// or never had one to try for).
    read_only_since: Mutex<Option<Instant>>,
    /// Whether the last write failed for want of space (a later one that commits
    /// clears it).
    full: AtomicBool,
    /// How long after a failed try to open for writing a write may try again.
    retry_writer: std::sync::Mutex<Duration>,
    /// The message log (sqlite_log.rs), on the main database only.
    pub(super) log: Option<MessageLog>,
    /// The checkpoint task beside the writer (checkpoint.rs), on the main database.
    checkpointer: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// The writer's group commits (every writer this store opens records here).
    stats: CommitStats,
}

impl SqliteStore {
    pub async fn open(path: &Path, schema: Schema) -> StoreResult<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            create_private_dir(dir).map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
        }
        let mut store = Self::open_store(path, schema).await?;
        if schema == Schema::Main {
            store.open_log().await?;
            if store.writer.lock().await.is_some() {
                store.start_checkpoints().await?;
            }
        }
        Ok(store)
    }

    /// Starts (or restarts) the checkpoint task beside the writer.
    async fn start_checkpoints(&self) -> StoreResult<()> {
        let task = super::checkpoint::start(Self::options(&self.path)).await?;
        let old = self
            .checkpointer
            .lock()
            .expect("checkpointer lock")
            .replace(task);
        if let Some(old) = old {
            old.abort();
        }
        Ok(())
    }

    async fn open_store(path: &Path, schema: Schema) -> StoreResult<Self> {
        let stats = CommitStats::default();
        match Self::open_for_writing(path, schema, stats.clone()).await {
            Ok((writer, task, readers)) => Ok(SqliteStore {
                path: path.to_owned(),
                schema,
                readers: RwLock::new(readers),
                writer: Mutex::new(Some(writer)),
                writer_task: Mutex::new(Some(task)),
                read_only_since: Mutex::new(None),
                full: AtomicBool::new(false),
                retry_writer: std::sync::Mutex::new(RETRY_WRITER),
                log: None,
                checkpointer: std::sync::Mutex::new(None),
                stats,
            }),
            Err(e) if e.is_full_at_open() && path.exists() => {
                let readers = Self::open_read_only(path).await?;
                tracing::error!(
                    "the disk holding the database is full: serving read-only (history is \
                     read, every change answers storage_full) until there is room; writing \
                     resumes by itself"
                );
                Ok(SqliteStore {
                    path: path.to_owned(),
                    schema,
                    readers: RwLock::new(readers),
                    writer: Mutex::new(None),
                    writer_task: Mutex::new(None),
                    read_only_since: Mutex::new(Some(Instant::now())),
                    full: AtomicBool::new(true),
                    retry_writer: std::sync::Mutex::new(RETRY_WRITER),
                    log: None,
                    checkpointer: std::sync::Mutex::new(None),
                    stats,
                })
            }
            Err(e) => Err(e),
        }
    }

    /// Readers for a disk too full to write. SQLite reads a WAL database read-only
    /// only if it can create the `-shm` file, unless the file is opened as immutable,
    /// which is exact when no WAL is left (a clean stop removes it).
    async fn open_read_only(path: &Path) -> StoreResult<SqlitePool> {
        let pool = |options: SqliteConnectOptions| {
            SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(options)
        };
        let options = Self::options(path).read_only(true);
        match pool(options.clone()).await.map_err(StoreError::from) {
            Err(e) if e.is_full_at_open() && !has_wal(path) => {
                Ok(pool(options.immutable(true)).await?)
            }
            opened => opened,
        }
    }

    /// The writer's group commits, for the metrics.
    pub fn commit_stats(&self) -> CommitStats {
        self.stats.clone()
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Sets how long after a failed try to open for writing a write may try again.
    pub fn set_retry_writer(&self, every: Duration) {
        *self.retry_writer.lock().expect("retry lock") = every;
    }

    fn retry_writer(&self) -> Duration {
        *self.retry_writer.lock().expect("retry lock")
    }

    /// Whether the store is out of room: opened read-only, or its last write failed
    /// for want of space. Reads are served; changes answer [`StoreError::Full`].
    pub fn full(&self) -> bool {
        self.full.load(Ordering::Relaxed)
    }

    /// Notes whether a write found room.
    fn noting_room<T>(&self, result: StoreResult<T>) -> StoreResult<T> {
        match &result {
            Ok(_) => self.full.store(false, Ordering::Relaxed),
            Err(StoreError::Full) => self.full.store(true, Ordering::Relaxed),
            Err(_) => {}
        }
        result
    }

    async fn open_for_writing(path: &Path, schema: Schema, stats: CommitStats) -> Opened {
        has_room(path)?;
        let options = Self::options(path)
            .create_if_missing(true)
            .auto_vacuum(SqliteAutoVacuum::Incremental)
            .journal_mode(SqliteJournalMode::Wal);
        // The attachments' writer appends chunks it will not touch again.
        let writer_options = match schema {
            // Checkpoints run beside the writer (checkpoint.rs), not in its commits.
            Schema::Main => options.clone().pragma("wal_autocheckpoint", "0"),
            Schema::Blobs => options.clone().pragma("cache_size", "-2048"),
        };
        let mut conn = writer_options.connect().await?;
        // `run_direct`: `run`'s generic `Acquire` keeps a caller's future from being
        // provably `Send`, and a write may reopen the store from any task.
        schema.migrator().run_direct(&mut conn).await?;
        let (writer, task) = Writer::start(conn, schema == Schema::Main, stats);
        let readers = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.pragma("cache_size", schema.reader_cache()))
            .await?;
        Ok((writer, task, readers))
    }

    /// What every connection sets, for writing or reading only.
    fn options(path: &Path) -> SqliteConnectOptions {
        SqliteConnectOptions::new()
            .filename(path)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .pragma("secure_delete", "ON")
            // Under load the same index pages are rewritten by every commit; a longer
            // WAL lets a checkpoint copy each page once for many commits (40 MB at
            // most; the sweeps' TRUNCATE checkpoint still empties it after deletes).
            // The main database's writer turns it off: its checkpoints run beside it.
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
            .log_statements(tracing::log::LevelFilter::Trace)
    }

    pub(super) async fn writer(&self) -> StoreResult<Writer> {
        if let Some(writer) = self.writer.lock().await.clone() {
            return Ok(writer);
        }
        let mut since = self.read_only_since.lock().await;
        // Another write may have reopened it while this one waited for the lock.
        if let Some(writer) = self.writer.lock().await.clone() {
            return Ok(writer);
        }
        match *since {
            // Closed for good (shutting down), not for want of space.
            None => Err(StoreError::Closed),
            Some(tried) if tried.elapsed() < self.retry_writer() => Err(StoreError::Full),
            Some(_) => {
                *since = Some(Instant::now());
                let (writer, task, readers) =
                    match Self::open_for_writing(&self.path, self.schema, self.stats.clone()).await
                    {
                        Ok(opened) => opened,
                        Err(e) if e.is_full_at_open() => return Err(StoreError::Full),
                        Err(e) => return Err(e),
                    };
                let old =
                    std::mem::replace(&mut *self.readers.write().expect("readers lock"), readers);
                old.close().await;
                *self.writer_task.lock().await = Some(task);
                *self.writer.lock().await = Some(writer.clone());
                *since = None;
                if self.schema == Schema::Main {
                    self.start_checkpoints().await?;
                }
                tracing::info!("there is room on the disk again: writing resumes");
                Ok(writer)
            }
        }
    }

    /// A pooled reader connection (reads never wait for the writer in WAL mode).
    pub async fn reader(&self) -> StoreResult<PoolConnection<Sqlite>> {
        let pool = self.readers.read().expect("readers lock").clone();
        Ok(pool.acquire().await?)
    }

    /// Runs `job` inside the writer's next group-committed transaction and returns
    /// its result once that transaction is durable.
    pub async fn write<T: Send + 'static>(&self, job: impl WriteJob<T>) -> StoreResult<T> {
        let result = match self.writer().await {
            Ok(writer) => writer.write(job).await,
            Err(e) => Err(e),
        };
        self.noting_room(result)
    }

    /// Like [`write`](Self::write), for a job that only appends messages and keeps
    /// whatever it caches up to date itself (see [`Writer::append`]).
    pub async fn append<T: Send + 'static>(&self, job: impl WriteJob<T>) -> StoreResult<T> {
        let result = match self.writer().await {
            Ok(writer) => writer.append(job).await,
            Err(e) => Err(e),
        };
        self.noting_room(result)
    }

    /// The writer's generation counter (see [`Writer::generation`]).
    pub async fn generation(&self) -> StoreResult<Arc<std::sync::atomic::AtomicU64>> {
        Ok(self.writer().await?.generation())
    }

    pub(super) async fn close(&self) {
        // Readers first, so the writer's final checkpoint finds nobody in the WAL;
        // then dropping the last Writer lets its task drain, checkpoint and close.
        // The read-only mark first: a reopen under way finishes before the readers
        // it installs are closed.
        self.read_only_since.lock().await.take();
        if let Some(task) = self.checkpointer.lock().expect("checkpointer lock").take() {
            task.abort();
        }
        let readers = self.readers.read().expect("readers lock").clone();
        readers.close().await;
        self.writer.lock().await.take();
        if let Some(task) = self.writer_task.lock().await.take() {
            if let Err(e) = task.await {
                tracing::error!(error = %e, "SQLite writer task failed");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use sqlx::Connection;

    use super::*;
    use std::str::FromStr;

    #[tokio::test]
    async fn checkpoints_run_beside_the_writer_not_in_its_commits() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let store = SqliteStore::open(&path, Schema::Main).await.unwrap();
        let auto: i64 = store
            .write(|c| {
                Box::pin(async move {
                    let (n,): (i64,) = sqlx::query_as("PRAGMA wal_autocheckpoint")
                        .fetch_one(&mut *c)
                        .await?;
                    sqlx::query("CREATE TABLE filler (b BLOB NOT NULL)")
                        .execute(&mut *c)
                        .await?;
                    sqlx::query("INSERT INTO filler VALUES (zeroblob(4000000))")
                        .execute(&mut *c)
                        .await?;
                    Ok(n)
                })
            })
            .await
            .unwrap();
        assert_eq!(auto, 0, "the writer's commits never checkpoint");
        // The 4 MB are in the WAL; the checkpoint task copies them into the file.
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::fs::metadata(&path).unwrap().len() < 4_000_000 {
            assert!(
                Instant::now() < deadline,
                "no checkpoint ran beside the writer"
            );
            // The checkpoint is the store's own task: let it run.
            tokio::task::yield_now().await;
        }
        store.close().await;
    }

    #[tokio::test]
    async fn settings_are_the_ones_the_promises_need() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("m.db"), Schema::Main)
            .await
            .unwrap();
        let get = |sql: &'static str| {
            let pool = store.readers.read().unwrap().clone();
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
        SqliteStore::open(&path, Schema::Main)
            .await
            .unwrap()
            .close()
            .await;
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
        SqliteStore::open(&path, Schema::Main)
            .await
            .unwrap()
            .close()
            .await;
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
        match SqliteStore::open(&path, Schema::Main).await {
            Err(e @ StoreError::Migrate(sqlx::migrate::MigrateError::VersionMissing(9999))) => {
                let said = e.to_string();
                assert!(said.contains("migrated by a newer MessGo"), "{said}");
            }
            Err(other) => panic!("unexpected error: {other}"),
            Ok(_) => panic!("a newer database must not be opened by an older binary"),
        }
    }
}

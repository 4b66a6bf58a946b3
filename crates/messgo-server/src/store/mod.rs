//! Storage plumbing, and nothing of any feature: the two engines (SQLite embedded by
//! default, PostgreSQL to scale out), their migrations, SQLite's group-committing
//! writer, the error type, and the two macros every capability's SQL goes through:
//!
//! - [`for_both_engines!`] compiles a capability's SQL functions once per engine's
//!   connection type (sqlx's `SqliteConnection` and `PgConnection` differ), so the
//!   SQL is written once;
//! - [`db_run!`](crate::db_run) picks the engine at the call site and runs one such
//!   function there: on SQLite a read takes a pooled reader and a write joins the
//!   writer's next group commit; on PostgreSQL each call is its own transaction.
//!
//! A new query is one function in the capability's `sql.rs` and one `db_run!` where
//! it is used; nothing here changes.

/// Compiles the same SQL functions once per engine's connection type, as
/// `sqlite::f` and `postgres::f`. `uses(crate::chats::sql as chat_sql);` first lets
/// the items call another SQL module by that name, for the same engine as the
/// caller.
#[macro_export]
macro_rules! for_both_engines {
    (uses($($($seg:ident)::+ as $alias:ident),*); $($item:item)*) => {
        pub mod sqlite {
            #[allow(unused_imports)]
            use sqlx::SqliteConnection as Conn;
            #[allow(unused_imports)]
            use super::*;
            $(use $($seg)::+::sqlite as $alias;)*
            $($item)*
        }
        pub mod postgres {
            #[allow(unused_imports)]
            use sqlx::PgConnection as Conn;
            #[allow(unused_imports)]
            use super::*;
            $(use $($seg)::+::postgres as $alias;)*
            $($item)*
        }
    };
    ($($item:item)*) => {
        $crate::for_both_engines! { uses(); $($item)* }
    };
}

/// Runs one SQL function of a capability on whichever engine `db` (a [`Db`]) is,
/// handing it the connection as its first argument:
/// `db_run!(db, read, sql::chat_for(user, chat))` or
/// `db_run!(db, write, sql::create_user(&user))`, where `sql` is the capability's
/// SQL module (made by [`for_both_engines!`]) in scope by one name.
///
/// A SQLite write runs on the writer's task, so its arguments must be owned by the
/// caller (clone a borrowed record first); it is durable when this returns.
#[macro_export]
macro_rules! db_run {
    ($db:expr, read, $m:ident :: $f:ident ( $($arg:expr),* $(,)? )) => {
        match &$db {
            $crate::store::Db::Sqlite(engine) => {
                async {
                    let mut conn = engine.reader().await?;
                    $m::sqlite::$f(&mut *conn, $($arg),*).await
                }
                .await
            }
            $crate::store::Db::Postgres(engine) => {
                $crate::db_run!(@pg engine, c, $m::postgres::$f(c, $($arg),*))
            }
        }
    };
    ($db:expr, write, $m:ident :: $f:ident ( $($arg:expr),* $(,)? )) => {
        match &$db {
            $crate::store::Db::Sqlite(engine) => {
                engine
                    .write(move |c| Box::pin(async move { $m::sqlite::$f(c, $($arg),*).await }))
                    .await
            }
            $crate::store::Db::Postgres(engine) => {
                $crate::db_run!(@pg engine, c, $m::postgres::$f(c, $($arg),*))
            }
        }
    };
    // A write nobody depends on surviving a power loss (a session's "last seen"):
    // on SQLite it joins the writer like an append (no new generation, and a group
    // of such writes does not wait for the disk); PostgreSQL runs it as any write.
    ($db:expr, relaxed, $m:ident :: $f:ident ( $($arg:expr),* $(,)? )) => {
        match &$db {
            $crate::store::Db::Sqlite(engine) => {
                engine
                    .append(move |c| Box::pin(async move { $m::sqlite::$f(c, $($arg),*).await }))
                    .await
            }
            $crate::store::Db::Postgres(engine) => {
                $crate::db_run!(@pg engine, c, $m::postgres::$f(c, $($arg),*))
            }
        }
    };
    (@pg $engine:ident, $c:ident, $call:expr) => {
        async {
            let mut tx = $engine.pool.begin().await?;
            let out = {
                let $c = &mut *tx;
                $call.await?
            };
            tx.commit().await?;
            Ok::<_, $crate::store::StoreError>(out)
        }
        .await
    };
}

mod checkpoint;
mod lock;
pub mod log;
mod postgres;
mod sqlite;
mod sqlite_files;
mod sqlite_log;
pub mod standalone;
pub mod writer;

use sqlx::migrate::MigrateError;
use std::path::Path;
use std::sync::Arc;

pub use lock::{DbLock, LockError};
pub use postgres::PostgresStore;
pub use sqlite::{Schema, SqliteStore};
pub use sqlite_log::log_dir;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was hit.
    #[error("conflict on {0:?}")]
    Conflict(Unique),
    #[error("database error: {0}")]
    Database(sqlx::Error),
    /// The disk (or SQLite's page limit) is full: nothing of the write was stored.
    #[error("the database's storage is full")]
    Full,
    #[error("{}", migrate_problem(.0))]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// A rule checked inside the transaction refused the change.
    #[error("refused: {0}")]
    Rejected(crate::refusal::Refusal),
    /// The transaction a write joined did not commit (it is reported for every job
    /// in it); nothing of it was stored.
    #[error("the write was not committed")]
    NotCommitted,
    #[error("the store is shutting down")]
    Closed,
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A migration the database has and this binary lacks comes from a newer MessGo:
/// the operator must hear that, not sqlx's wording. The migrator checks before it
/// applies anything, so nothing was changed.
fn migrate_problem(e: &MigrateError) -> String {
    if let MigrateError::VersionMissing(version) = e {
        format!(
            "the database was migrated by a newer MessGo (migration {version}, unknown to \
             this version); nothing was changed: run that version or a newer one"
        )
    } else {
        format!("migration error: {e}")
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if is_full(&e) {
            StoreError::Full
        } else {
            StoreError::Database(e)
        }
    }
}

/// SQLite's SQLITE_FULL (13: the disk, or `max_page_count`), PostgreSQL's
/// `disk_full` (53100), or the system's "no space left on device".
fn is_full(e: &sqlx::Error) -> bool {
    if let sqlx::Error::Database(db) = e {
        return matches!(db.code().as_deref(), Some("13" | "53100"));
    }
    if let sqlx::Error::Io(io) = e {
        return io.kind() == std::io::ErrorKind::StorageFull;
    }
    false
}

impl StoreError {
    /// Whether opening the database failed for want of space: full, or SQLite could
    /// not grow its `-shm` file (which a full disk causes), also while migrating.
    pub fn is_full_at_open(&self) -> bool {
        let e = match self {
            StoreError::Full => return true,
            StoreError::Database(e) | StoreError::Migrate(MigrateError::Execute(e)) => e,
            StoreError::NotFound
            | StoreError::Conflict(_)
            | StoreError::Migrate(_)
            | StoreError::Corrupt(_)
            | StoreError::Rejected(_)
            | StoreError::NotCommitted
            | StoreError::Closed => return false,
        };
        // SQLITE_IOERR_SHMSIZE: the `-shm` file could not grow (a full disk); other
        // I/O errors may be a failing disk, which read-only would hide.
        is_full(e) || matches!(e, sqlx::Error::Database(db) if db.code().as_deref() == Some("4874"))
    }

    /// What each job of a write that failed as a whole hears: the same reason when
    /// it is one they can act on (storage full, shutting down), else NotCommitted.
    pub fn for_each_job(&self) -> StoreError {
        match self {
            StoreError::Full => StoreError::Full,
            StoreError::Closed => StoreError::Closed,
            StoreError::NotFound
            | StoreError::Conflict(_)
            | StoreError::Database(_)
            | StoreError::Migrate(_)
            | StoreError::Corrupt(_)
            | StoreError::Rejected(_)
            | StoreError::NotCommitted => StoreError::NotCommitted,
        }
    }
}

/// Which uniqueness rule a write hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unique {
    Username,
    ConnectKey,
    SessionToken,
    /// A primary key: an id the client chose (a user id, a message id).
    Id,
}

/// The open database: which engine, and its connections. Cheap to clone.
#[derive(Clone)]
pub enum Db {
    Sqlite(Arc<SqliteStore>),
    Postgres(Arc<PostgresStore>),
}

impl Db {
    /// Opens the engine named by `database` (a `postgres://` URL, with at most `pool`
    /// connections, or a SQLite file), or the embedded SQLite file in `data_dir` when
    /// none is given.
    pub async fn open(database: Option<&str>, data_dir: &Path, pool: u32) -> StoreResult<Db> {
        match database {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => Ok(
                Db::Postgres(Arc::new(PostgresStore::connect_with(url, pool).await?)),
            ),
            Some(url) => {
                let path = url.strip_prefix("sqlite://").unwrap_or(url);
                Ok(Db::Sqlite(Arc::new(
                    SqliteStore::open(Path::new(path), Schema::Main).await?,
                )))
            }
            None => Ok(Db::Sqlite(Arc::new(
                SqliteStore::open(&data_dir.join("messgo.db"), Schema::Main).await?,
            ))),
        }
    }

    /// Opens where attachments' chunks are kept, beside `main`: on SQLite a file of
    /// their own with its own writer (`messgo.db` → `messgo-blobs.db`), so storing or
    /// erasing a large file never waits on the messages' writer; on PostgreSQL the
    /// same database.
    pub async fn open_blobs(main: &Db) -> StoreResult<Db> {
        match main {
            Db::Sqlite(engine) => Ok(Db::Sqlite(Arc::new(
                SqliteStore::open(&blobs_path(engine.path()), Schema::Blobs).await?,
            ))),
            Db::Postgres(_) => Ok(main.clone()),
        }
    }

    /// Makes deleted data physically go (SQLite: incremental vacuum and a truncating
    /// WAL checkpoint; PostgreSQL: nothing to do here, autovacuum reclaims).
    pub async fn compact(&self) -> StoreResult<()> {
        match self {
            Db::Sqlite(engine) => {
                engine.erase_from_log().await?;
                engine.writer().await?.maintenance().await
            }
            Db::Postgres(_) => Ok(()),
        }
    }

    /// Erases in the message log what was deleted before it expired (SQLite; see
    /// `sqlite_log.rs`). Returns how many records.
    pub async fn erase_from_log(&self) -> StoreResult<usize> {
        match self {
            Db::Sqlite(engine) => engine.erase_from_log().await,
            Db::Postgres(_) => Ok(0),
        }
    }

    /// The SQLite writer's group commits, for the metrics; none on PostgreSQL.
    pub fn commit_stats(&self) -> Option<crate::metrics::CommitStats> {
        match self {
            Db::Sqlite(engine) => Some(engine.commit_stats()),
            Db::Postgres(_) => None,
        }
    }

    /// Bytes the database takes on disk here: SQLite's file, its WAL, and the
    /// message log's segments beside it (0 on PostgreSQL, whose files are the
    /// database server's). What compaction reclaims is the drop in this.
    pub fn disk_bytes(&self) -> u64 {
        let Db::Sqlite(engine) = self else { return 0 };
        let size = |p: &std::path::Path| std::fs::metadata(p).map_or(0, |m| m.len());
        let path = engine.path();
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        let mut total = size(path) + size(std::path::Path::new(&wal));
        if let Some(log) = engine.log() {
            if let Ok(entries) = std::fs::read_dir(log.dir()) {
                total += entries.flatten().map(|e| size(&e.path())).sum::<u64>();
            }
        }
        total
    }

    /// Whether the database answers a query now.
    pub async fn ping(&self) -> bool {
        match self {
            Db::Sqlite(engine) => match engine.reader().await {
                Ok(mut conn) => sqlx::query("SELECT 1").execute(&mut *conn).await.is_ok(),
                Err(_) => false,
            },
            Db::Postgres(engine) => sqlx::query("SELECT 1").execute(&engine.pool).await.is_ok(),
        }
    }

    /// Whether the store is out of room to write: SQLite opened read-only on a full
    /// disk (see `sqlite.rs`), or its last write failed for want of space.
    pub fn full(&self) -> bool {
        match self {
            Db::Sqlite(engine) => engine.full(),
            Db::Postgres(_) => false,
        }
    }

    /// Flushes pending writes and closes connections.
    pub async fn close(&self) {
        match self {
            Db::Sqlite(engine) => engine.close().await,
            Db::Postgres(engine) => engine.pool.close().await,
        }
    }
}

/// The attachments' file beside a SQLite database: its name with `-blobs` before the
/// extension (`messgo.db` → `messgo-blobs.db`, `chat` → `chat-blobs`).
pub fn blobs_path(main: &Path) -> std::path::PathBuf {
    let stem = main.file_stem().unwrap_or_default().to_string_lossy();
    let name = match main.extension() {
        Some(ext) => format!("{stem}-blobs.{}", ext.to_string_lossy()),
        None => format!("{stem}-blobs"),
    };
    main.with_file_name(name)
}

/// Maps a unique-constraint violation to `Conflict`, naming the column it concerns.
pub(crate) fn classify(err: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &err {
        if db.is_unique_violation() {
            let text = db.message().to_ascii_lowercase() + db.constraint().unwrap_or_default();
            let which = if text.contains("connect_key") {
                Unique::ConnectKey
            } else if text.contains("username") {
                Unique::Username
            } else if text.contains("token") {
                Unique::SessionToken
            } else {
                Unique::Id
            };
            return StoreError::Conflict(which);
        }
    }
    err.into()
}

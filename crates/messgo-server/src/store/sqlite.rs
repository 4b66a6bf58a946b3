//! The embedded engine: one SQLite file in WAL mode, `synchronous=FULL` (acknowledged
//! means on disk), `secure_delete=ON` and incremental auto-vacuum (deleted bytes are
//! overwritten and can be given back), foreign keys on. Reads use a small pool; all
//! writes go through the group-committing [`Writer`].

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use messgo_proto::{SessionId, UserId};
use sqlx::sqlite::{
    SqliteAutoVacuum, SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::ConnectOptions;
use tokio::sync::Mutex;

use super::writer::Writer;
use super::*;

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

#[async_trait]
impl Store for SqliteStore {
    async fn realm_id(&self, candidate: &str) -> StoreResult<String> {
        let candidate = candidate.to_owned();
        self.writer()
            .await?
            .write(move |c| {
                Box::pin(async move {
                    sqlx::query("INSERT INTO meta (key, value) VALUES ('realm_id', ?) ON CONFLICT DO NOTHING")
                        .bind(candidate)
                        .execute(&mut *c)
                        .await?;
                    let (v,): (String,) = sqlx::query_as("SELECT value FROM meta WHERE key = 'realm_id'")
                        .fetch_one(&mut *c)
                        .await?;
                    Ok(v)
                })
            })
            .await
    }

    async fn create_user(&self, u: &UserRecord) -> StoreResult<()> {
        let u = u.clone();
        self.writer()
            .await?
            .write(move |c| {
                Box::pin(async move {
                    sqlx::query(&format!(
                        "INSERT INTO users ({USER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
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
                })
            })
            .await
    }

    async fn user_by_username(&self, username: &str) -> StoreResult<UserRecord> {
        sqlx::query_as::<_, UserRow>(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE username = ?"
        ))
        .bind(username)
        .fetch_optional(&self.readers)
        .await?
        .ok_or(StoreError::NotFound)?
        .try_into()
    }

    async fn user_by_id(&self, id: UserId) -> StoreResult<UserRecord> {
        sqlx::query_as::<_, UserRow>(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?"))
            .bind(id.0)
            .fetch_optional(&self.readers)
            .await?
            .ok_or(StoreError::NotFound)?
            .try_into()
    }

    async fn set_credentials(
        &self,
        id: UserId,
        creds: &Credentials,
        keep: SessionId,
    ) -> StoreResult<()> {
        let creds = creds.clone();
        self.writer()
            .await?
            .write(move |c| {
                Box::pin(async move {
                    let done = sqlx::query(
                        "UPDATE users SET auth_hash = ?, kdf = ?, key_bundle = ? WHERE id = ?",
                    )
                    .bind(&creds.auth_hash)
                    .bind(kdf_text(&creds.kdf))
                    .bind(&creds.key_bundle)
                    .bind(id.0)
                    .execute(&mut *c)
                    .await?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::NotFound);
                    }
                    sqlx::query("DELETE FROM sessions WHERE user_id = ? AND id <> ?")
                        .bind(id.0)
                        .bind(keep.0)
                        .execute(&mut *c)
                        .await?;
                    Ok(())
                })
            })
            .await
    }

    async fn delete_user(&self, id: UserId) -> StoreResult<()> {
        self.writer()
            .await?
            .write(move |c| {
                Box::pin(async move {
                    super::ops::sqlite::delete_direct_chats_of(&mut *c, id).await?;
                    let done = sqlx::query("DELETE FROM users WHERE id = ?")
                        .bind(id.0)
                        .execute(&mut *c)
                        .await?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::NotFound);
                    }
                    Ok(())
                })
            })
            .await
    }

    async fn create_session(&self, s: &SessionRecord) -> StoreResult<()> {
        let s = s.clone();
        self.writer()
            .await?
            .write(move |c| {
                Box::pin(async move {
                    sqlx::query(&format!(
                        "INSERT INTO sessions ({SESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"
                    ))
                    .bind(s.id.0)
                    .bind(s.user_id.0)
                    .bind(&s.token_hash)
                    .bind(&s.device)
                    .bind(s.created_at)
                    .bind(s.last_seen_at)
                    .execute(&mut *c)
                    .await
                    .map_err(classify)?;
                    Ok(())
                })
            })
            .await
    }

    async fn session_by_token_hash(&self, token_hash: &[u8]) -> StoreResult<SessionRecord> {
        sqlx::query_as::<_, SessionRow>(&format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE token_hash = ?"
        ))
        .bind(token_hash)
        .fetch_optional(&self.readers)
        .await?
        .map(Into::into)
        .ok_or(StoreError::NotFound)
    }

    async fn touch_session(&self, id: SessionId, now: i64) -> StoreResult<()> {
        self.writer()
            .await?
            .write(move |c| {
                Box::pin(async move {
                    sqlx::query("UPDATE sessions SET last_seen_at = ? WHERE id = ?")
                        .bind(now)
                        .bind(id.0)
                        .execute(&mut *c)
                        .await?;
                    Ok(())
                })
            })
            .await
    }

    async fn sessions_of(&self, user: UserId) -> StoreResult<Vec<SessionRecord>> {
        let rows = sqlx::query_as::<_, SessionRow>(&format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = ? ORDER BY created_at"
        ))
        .bind(user.0)
        .fetch_all(&self.readers)
        .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn delete_session(&self, user: UserId, id: SessionId) -> StoreResult<()> {
        self.writer()
            .await?
            .write(move |c| {
                Box::pin(async move {
                    let done = sqlx::query("DELETE FROM sessions WHERE id = ? AND user_id = ?")
                        .bind(id.0)
                        .bind(user.0)
                        .execute(&mut *c)
                        .await?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::NotFound);
                    }
                    Ok(())
                })
            })
            .await
    }

    async fn delete_sessions_idle_since(&self, before: i64) -> StoreResult<u64> {
        self.writer()
            .await?
            .write(move |c| {
                Box::pin(async move {
                    let done = sqlx::query("DELETE FROM sessions WHERE last_seen_at < ?")
                        .bind(before)
                        .execute(&mut *c)
                        .await?;
                    Ok(done.rows_affected())
                })
            })
            .await
    }

    async fn close(&self) {
        // Dropping the last Writer lets the task drain its queue and close.
        self.writer.lock().await.take();
        if let Some(task) = self.writer_task.lock().await.take() {
            if let Err(e) = task.await {
                tracing::error!(error = %e, "SQLite writer task failed");
            }
        }
        self.readers.close().await;
    }
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

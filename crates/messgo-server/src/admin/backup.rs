//! `messgo backup` and `messgo restore`: a logical export of what must survive a
//! server move (`backup_sql.rs` says what is kept), never conversations. A backup is
//! a fresh SQLite file made by the migrations with the kept rows copied in one by
//! one, so no page of it ever held a message, an epoch key or an attachment (a copy
//! of the database's pages would carry their leftovers). It reads a SQLite database
//! read-only (a running server may hold it) or a PostgreSQL one in one snapshot, and
//! restores into an empty data dir (SQLite) or a PostgreSQL database with no
//! account yet.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use sqlx::Connection;

use super::backup_sql::{self, Kept};
use crate::config::Config;
use crate::store::{standalone, Db, DbLock};

/// What a backup or a restore carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub accounts: usize,
    /// Pairs of contacts.
    pub contacts: usize,
    pub blocks: usize,
}

fn summary(kept: &Kept) -> Summary {
    let (accounts, contacts, blocks) = kept.counts();
    Summary {
        accounts,
        contacts,
        blocks,
    }
}

/// Writes the backup of `config`'s database to `out`, which must not exist. The
/// file is readable by its owner only: it holds password hashes and wrapped keys.
pub async fn backup(config: &Config, out: &Path) -> anyhow::Result<Summary> {
    if out.exists() {
        bail!("{} exists already; name a new file", out.display());
    }
    let kept = read_source(config).await?;
    let partial = with_suffix(out, ".partial");
    let _ = std::fs::remove_file(&partial);
    let written = write_backup(&partial, kept.clone()).await;
    if let Err(e) = written {
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }
    std::fs::rename(&partial, out)
        .with_context(|| format!("could not move the backup to {}", out.display()))?;
    Ok(summary(&kept))
}

async fn read_source(config: &Config) -> anyhow::Result<Kept> {
    match (config.sqlite_path(), config.database.as_deref()) {
        (Some(db), _) => {
            let mut conn = standalone::read_sqlite(&db)
                .await
                .with_context(|| format!("could not read the database {}", db.display()))?;
            let mut tx = conn.begin().await?;
            let kept = backup_sql::sqlite::read_kept(&mut tx).await?;
            tx.rollback().await?;
            Ok(kept)
        }
        (None, Some(url)) => {
            let mut conn = standalone::postgres(url).await.with_context(|| {
                format!(
                    "could not connect to PostgreSQL at {}",
                    crate::config::redact_url(url)
                )
            })?;
            let mut tx = standalone::postgres_snapshot(&mut conn).await?;
            let kept = backup_sql::postgres::read_kept(&mut tx).await?;
            tx.rollback().await?;
            Ok(kept)
        }
        (None, None) => bail!("no database is configured"),
    }
}

async fn write_backup(path: &Path, kept: Kept) -> anyhow::Result<()> {
    create_private_file(path)?;
    let mut conn = standalone::fresh_sqlite(path)
        .await
        .with_context(|| format!("could not create {}", path.display()))?;
    let mut tx = conn.begin().await?;
    backup_sql::sqlite::write_kept(&mut tx, kept).await?;
    tx.commit().await?;
    conn.close().await?;
    Ok(())
}

/// Restores `file` (a backup) into `config`'s database: a SQLite data dir that is
/// empty or absent, or a PostgreSQL database with no account yet.
pub async fn restore(config: &Config, file: &Path) -> anyhow::Result<Summary> {
    let mut conn = standalone::read_sqlite(file)
        .await
        .with_context(|| format!("could not read the backup {}", file.display()))?;
    let kept = {
        let mut tx = conn.begin().await?;
        let kept = backup_sql::sqlite::read_kept(&mut tx)
            .await
            .with_context(|| format!("{} is not a MessGo backup", file.display()))?;
        tx.rollback().await?;
        kept
    };
    conn.close().await?;
    let _lock = match config.sqlite_path() {
        Some(db) => Some(empty_target(&db)?),
        None => None,
    };
    let db = Db::open(config.database.as_deref(), &config.data_dir, 1)
        .await
        .context("could not open the database to restore into")?;
    let restored = async {
        if db_run!(db, read, backup_sql::has_accounts())? {
            bail!("the database to restore into has accounts already; restore into an empty one");
        }
        let done = summary(&kept);
        db_run!(db, write, backup_sql::write_kept(kept))?;
        Ok(done)
    }
    .await;
    db.close().await;
    restored
}

/// Refuses a SQLite target whose directory holds anything; then holds its lock.
fn empty_target(db: &Path) -> anyhow::Result<DbLock> {
    let dir = match db.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if let Ok(mut entries) = std::fs::read_dir(&dir) {
        if entries.next().is_some() {
            bail!(
                "{} is not empty; restore into an empty data dir (--data-dir)",
                dir.display()
            );
        }
    }
    Ok(DbLock::acquire(db)?)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn create_private_file(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map(drop)
}

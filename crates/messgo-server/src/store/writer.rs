//! SQLite's single writer with group commit.
//!
//! SQLite allows one writer at a time; rather than have request tasks queue on its
//! lock (and pay one fsync each under `synchronous=FULL`), every write is sent to one
//! task that drains whatever is waiting, runs each job inside its own SAVEPOINT of a
//! single transaction, commits once, and only then answers the callers. A job that
//! fails is rolled back to its savepoint without affecting its neighbours, and no
//! caller hears "done" before its write is on disk.
//!
//! A group of nothing but message appends (and relaxed writes: a session's "last
//! seen", which nobody needs to survive a power loss) commits without waiting for
//! the disk (`synchronous=NORMAL`) when the store has a message log: each append job
//! waits for the log's own fdatasync before it ends, and a start redoes from the log
//! whatever such commits lost (store/sqlite_log.rs). Any other group commits with
//! `synchronous=FULL`, which also makes every earlier commit durable: what a power
//! loss can take is only appends, newest last, all in the log, and relaxed writes.
//!
//! The writer also counts its generations: every job that may change anything
//! starts a new one. The batch append (messages/pipeline/batch.rs) keeps the chats' state it read
//! between batches and trusts it only while the generation it read it in lasts.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use futures_util::future::BoxFuture;
use sqlx::{Connection, SqliteConnection};
use tokio::sync::{mpsc, oneshot};

use super::{StoreError, StoreResult};
use crate::metrics::CommitStats;

enum Job {
    Write {
        job: Box<dyn Pending>,
        /// Whether the job may change anything besides appending messages.
        changes: bool,
    },
    /// Give freed pages back and empty the WAL, between transactions.
    Maintenance(oneshot::Sender<StoreResult<()>>),
}

/// A job for the writer: it gets the connection, inside the transaction.
pub trait WriteJob<T>:
    for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, StoreResult<T>> + Send + 'static
{
}

impl<T, F> WriteJob<T> for F where
    F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, StoreResult<T>> + Send + 'static
{
}

/// A queued job with its caller, whatever its result type: the writer runs it, then
/// tells it how its transaction ended, and it answers its caller in its own type.
trait Pending: Send {
    /// Runs the job once; true if it succeeded (so its writes may stay).
    fn run<'c>(&'c mut self, conn: &'c mut SqliteConnection) -> BoxFuture<'c, bool>;
    /// Answers the caller: the job's own result if `ended` is `Ok` (the transaction
    /// committed, or only this job's writes were undone), else `ended`'s error.
    fn answer(self: Box<Self>, ended: StoreResult<()>);
}

struct Typed<T, F> {
    job: Option<F>,
    result: Option<StoreResult<T>>,
    reply: oneshot::Sender<StoreResult<T>>,
}

impl<T: Send + 'static, F: WriteJob<T>> Pending for Typed<T, F> {
    fn run<'c>(&'c mut self, conn: &'c mut SqliteConnection) -> BoxFuture<'c, bool> {
        Box::pin(async move {
            let Some(job) = self.job.take() else {
                return false;
            };
            let result = job(conn).await;
            let ok = result.is_ok();
            self.result = Some(result);
            ok
        })
    }

    fn answer(self: Box<Self>, ended: StoreResult<()>) {
        let out = match (ended, self.result) {
            (Ok(()), Some(result)) => result,
            (Err(e), _) => Err(e),
            (Ok(()), None) => Err(StoreError::NotCommitted),
        };
        // The caller may have gone away (request cancelled); its write stands.
        let _ = self.reply.send(out);
    }
}

/// Most jobs folded into one transaction; bounds the latency a huge burst adds.
const MAX_BATCH: usize = 512;
const QUEUE: usize = 4096;

#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Job>,
    generation: Arc<AtomicU64>,
}

impl Writer {
    /// Starts the writer task; it ends, closing the connection, once every `Writer`
    /// handle is dropped and the queue is drained. The returned handle resolves then.
    /// `logged_appends`: the store keeps a message log that append jobs write and
    /// sync first (see the module's comment).
    pub fn start(
        conn: SqliteConnection,
        logged_appends: bool,
        stats: CommitStats,
    ) -> (Writer, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(QUEUE);
        let generation = Arc::new(AtomicU64::new(0));
        let handle = tokio::spawn(run(conn, rx, generation.clone(), logged_appends, stats));
        (Writer { tx, generation }, handle)
    }

    /// The current generation, for a job to read while it runs (then no other job
    /// can start a new one until it ends).
    pub fn generation(&self) -> Arc<AtomicU64> {
        self.generation.clone()
    }

    /// Runs an incremental vacuum and a `wal_checkpoint(TRUNCATE)`, so deleted bytes
    /// leave the file's free pages and the WAL (secure_delete has zeroed them).
    pub async fn maintenance(&self) -> StoreResult<()> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Job::Maintenance(reply))
            .await
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Runs `f` inside the next group-committed transaction and returns its result
    /// once that transaction is durable.
    pub async fn write<T: Send + 'static>(&self, f: impl WriteJob<T>) -> StoreResult<T> {
        self.job(f, true).await
    }

    /// Like [`write`](Self::write), for a job that only appends messages and keeps
    /// anything it caches up to date itself, or a relaxed write that touches nothing
    /// an append caches (see the module's comment): it starts no new generation.
    pub async fn append<T: Send + 'static>(&self, f: impl WriteJob<T>) -> StoreResult<T> {
        self.job(f, false).await
    }

    async fn job<T: Send + 'static>(&self, f: impl WriteJob<T>, changes: bool) -> StoreResult<T> {
        let (reply, rx) = oneshot::channel();
        let job = Box::new(Typed {
            job: Some(f),
            result: None,
            reply,
        });
        self.tx
            .send(Job::Write { job, changes })
            .await
            .map_err(|_| StoreError::Closed)?;
        // Dropped unanswered only if the writer is gone.
        rx.await.map_err(|_| StoreError::Closed)?
    }
}

async fn run(
    mut conn: SqliteConnection,
    mut rx: mpsc::Receiver<Job>,
    generation: Arc<AtomicU64>,
    logged_appends: bool,
    stats: CommitStats,
) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    // Whether the connection is at `synchronous=NORMAL` now (it opens at FULL).
    let mut relaxed = false;
    while rx.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        let mut batch = Vec::with_capacity(jobs.len());
        let mut maintenance = Vec::new();
        for job in jobs.drain(..) {
            match job {
                Job::Write { job, changes } => batch.push((job, changes)),
                Job::Maintenance(reply) => maintenance.push(reply),
            }
        }
        if !batch.is_empty() {
            let appends_only = logged_appends && batch.iter().all(|(_, changes)| !changes);
            if appends_only != relaxed {
                let mode = if appends_only { "NORMAL" } else { "FULL" };
                let set = sqlx::query(&format!("PRAGMA synchronous = {mode}"))
                    .execute(&mut conn)
                    .await;
                match set {
                    Ok(_) => relaxed = appends_only,
                    Err(e) if !appends_only => {
                        // Never commit a change short of the disk.
                        tracing::error!(error = %e, "could not return to synchronous=FULL");
                        for (job, _) in batch {
                            job.answer(Err(StoreError::NotCommitted));
                        }
                        continue;
                    }
                    Err(e) => tracing::warn!(error = %e, "could not relax synchronous"),
                }
            }
            let (size, started) = (batch.len(), std::time::Instant::now());
            commit_batch(&mut conn, batch, &generation).await;
            stats.jobs.observe(size as f64);
            stats.seconds.observe(started.elapsed().as_secs_f64());
        }
        if !maintenance.is_empty() {
            let result = maintain(&mut conn).await;
            for reply in maintenance {
                let _ = reply.send(
                    result
                        .as_ref()
                        .map(|_| ())
                        .map_err(|e| StoreError::Corrupt(e.to_string())),
                );
            }
        }
    }
    if let Err(e) = maintain(&mut conn).await {
        tracing::warn!(error = %e, "final checkpoint failed");
    }
    if let Err(e) = conn.close().await {
        tracing::warn!(error = %e, "closing the SQLite writer connection failed");
    }
}

async fn maintain(conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    sqlx::query("PRAGMA incremental_vacuum")
        .execute(&mut *conn)
        .await?;
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Runs the jobs in one transaction, each in its own savepoint, commits once, then
/// answers every caller.
async fn commit_batch(
    conn: &mut SqliteConnection,
    mut batch: Vec<(Box<dyn Pending>, bool)>,
    generation: &AtomicU64,
) {
    if batch.len() == 1 {
        let (job, changes) = batch.pop().expect("one job");
        return run_alone(conn, job, changes, generation).await;
    }
    if let Err(e) = sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await {
        tracing::error!(error = %e, "could not begin a write transaction");
        for (job, _) in batch {
            job.answer(Err(StoreError::NotCommitted));
        }
        return;
    }
    let mut ran = Vec::with_capacity(batch.len());
    for (mut job, changes) in batch {
        if changes {
            generation.fetch_add(1, Ordering::Relaxed);
        }
        match run_in_savepoint(conn, job.as_mut()).await {
            Ok(()) => ran.push(job),
            Err(e) => job.answer(Err(e)),
        }
    }
    let ended = match sqlx::query("COMMIT").execute(&mut *conn).await {
        Ok(_) => Ok(()),
        Err(e) => {
            // What the batch appends cached in this transaction never happened.
            generation.fetch_add(1, Ordering::Relaxed);
            tracing::error!(error = %e, "group commit failed; the whole batch is reported failed");
            let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
            Err(StoreError::from(e))
        }
    };
    for job in ran {
        job.answer(match &ended {
            Ok(()) => Ok(()),
            Err(e) => Err(e.for_each_job()),
        });
    }
}

/// A job alone in its transaction needs no savepoint: if it fails, rolling the whole
/// transaction back undoes only its own writes. A savepoint is not free: SQLite keeps
/// the original of every page the job changes, to roll back to.
async fn run_alone(
    conn: &mut SqliteConnection,
    mut job: Box<dyn Pending>,
    changes: bool,
    generation: &AtomicU64,
) {
    if let Err(e) = sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await {
        tracing::error!(error = %e, "could not begin a write transaction");
        return job.answer(Err(e.into()));
    }
    if changes {
        generation.fetch_add(1, Ordering::Relaxed);
    }
    let ok = job.run(conn).await;
    let end = if ok { "COMMIT" } else { "ROLLBACK" };
    if let Err(e) = sqlx::query(end).execute(&mut *conn).await {
        generation.fetch_add(1, Ordering::Relaxed);
        if !ok {
            // Some errors make SQLite roll back by itself; the job's own error is
            // the one to report.
            return job.answer(Ok(()));
        }
        tracing::error!(error = %e, "commit failed; the job is reported failed");
        let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
        return job.answer(Err(e.into()));
    }
    job.answer(Ok(()))
}

/// Runs `job` in its own savepoint, rolled back if it failed. An error here is the
/// savepoint's own: the transaction can no longer be trusted for this job.
async fn run_in_savepoint(conn: &mut SqliteConnection, job: &mut dyn Pending) -> StoreResult<()> {
    sqlx::query("SAVEPOINT job").execute(&mut *conn).await?;
    if !job.run(conn).await {
        sqlx::query("ROLLBACK TO job").execute(&mut *conn).await?;
    }
    sqlx::query("RELEASE job").execute(&mut *conn).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::ConnectOptions;

    async fn writer() -> (
        Writer,
        tempfile::TempDir,
        sqlx::sqlite::SqliteConnectOptions,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(dir.path().join("w.db"))
            .create_if_missing(true)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal);
        let mut conn = options.connect().await.unwrap();
        sqlx::query("CREATE TABLE t (v INTEGER NOT NULL)")
            .execute(&mut conn)
            .await
            .unwrap();
        (
            Writer::start(conn, false, CommitStats::default()).0,
            dir,
            options,
        )
    }

    /// Inserts `v`, then fails if `fail`: a job whose first write went through.
    fn job(v: i64, fail: bool) -> impl WriteJob<()> {
        move |c| {
            Box::pin(async move {
                sqlx::query("INSERT INTO t (v) VALUES (?)")
                    .bind(v)
                    .execute(&mut *c)
                    .await?;
                if fail {
                    return Err(StoreError::NotFound);
                }
                Ok(())
            })
        }
    }

    async fn stored(options: &sqlx::sqlite::SqliteConnectOptions) -> Vec<i64> {
        let mut c = options.connect().await.unwrap();
        sqlx::query_scalar("SELECT v FROM t ORDER BY v")
            .fetch_all(&mut c)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_failed_job_leaves_nothing_behind_alone_or_among_others() {
        let (w, _dir, options) = writer().await;
        assert!(w.write(job(1, true)).await.is_err());
        assert!(stored(&options).await.is_empty(), "alone: rolled back");
        w.write(job(2, false)).await.unwrap();

        // Queued together (the test runtime has one thread, so all three are queued
        // before the writer runs), the three share one transaction.
        let (a, b, c) = tokio::join!(
            w.write(job(3, false)),
            w.write(job(4, true)),
            w.write(job(5, false))
        );
        assert!(a.is_ok() && b.is_err() && c.is_ok());
        assert_eq!(stored(&options).await, vec![2, 3, 5]);
    }

    /// Keys checked at commit (the messages' since migration 0009) fail the COMMIT,
    /// not a statement: every job of that transaction is reported failed, nothing of
    /// it stays, and the writer goes on.
    #[tokio::test]
    async fn a_commit_refused_by_a_deferred_key_fails_its_jobs_and_the_writer_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(dir.path().join("k.db"))
            .create_if_missing(true)
            .foreign_keys(true)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal);
        let mut conn = options.connect().await.unwrap();
        for sql in [
            "CREATE TABLE p (id INTEGER PRIMARY KEY)",
            "CREATE TABLE t (v INTEGER NOT NULL REFERENCES p(id) DEFERRABLE INITIALLY DEFERRED)",
            "INSERT INTO p (id) VALUES (1), (2), (3)",
        ] {
            sqlx::query(sql).execute(&mut conn).await.unwrap();
        }
        let w = Writer::start(conn, false, CommitStats::default()).0;
        // 9 has no row in `p`: the INSERT passes, the COMMIT does not.
        assert!(w.write(job(9, false)).await.is_err(), "alone");
        assert!(stored(&options).await.is_empty());
        let (a, b, c) = tokio::join!(
            w.write(job(1, false)),
            w.write(job(9, false)),
            w.write(job(2, false))
        );
        assert!(a.is_err() && b.is_err() && c.is_err(), "together");
        assert!(stored(&options).await.is_empty());
        w.write(job(3, false)).await.unwrap();
        assert_eq!(stored(&options).await, vec![3], "the writer goes on");
    }

    #[tokio::test]
    async fn only_jobs_that_may_change_anything_start_a_generation() {
        let (w, _dir, _options) = writer().await;
        let generation = w.generation();
        w.append(job(1, false)).await.unwrap();
        assert_eq!(generation.load(Ordering::Relaxed), 0);
        w.write(job(2, false)).await.unwrap();
        assert_eq!(generation.load(Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn only_a_group_of_logged_appends_commits_without_waiting_for_the_disk() {
        fn mode(c: &mut SqliteConnection) -> BoxFuture<'_, StoreResult<i64>> {
            Box::pin(async move {
                let (m,): (i64,) = sqlx::query_as("PRAGMA synchronous").fetch_one(c).await?;
                Ok(m)
            })
        }
        let dir = tempfile::tempdir().unwrap();
        let (full, normal) = (2, 1);
        for logged in [true, false] {
            let w = Writer::start(
                conn_clone(&dir, logged).await,
                logged,
                CommitStats::default(),
            )
            .0;
            let appending = w.append(mode).await.unwrap();
            let changing = w.write(mode).await.unwrap();
            let appending_again = w.append(mode).await.unwrap();
            if logged {
                assert_eq!(
                    (appending, changing, appending_again),
                    (normal, full, normal)
                );
            } else {
                assert_eq!((appending, changing, appending_again), (full, full, full));
            }
        }
    }

    async fn conn_clone(dir: &tempfile::TempDir, logged: bool) -> SqliteConnection {
        sqlx::sqlite::SqliteConnectOptions::new()
            .filename(dir.path().join(format!("s{logged}.db")))
            .create_if_missing(true)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
            .synchronous(sqlx::sqlite::SqliteSynchronous::Full)
            .connect()
            .await
            .unwrap()
    }
}

//! SQLite's single writer with group commit.
//!
//! SQLite allows one writer at a time; rather than have request tasks queue on its
//! lock (and pay one fsync each under `synchronous=FULL`), every write is sent to one
//! task that drains whatever is waiting, runs each job inside its own SAVEPOINT of a
//! single transaction, commits once, and only then answers the callers. A job that
//! fails is rolled back to its savepoint without affecting its neighbours, and no
//! caller hears "done" before its write is on disk.
//!
//! The writer also counts its generations: every job that may change anything
//! starts a new one. The batch append (messages/pipeline/batch.rs) keeps the chats' state it read
//! between batches and trusts it only while the generation it read it in lasts.

use std::any::Any;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use futures_util::future::BoxFuture;
use sqlx::{Connection, SqliteConnection};
use tokio::sync::{mpsc, oneshot};

use super::{StoreError, StoreResult};

type Output = Box<dyn Any + Send>;
type JobFn =
    Box<dyn for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, StoreResult<Output>> + Send>;

enum Job {
    Write {
        run: JobFn,
        reply: oneshot::Sender<StoreResult<Output>>,
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
    pub fn start(conn: SqliteConnection) -> (Writer, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(QUEUE);
        let generation = Arc::new(AtomicU64::new(0));
        let handle = tokio::spawn(run(conn, rx, generation.clone()));
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
    /// anything it caches up to date itself: it starts no new generation.
    pub async fn append<T: Send + 'static>(&self, f: impl WriteJob<T>) -> StoreResult<T> {
        self.job(f, false).await
    }

    async fn job<T: Send + 'static>(&self, f: impl WriteJob<T>, changes: bool) -> StoreResult<T> {
        let (reply, rx) = oneshot::channel();
        let run: JobFn = Box::new(move |conn| {
            Box::pin(async move { f(conn).await.map(|v| Box::new(v) as Output) })
        });
        self.tx
            .send(Job::Write {
                run,
                reply,
                changes,
            })
            .await
            .map_err(|_| StoreError::Closed)?;
        let out = rx.await.map_err(|_| StoreError::Closed)??;
        Ok(*out
            .downcast::<T>()
            .expect("writer returns the job's own type"))
    }
}

async fn run(mut conn: SqliteConnection, mut rx: mpsc::Receiver<Job>, generation: Arc<AtomicU64>) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        let mut batch = Vec::with_capacity(jobs.len());
        let mut maintenance = Vec::new();
        for job in jobs.drain(..) {
            match job {
                Job::Write {
                    run,
                    reply,
                    changes,
                } => batch.push(Pending {
                    run,
                    reply,
                    changes,
                }),
                Job::Maintenance(reply) => maintenance.push(reply),
            }
        }
        if !batch.is_empty() {
            for (reply, result) in commit_batch(&mut conn, &mut batch, &generation).await {
                // The caller may have gone away (request cancelled); its write stands.
                let _ = reply.send(result);
            }
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

type Replies = Vec<(oneshot::Sender<StoreResult<Output>>, StoreResult<Output>)>;

struct Pending {
    run: JobFn,
    reply: oneshot::Sender<StoreResult<Output>>,
    changes: bool,
}

async fn commit_batch(
    conn: &mut SqliteConnection,
    batch: &mut Vec<Pending>,
    generation: &AtomicU64,
) -> Replies {
    if let [_] = batch.as_slice() {
        let job = batch.pop().expect("one job");
        return vec![(
            job.reply,
            run_alone(conn, job.run, job.changes, generation).await,
        )];
    }
    let mut results: Replies = Vec::with_capacity(batch.len());
    if let Err(e) = sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await {
        tracing::error!(error = %e, "could not begin a write transaction");
        return fail_all(batch.drain(..).map(|p| p.reply), || {
            StoreError::NotCommitted
        });
    }
    for job in batch.drain(..) {
        if job.changes {
            generation.fetch_add(1, Ordering::Relaxed);
        }
        let result = run_in_savepoint(conn, job.run).await;
        results.push((job.reply, result));
    }
    if let Err(e) = sqlx::query("COMMIT").execute(&mut *conn).await {
        // What the batch appends cached in this transaction never happened.
        generation.fetch_add(1, Ordering::Relaxed);
        tracing::error!(error = %e, "group commit failed; the whole batch is reported failed");
        let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
        return fail_all(results.into_iter().map(|(r, _)| r), || {
            StoreError::NotCommitted
        });
    }
    results
}

/// A job alone in its transaction needs no savepoint: if it fails, rolling the whole
/// transaction back undoes only its own writes. A savepoint is not free: SQLite keeps
/// the original of every page the job changes, to roll back to.
async fn run_alone(
    conn: &mut SqliteConnection,
    run: JobFn,
    changes: bool,
    generation: &AtomicU64,
) -> StoreResult<Output> {
    if let Err(e) = sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await {
        tracing::error!(error = %e, "could not begin a write transaction");
        return Err(e.into());
    }
    if changes {
        generation.fetch_add(1, Ordering::Relaxed);
    }
    let result = run(conn).await;
    let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
    if let Err(e) = sqlx::query(end).execute(&mut *conn).await {
        generation.fetch_add(1, Ordering::Relaxed);
        // Some errors make SQLite roll back by itself; the job's own error is the
        // one to report.
        result?;
        tracing::error!(error = %e, "commit failed; the job is reported failed");
        let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
        return Err(e.into());
    }
    result
}

async fn run_in_savepoint(conn: &mut SqliteConnection, run: JobFn) -> StoreResult<Output> {
    sqlx::query("SAVEPOINT job").execute(&mut *conn).await?;
    let result = run(conn).await;
    if result.is_err() {
        sqlx::query("ROLLBACK TO job").execute(&mut *conn).await?;
    }
    sqlx::query("RELEASE job").execute(&mut *conn).await?;
    result
}

fn fail_all(
    replies: impl Iterator<Item = oneshot::Sender<StoreResult<Output>>>,
    err: impl Fn() -> StoreError,
) -> Replies {
    replies.map(|r| (r, Err(err()))).collect()
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
        (Writer::start(conn).0, dir, options)
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
        let w = Writer::start(conn).0;
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
}

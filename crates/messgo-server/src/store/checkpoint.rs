//! Checkpoints beside the writer. SQLite's automatic checkpoint runs inside the
//! commit that crosses the WAL's size limit: that commit, and every send queued
//! behind it, waits while thousands of pages are copied into the database file and
//! synced, a stall of tens of milliseconds every few seconds under load (it set the
//! p99 of the 1:1 bench). The writer's automatic checkpoint is off instead, and this
//! task runs a PASSIVE checkpoint on a connection of its own every second: it copies
//! what no reader still needs while the writer goes on committing, and the writer
//! starts the WAL over once all of it is in the database. The sweeps' TRUNCATE
//! checkpoint (maintenance) still empties the WAL after deletions.

use std::time::Duration;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::ConnectOptions;

/// How often the checkpoint runs: the WAL holds about this long of commits.
const EVERY: Duration = Duration::from_secs(1);

/// Starts the checkpoint task on a connection made with `options`; it runs until
/// aborted (the store's close).
pub async fn start(options: SqliteConnectOptions) -> sqlx::Result<tokio::task::JoinHandle<()>> {
    let mut conn = options.connect().await?;
    Ok(tokio::spawn(async move {
        let mut tick = tokio::time::interval(EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&mut conn)
                .await
            {
                tracing::debug!(error = %e, "a background checkpoint failed; the next one tries again");
            }
        }
    }))
}

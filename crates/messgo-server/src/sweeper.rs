//! Periodic clean-up: what has expired is deleted, then its bytes leave the file.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::metrics::Reclaimed;
use crate::service::Services;

/// Longest the periodic sweep goes without compacting. Compacting holds every write
/// for a moment (a full checkpoint, then the WAL is truncated and regrown), once a
/// minute under load; so the loop compacts after a sweep that deleted something, and
/// otherwise this often, for what users deleted in between without compacting
/// themselves (deleting a message or an account compacts at once).
const COMPACT_AT_LEAST_EVERY: Duration = Duration::from_secs(15 * 60);

/// Sweeps every `every` until told to stop, compacting when [`compact_now`] says.
pub async fn run(services: Arc<Services>, every: Duration, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut compacted = std::time::Instant::now();
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        let started = std::time::Instant::now();
        let deleted = sweep_expired(&services).await;
        if compact_now(deleted, compacted.elapsed()) {
            compact(&services).await;
            compacted = std::time::Instant::now();
        }
        services
            .metrics
            .sweep_seconds
            .observe(started.elapsed().as_secs_f64());
    }
}

/// Whether a sweep that found `deleted` (or could not tell, after an error) should
/// compact, `since` the last compaction.
fn compact_now(deleted: bool, since: Duration) -> bool {
    deleted || since >= COMPACT_AT_LEAST_EVERY
}

/// One sweep: expired messages (in bounded batches), spent epoch keys, read state
/// of emptied chats and expired attachments (`Chats::sweep`), expired connection
/// requests, expired invites, idle sessions; then an incremental vacuum and a truncating
/// WAL checkpoint, so deleted bytes are gone from the file, its free pages and the
/// WAL (secure_delete has overwritten them).
pub async fn sweep_once(services: &Services) {
    let started = std::time::Instant::now();
    sweep_expired(services).await;
    compact(services).await;
    services
        .metrics
        .sweep_seconds
        .observe(started.elapsed().as_secs_f64());
}

/// Deletes what has expired; true if anything was (or a sweep failed, so it may have
/// deleted part of its work).
async fn sweep_expired(services: &Services) -> bool {
    let swept = [
        (
            "messages, epoch keys, read state and attachments",
            services.chats.sweep().await,
        ),
        ("connection requests", services.connections.sweep().await),
        ("invites", services.invites.sweep().await),
        // After the sweeps above: the attachments they deleted left their ids.
        ("attachments' chunks", services.chunks.collect().await),
        ("idle sessions", services.sessions.sweep_idle().await),
    ];
    let mut deleted = false;
    for (what, result) in swept {
        match result {
            Ok(0) => {}
            Ok(n) => {
                tracing::debug!(count = n, what, "swept");
                deleted = true;
            }
            Err(e) => {
                tracing::warn!(error = %e, what, "sweeping failed");
                deleted = true;
            }
        }
    }
    deleted
}

async fn compact(services: &Services) {
    if let Err(e) = services.erasure.compact(Reclaimed::Sweep).await {
        tracing::warn!(error = %e, "compacting the database failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compacts_after_deleting_or_when_long_overdue() {
        let minute = Duration::from_secs(60);
        assert!(compact_now(true, minute), "a sweep that deleted compacts");
        assert!(
            !compact_now(false, minute),
            "an empty sweep leaves the WAL be"
        );
        assert!(
            compact_now(false, COMPACT_AT_LEAST_EVERY),
            "but not for long"
        );
    }
}

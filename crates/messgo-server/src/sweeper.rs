//! Periodic clean-up: what has expired is deleted, then its bytes leave the file.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::service::Services;

/// Runs [`sweep_once`] every `every` until told to stop.
pub async fn run(services: Arc<Services>, every: Duration, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        sweep_once(&services).await;
    }
}

/// One sweep: expired messages (in bounded batches) and spent epoch keys, expired
/// connection requests, idle sessions; then an incremental vacuum and a truncating
/// WAL checkpoint, so deleted bytes are gone from the file, its free pages and the
/// WAL (secure_delete has overwritten them).
pub async fn sweep_once(services: &Services) {
    match services.chats.sweep().await {
        Ok(0) => {}
        Ok(n) => tracing::debug!(messages = n, "swept expired messages"),
        Err(e) => tracing::warn!(error = %e, "sweeping messages failed"),
    }
    match services.connections.sweep().await {
        Ok(0) => {}
        Ok(n) => tracing::debug!(requests = n, "swept expired connection requests"),
        Err(e) => tracing::warn!(error = %e, "sweeping connection requests failed"),
    }
    match services.sessions.sweep_idle().await {
        Ok(0) => {}
        Ok(n) => tracing::debug!(sessions = n, "swept idle sessions"),
        Err(e) => tracing::warn!(error = %e, "sweeping idle sessions failed"),
    }
    if let Err(e) = services.store.compact().await {
        tracing::warn!(error = %e, "compacting the database failed");
    }
}

/// Lets held-back messages go once the hole before them is given up on.
pub async fn flush_fanout(services: Arc<Services>, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    loop {
        tokio::select! {
            _ = tick.tick() => services.chats.sequencer.flush_stale(),
            _ = stop.changed() => return,
        }
    }
}

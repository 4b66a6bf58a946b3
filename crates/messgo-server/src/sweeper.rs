//! Periodic clean-up: idle sessions, expired connection requests and old attempts.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::service::Services;

const EVERY: Duration = Duration::from_secs(60);

pub async fn run(services: Arc<Services>, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(EVERY);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        match services.sessions.sweep_idle().await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(sessions = n, "swept idle sessions"),
            Err(e) => tracing::warn!(error = %e, "sweeping idle sessions failed"),
        }
        match services.connections.sweep().await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(requests = n, "swept expired connection requests"),
            Err(e) => tracing::warn!(error = %e, "sweeping connection requests failed"),
        }
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

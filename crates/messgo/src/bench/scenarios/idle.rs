//! Idle sockets: how much memory the server spends on each open connection.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tokio_tungstenite::tungstenite::Message;

use super::{close_all, Ctx};
use crate::bench::report::Idle;
use crate::bench::setup::{self, User};
use crate::bench::wire::Peer;
use crate::bench::BenchError;

/// Ramps to `n` idle sockets spread over `users` and reads the server's memory.
pub async fn run(
    ctx: &Ctx,
    users: &[User],
    n: usize,
    server_pid: Option<u32>,
) -> Result<Idle, BenchError> {
    let before = server_pid.and_then(rss_bytes);
    let logins = (0..n)
        .map(|i| (setup::login_for(&users[i % users.len()], &[]), false))
        .collect();
    let started = Instant::now();
    let conns = ctx.open_all(logins, "idle", None).await?;
    let connect_secs = started.elapsed().as_secs_f64();
    if ctx.peer == Peer::Messgo {
        // A ping answered on every socket: the server has set each one up completely.
        let seen = ctx.frames.load(Ordering::Relaxed);
        for c in &conns {
            let _ = c.out.send(Message::Text(r#"{"type":"ping"}"#.into()));
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        while ctx.frames.load(Ordering::Relaxed) < seen + n as u64 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    let after = server_pid.and_then(rss_bytes);
    close_all(conns).await;
    let per_connection = match (before, after) {
        (Some(b), Some(a)) => Some(a.saturating_sub(b) / n.max(1) as u64),
        _ => None,
    };
    Ok(Idle {
        connections: n,
        connect_secs,
        rss_before: before,
        rss_after: after,
        bytes_per_connection: per_connection,
    })
}

/// Resident memory of a process, from `/proc`.
fn rss_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

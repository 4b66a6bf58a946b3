//! # `GET /api/metrics` — this node's counters, for the cluster bench and operators.
//!
//! Off unless `--metrics`, and answered to loopback callers only: totals of bus
//! traffic, frames, CPU and memory, one `name value` line each. Nothing in it names
//! a user, a chat or a message, but counts still say how busy a node is, so it is
//! not for the world.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{routing, Router};

use super::extract::ClientIp;
use super::AppState;

/// Linux's USER_HZ: the unit of `/proc/self/stat`'s CPU times, 100 on every
/// architecture Rust targets there.
const TICKS_PER_SEC: f64 = 100.0;

#[utoipa::path(get, path = "/api/metrics", tag = "operators",
    responses((status = 200, description = "With `--metrics`, to loopback callers: `name value` lines of this node's totals.", content_type = "text/plain", body = String),
        (status = 404, description = "`not_found`: off, or not asked from loopback.", body = messgo_proto::ErrorBody)))]
pub async fn metrics(State(s): State<AppState>, ClientIp(address): ClientIp) -> Response {
    let loopback = address
        .parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback());
    if !s.web.metrics || !loopback {
        return StatusCode::NOT_FOUND.into_response();
    }
    let c = s.services.bus.counts();
    let mut lines = vec![
        format!("bus_received {}", c.received),
        format!("bus_sent {}", c.sent),
        format!("socket_frames {}", c.queued),
        format!("users_present {}", c.interests),
        format!(
            "holes_given_up {}",
            s.services.pipeline.order.holes_given_up()
        ),
    ];
    if let Some(cpu) = cpu_seconds() {
        lines.push(format!("cpu_seconds {cpu:.2}"));
    }
    if let Some(rss) = rss_bytes() {
        lines.push(format!("rss_bytes {rss}"));
    }
    let mut body = lines.join("\n");
    body.push('\n');
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

/// User and system CPU time of this process so far, from `/proc` (Linux only).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may hold spaces: count fields after its ')'.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15, the 12th and 13th after the name.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / TICKS_PER_SEC)
}

/// Resident memory of this process, from `/proc` (Linux only).
fn rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(metrics))]
pub struct Api;

pub fn routes() -> Router<AppState> {
    Router::new().route("/metrics", routing::get(metrics))
}

//! # `GET /metrics` — this node's totals in Prometheus' text format (OpenMetrics),
//! served only on `--metrics-bind`'s own address, never on the public one: counts say
//! how busy a node is, which is not for the world. What is in it, and what never is
//! (no user, chat, session or address), is `crate::metrics`.
//!
//! Also here: the count of every public response by status class.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{routing, Router};
use prometheus_client::registry::Registry;

use super::AppState;

/// OpenMetrics, which Prometheus asks for first and the encoder writes.
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The metrics listener's whole router: `/metrics`, and 404 for anything else.
pub fn router(registry: Registry) -> Router {
    let registry = Arc::new(registry);
    Router::new().route(
        "/metrics",
        routing::get(move || {
            let registry = registry.clone();
            async move {
                let mut body = String::new();
                match prometheus_client::encoding::text::encode(&mut body, &registry) {
                    Ok(()) => ([(header::CONTENT_TYPE, CONTENT_TYPE)], body).into_response(),
                    Err(_) => axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response(),
                }
            }
        }),
    )
}

/// Counts the response by its status class (outermost, so refusals count too).
pub async fn count_responses(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    s.services.metrics.response(res.status().as_u16());
    res
}

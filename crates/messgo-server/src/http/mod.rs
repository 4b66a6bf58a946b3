//! HTTP: routers and handlers. Handlers parse and authorize, then call a service;
//! they never touch storage.

mod accounts;
mod assets;
mod assistant;
mod blobs;
mod brake;
mod chats;
mod connections;
mod cookies;
mod error;
mod extract;
mod guard;
mod invites;
pub mod listener;
pub mod metrics;
mod openapi;
mod pictures;
mod sessions;
pub mod tls;
mod uploads;
mod ws;

pub use guard::host_of_url;
pub use openapi::{document as openapi_document, frames_schema};

/// Questions to the assistant one account may have under way at once over HTTP.
pub const QUESTIONS_AT_ONCE: usize = 2;
pub use ws::{SocketCounts as Places, SocketLimits};

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::Router;
use tower_http::trace::TraceLayer;

pub use brake::Brake;
pub use error::ApiError;

use crate::service::Services;

/// What the HTTP layer needs to know of the configuration.
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// Clients reach us over HTTPS, through a proxy (`--behind-tls-proxy`) or built-in
    /// TLS (`--tls-cert`): Secure cookies, HSTS, https origins.
    pub behind_tls_proxy: bool,
    pub trust_forwarded_for: bool,
    pub max_body_bytes: usize,
    pub ai_context_bytes: usize,
    /// How long a request body or a client's reading may stall before it is cut off.
    pub stall_timeout: std::time::Duration,
    /// The one host name requests may name besides loopback (`--public-url`'s); any
    /// if unset.
    pub public_host: Option<String>,
}

#[derive(Clone)]
pub struct AppState {
    pub services: Arc<Services>,
    pub web: WebSettings,
    /// Open sockets per account and per address.
    pub sockets: SocketLimits,
    /// Downloads under way per address: each holds the server's write buffers (a
    /// few hundred KiB) while its client reads.
    pub downloads: Arc<ws::SocketCounts>,
    /// Questions to the assistant under way per account ([`QUESTIONS_AT_ONCE`]).
    pub asking: Arc<ws::SocketCounts>,
    /// Requests per second per address, counted before anything else.
    pub brake: Arc<Brake>,
    /// The operator's pictures (`--default-avatar`, `--assistant-avatar`).
    pub pictures: Arc<crate::profile::pictures::Pictures>,
}

pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .merge(accounts::routes())
        .merge(sessions::routes())
        .merge(pictures::routes())
        .merge(connections::routes())
        .merge(invites::routes())
        .merge(chats::routes())
        .merge(blobs::routes())
        .merge(uploads::routes())
        .merge(openapi::routes())
        .route("/ws", get(ws::upgrade))
        // The question's own limit (`--ai-context-bytes`), read by the handler.
        .route(
            "/assistant/ask",
            axum::routing::post(assistant::ask).layer(DefaultBodyLimit::disable()),
        )
        .fallback(|| async { ApiError::not_found() });

    Router::new()
        .nest("/api", api)
        .fallback(assets::serve)
        .layer(DefaultBodyLimit::max(state.web.max_body_bytes))
        .layer(axum::middleware::from_fn(guard::json_errors))
        .layer(axum::middleware::from_fn_with_state(state.clone(), guard::csrf))
        .layer(axum::middleware::from_fn_with_state(state.clone(), guard::security_headers))
        .layer(axum::middleware::from_fn_with_state(state.clone(), guard::host))
        // Outermost but for the trace: a flood is refused before any other work.
        .layer(axum::middleware::from_fn_with_state(state.clone(), brake::brake))
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::count_responses))
        // Method and path only: no query strings, headers or bodies reach the log.
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            tracing::debug_span!("http", method = %req.method(), path = %req.uri().path())
        }))
        .with_state(state)
}

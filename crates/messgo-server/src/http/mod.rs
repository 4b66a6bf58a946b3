//! HTTP: routers and handlers. Handlers parse and authorize, then call a service;
//! they never touch storage.

mod accounts;
mod assets;
mod cookies;
mod error;
mod extract;
mod guard;
mod sessions;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post};
use axum::Router;
use tower_http::trace::TraceLayer;

pub use error::ApiError;

use crate::service::Services;

/// What the HTTP layer needs to know of the configuration.
#[derive(Debug, Clone, Copy)]
pub struct WebSettings {
    pub behind_tls_proxy: bool,
    pub trust_forwarded_for: bool,
    pub max_body_bytes: usize,
}

#[derive(Clone)]
pub struct AppState {
    pub services: Arc<Services>,
    pub web: WebSettings,
}

pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/health", get(accounts::health))
        .route("/config", get(accounts::config))
        .route("/prelogin", post(accounts::prelogin))
        .route("/register", post(accounts::register))
        .route("/login", post(accounts::login))
        .route("/logout", post(accounts::logout))
        .route("/me", get(accounts::me))
        .route("/account/password", post(accounts::change_password))
        .route("/account", delete(accounts::delete_account))
        .route("/sessions", get(sessions::list))
        .route("/sessions/{id}", delete(sessions::revoke))
        .fallback(|| async { ApiError::not_found() });

    Router::new()
        .nest("/api", api)
        .fallback(assets::serve)
        .layer(DefaultBodyLimit::max(state.web.max_body_bytes))
        .layer(axum::middleware::from_fn(guard::json_errors))
        .layer(axum::middleware::from_fn_with_state(state.clone(), guard::csrf))
        .layer(axum::middleware::from_fn_with_state(state.clone(), guard::security_headers))
        // Method and path only: no query strings, headers or bodies reach the log.
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            tracing::debug_span!("http", method = %req.method(), path = %req.uri().path())
        }))
        .with_state(state)
}

//! HTTP: routers and handlers. Handlers parse and authorize, then call a service;
//! they never touch storage.

mod accounts;
mod assets;
mod blobs;
mod chats;
mod connections;
mod cookies;
mod error;
mod extract;
mod guard;
mod sessions;
mod ws;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post, put};
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
    pub max_blob_bytes: usize,
    pub ai_context_bytes: usize,
}

#[derive(Clone)]
pub struct AppState {
    pub services: Arc<Services>,
    pub web: WebSettings,
}

/// Bodies that grow with a group's size: creating it, and an epoch's wrapped keys.
const GROUP_BODY_LIMIT: usize = 512 * 1024;

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
        .route("/profile", put(connections::set_profile))
        .route(
            "/profile/avatar",
            put(connections::set_avatar)
                .delete(connections::remove_avatar)
                // Room past the limit, so the service answers with the limit in words.
                .layer(DefaultBodyLimit::max(4 * messgo_proto::AVATAR_MAX_BYTES)),
        )
        .route("/users/{id}/avatar", get(connections::avatar))
        .route("/connect-key", get(connections::connect_key))
        .route("/connect-key/rotate", post(connections::rotate_connect_key))
        .route(
            "/connections/requests",
            post(connections::send_request).get(connections::requests),
        )
        .route("/connections/requests/{id}", delete(connections::cancel))
        .route(
            "/connections/requests/{id}/accept",
            post(connections::accept),
        )
        .route(
            "/connections/requests/{id}/decline",
            post(connections::decline),
        )
        .route(
            "/connections/requests/{id}/block",
            post(connections::block_requester),
        )
        .route("/contacts", get(connections::contacts))
        .route("/contacts/{id}", delete(connections::remove_contact))
        .route("/users/{id}", get(connections::user))
        .route("/blocks", get(connections::blocks).post(connections::block))
        .route("/blocks/{id}", delete(connections::unblock))
        .route(
            "/chats",
            // A group of 1,000 members is ~40 KiB of ids.
            get(chats::list)
                .post(chats::create)
                .layer(DefaultBodyLimit::max(GROUP_BODY_LIMIT)),
        )
        .route("/chats/{id}", get(chats::get))
        .route(
            "/chats/{id}/epochs",
            // A wrapped key per member: ~190 bytes each, so ~190 KiB for 1,000.
            post(chats::open_epoch).layer(DefaultBodyLimit::max(GROUP_BODY_LIMIT)),
        )
        .route("/chats/{id}/keys", get(chats::epoch_key))
        .route("/chats/{id}/members", post(chats::add_member))
        .route("/chats/{id}/members/{user}", delete(chats::remove_member))
        .route("/chats/{id}/admins", post(chats::promote))
        .route("/chats/{id}/meta", put(chats::set_meta))
        .route(
            "/chats/{id}/messages",
            // Room for a full 64 KiB ciphertext in base64, so the size rule can answer.
            get(chats::messages)
                .post(chats::send)
                .layer(DefaultBodyLimit::max(128 * 1024)),
        )
        .route(
            "/chats/{id}/messages/{message}",
            delete(chats::delete_message),
        )
        .route("/chats/{id}/read", post(chats::mark_read))
        .route("/chats/{id}/timer", put(chats::set_timer))
        .route("/settings", get(chats::settings).put(chats::set_settings))
        .route(
            "/blobs",
            // The upload enforces its own limit as it streams.
            post(blobs::upload).layer(DefaultBodyLimit::disable()),
        )
        .route("/blobs/{id}", get(blobs::download))
        .route("/assistant", get(chats::assistant))
        .route("/ws", get(ws::upgrade))
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

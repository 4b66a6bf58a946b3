//! Session endpoints: list your own sessions, revoke one.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{self, Router};
use axum::Json;
use messgo_proto::{SessionId, SessionList};

use super::extract::Auth;
use super::{ApiError, AppState};

/// # `GET /api/sessions` — the caller's sessions.
#[utoipa::path(get, path = "/api/sessions", tag = "sessions", operation_id = "list_sessions", security(("session" = [])),
    responses((status = 200, description = "Your sessions.", body = SessionList)))]
pub async fn list(
    State(s): State<AppState>,
    Auth(who): Auth,
) -> Result<Json<SessionList>, ApiError> {
    Ok(Json(SessionList {
        sessions: s.services.sessions.list(who).await?,
    }))
}

/// # `DELETE /api/sessions/{id}` — revokes one of the caller's sessions.
#[utoipa::path(delete, path = "/api/sessions/{id}", tag = "sessions", params(("id" = SessionId, Path)), security(("session" = [])),
    responses((status = 204, description = "Revoked; its sockets closed.")))]
pub async fn revoke(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: SessionId = id.parse().map_err(|_| ApiError::not_found())?;
    s.services.sessions.revoke(who, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(list, revoke))]
pub struct Api;

/// The signed-in account's sessions.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/sessions", routing::get(list))
        .route("/sessions/{id}", routing::delete(revoke))
}

//! Invite endpoints (docs/api.md, "Invites"): make an invite link, list yours,
//! revoke one.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{self, Router};
use axum::Json;
use messgo_proto::{CreateInvite, InviteId, InvitesResponse};

use super::extract::{ApiJson, Auth};
use super::{ApiError, AppState};

/// # `POST /api/invites` — a new invite; its code is in this answer only.
pub async fn create(
    State(s): State<AppState>,
    Auth(who): Auth,
    ApiJson(body): ApiJson<CreateInvite>,
) -> Result<Response, ApiError> {
    let made = s.services.invites.create(who, body).await?;
    Ok((StatusCode::CREATED, Json(made)).into_response())
}

/// # `GET /api/invites` — the caller's live invites, without their codes.
pub async fn list(
    State(s): State<AppState>,
    Auth(who): Auth,
) -> Result<Json<InvitesResponse>, ApiError> {
    Ok(Json(InvitesResponse {
        invites: s.services.invites.list(who).await?,
    }))
}

/// # `DELETE /api/invites/{id}` — revokes one of the caller's invites at once.
pub async fn revoke(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: InviteId = id.parse().map_err(|_| ApiError::not_found())?;
    s.services.invites.revoke(who, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in account's invites.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/invites", routing::get(list).post(create))
        .route("/invites/{id}", routing::delete(revoke))
}

//! Invite endpoints (docs/api.md, "Invites"): make an invite link, list yours,
//! revoke one.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{self, Router};
use axum::Json;
use messgo_proto::{CreateInvite, CreatedInvite, ErrorBody, InviteId, InvitesResponse};

use super::extract::{ApiJson, Auth};
use super::{ApiError, AppState};

/// # `POST /api/invites` — a new invite; its code is in this answer only.
#[utoipa::path(post, path = "/api/invites", tag = "invites", operation_id = "create_invite", request_body = CreateInvite, security(("session" = [])),
    responses((status = 201, description = "The invite, with its code: shown this once.", body = CreatedInvite),
        (status = 400, description = "`invalid_field`: `uses` not 1 to 100, or `expires_in_secs` not 60 to 259200 (72 hours).", body = ErrorBody),
        (status = 403, description = "`invites_by_operator`: on this server only the operator makes invites.", body = ErrorBody),
        (status = 409, description = "`too_many_invites`: 20 live invites already.", body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    Auth(who): Auth,
    ApiJson(body): ApiJson<CreateInvite>,
) -> Result<Response, ApiError> {
    let made = s.services.invites.create(who, body).await?;
    Ok((StatusCode::CREATED, Json(made)).into_response())
}

/// # `GET /api/invites` — the caller's live invites, without their codes.
#[utoipa::path(get, path = "/api/invites", tag = "invites", operation_id = "list_invites", security(("session" = [])),
    responses((status = 200, description = "Your live invites, never their codes.", body = InvitesResponse)))]
pub async fn list(
    State(s): State<AppState>,
    Auth(who): Auth,
) -> Result<Json<InvitesResponse>, ApiError> {
    Ok(Json(InvitesResponse {
        invites: s.services.invites.list(who).await?,
    }))
}

/// # `DELETE /api/invites/{id}` — revokes one of the caller's invites at once.
#[utoipa::path(delete, path = "/api/invites/{id}", tag = "invites", operation_id = "revoke_invite", params(("id" = InviteId, Path)), security(("session" = [])),
    responses((status = 204, description = "Revoked: the link no longer works.")))]
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

#[derive(utoipa::OpenApi)]
#[openapi(paths(create, list, revoke))]
pub struct Api;

//! Connection, contact, block, connect-key and profile endpoints (docs/api.md).

use axum::extract::DefaultBodyLimit;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{self, Router};
use axum::Json;
use messgo_proto::{
    BlockBody, BlocksResponse, ConnectKeyResponse, ConnectionRequestBody, Contact,
    ContactsResponse, ErrorBody, Profile, RequestId, RequestSent, RequestsResponse, UserId,
};

use super::openapi::Binary;
use serde::de::IgnoredAny;

use super::extract::{ApiJson, Auth};
use super::{ApiError, AppState};

/// Ids in paths that do not parse are simply not found, like ids that do not exist.
fn id<T: std::str::FromStr>(raw: &str) -> Result<T, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found())
}

/// # `GET /api/connect-key` — your key, raw and grouped.
#[utoipa::path(get, path = "/api/connect-key", tag = "connections", security(("session" = [])),
    responses((status = 200, description = "Your connect key.", body = ConnectKeyResponse)))]
pub async fn connect_key(
    State(s): State<AppState>,
    Auth(who): Auth,
) -> Result<Json<ConnectKeyResponse>, ApiError> {
    Ok(Json(s.services.connections.connect_key(who).await?))
}

/// # `POST /api/connect-key/rotate` — a new key; the old one stops working.
#[utoipa::path(post, path = "/api/connect-key/rotate", tag = "connections", request_body = Object, security(("session" = [])),
    responses((status = 200, description = "A new key; the old one stops working.", body = ConnectKeyResponse)))]
pub async fn rotate_connect_key(
    State(s): State<AppState>,
    Auth(who): Auth,
    ApiJson(_): ApiJson<IgnoredAny>,
) -> Result<Json<ConnectKeyResponse>, ApiError> {
    Ok(Json(s.services.connections.rotate_key(who).await?))
}

/// # `POST /api/connections/requests` — always 202, whoever the target is or isn't.
#[utoipa::path(post, path = "/api/connections/requests", tag = "connections", request_body = ConnectionRequestBody, security(("session" = [])),
    responses((status = 202, description = "Always `sent`, whoever the target is or is not.", body = RequestSent),
        (status = 400, description = "`invalid_username`, `invalid_connect_key`, `invalid_field` (neither or both given).", body = ErrorBody),
        (status = 429, description = "`rate_limited`: over the per-account limit (default 30 an hour); `Retry-After`.", body = ErrorBody)))]
pub async fn send_request(
    State(s): State<AppState>,
    Auth(who): Auth,
    ApiJson(body): ApiJson<ConnectionRequestBody>,
) -> Result<Response, ApiError> {
    s.services.connections.send(who, body).await?;
    let body = RequestSent {
        status: "sent".into(),
    };
    Ok((StatusCode::ACCEPTED, Json(body)).into_response())
}

/// # `GET /api/connections/requests` — incoming and outgoing.
#[utoipa::path(get, path = "/api/connections/requests", tag = "connections", security(("session" = [])),
    responses((status = 200, description = "Incoming and outgoing requests.", body = RequestsResponse)))]
pub async fn requests(
    State(s): State<AppState>,
    Auth(who): Auth,
) -> Result<Json<RequestsResponse>, ApiError> {
    Ok(Json(s.services.connections.requests(who).await?))
}

/// # `POST /api/connections/requests/{id}/accept`
#[utoipa::path(post, path = "/api/connections/requests/{id}/accept", tag = "connections", request_body = Object, params(("id" = RequestId, Path)), security(("session" = [])),
    responses((status = 200, description = "Connected.", body = Contact)))]
pub async fn accept(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(raw): Path<String>,
    ApiJson(_): ApiJson<IgnoredAny>,
) -> Result<Json<Contact>, ApiError> {
    Ok(Json(
        s.services
            .connections
            .accept(who, id::<RequestId>(&raw)?)
            .await?,
    ))
}

/// # `POST /api/connections/requests/{id}/decline` — the requester is told nothing.
#[utoipa::path(post, path = "/api/connections/requests/{id}/decline", tag = "connections", request_body = Object, params(("id" = RequestId, Path)), security(("session" = [])),
    responses((status = 204, description = "Declined; the requester is told nothing.")))]
pub async fn decline(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(raw): Path<String>,
    ApiJson(_): ApiJson<IgnoredAny>,
) -> Result<StatusCode, ApiError> {
    s.services
        .connections
        .decline(who, id::<RequestId>(&raw)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// # `POST /api/connections/requests/{id}/block` — decline and block the requester.
#[utoipa::path(post, path = "/api/connections/requests/{id}/block", tag = "connections", request_body = Object, params(("id" = RequestId, Path)), security(("session" = [])),
    responses((status = 204, description = "Declined, and the requester blocked.")))]
pub async fn block_requester(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(raw): Path<String>,
    ApiJson(_): ApiJson<IgnoredAny>,
) -> Result<StatusCode, ApiError> {
    s.services
        .connections
        .block_requester(who, id::<RequestId>(&raw)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// # `DELETE /api/connections/requests/{id}` — cancel your own request.
#[utoipa::path(delete, path = "/api/connections/requests/{id}", tag = "connections", params(("id" = RequestId, Path)), security(("session" = [])),
    responses((status = 204, description = "Your request is cancelled.")))]
pub async fn cancel(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    s.services
        .connections
        .cancel(who, id::<RequestId>(&raw)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// # `GET /api/contacts`
#[utoipa::path(get, path = "/api/contacts", tag = "connections", security(("session" = [])),
    responses((status = 200, description = "Your contacts.", body = ContactsResponse)))]
pub async fn contacts(
    State(s): State<AppState>,
    Auth(who): Auth,
) -> Result<Json<ContactsResponse>, ApiError> {
    Ok(Json(ContactsResponse {
        contacts: s.services.connections.contacts(who).await?,
    }))
}

/// # `GET /api/users/{id}` — a contact's profile and keys; anyone else is not found.
#[utoipa::path(get, path = "/api/users/{id}", tag = "connections", params(("id" = UserId, Path)), security(("session" = [])),
    responses((status = 200, description = "A contact.", body = Contact)))]
pub async fn user(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(raw): Path<String>,
) -> Result<Json<Contact>, ApiError> {
    Ok(Json(
        s.services
            .connections
            .contact(who, id::<UserId>(&raw)?)
            .await?,
    ))
}

/// # `DELETE /api/contacts/{id}` — remove a connection and the direct chat.
#[utoipa::path(delete, path = "/api/contacts/{id}", tag = "connections", params(("id" = UserId, Path)), security(("session" = [])),
    responses((status = 204, description = "Disconnected; the direct chat is gone for both.")))]
pub async fn remove_contact(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    s.services
        .connections
        .remove(who, id::<UserId>(&raw)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// # `GET /api/blocks`
#[utoipa::path(get, path = "/api/blocks", tag = "connections", security(("session" = [])),
    responses((status = 200, description = "Who you blocked.", body = BlocksResponse)))]
pub async fn blocks(
    State(s): State<AppState>,
    Auth(who): Auth,
) -> Result<Json<BlocksResponse>, ApiError> {
    Ok(Json(BlocksResponse {
        blocked: s.services.connections.blocks(who).await?,
    }))
}

/// # `POST /api/blocks` — block a contact or a requester.
#[utoipa::path(post, path = "/api/blocks", tag = "connections", request_body = BlockBody, security(("session" = [])),
    responses((status = 204, description = "Blocked and disconnected."),
        (status = 404, description = "`not_found`: not a contact nor someone with a request to you.", body = ErrorBody)))]
pub async fn block(
    State(s): State<AppState>,
    Auth(who): Auth,
    ApiJson(body): ApiJson<BlockBody>,
) -> Result<StatusCode, ApiError> {
    s.services.connections.block(who, body.user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// # `DELETE /api/blocks/{id}` — unblock.
#[utoipa::path(delete, path = "/api/blocks/{id}", tag = "connections", params(("id" = UserId, Path)), security(("session" = [])),
    responses((status = 204, description = "Unblocked (still disconnected).")))]
pub async fn unblock(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    s.services
        .connections
        .unblock(who, id::<UserId>(&raw)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// # `PUT /api/profile` — display name and bio, visible to contacts only.
#[utoipa::path(put, path = "/api/profile", tag = "profile", request_body = Profile, security(("session" = [])),
    responses((status = 200, description = "Saved, as stored (trimmed).", body = Profile),
        (status = 400, description = "`invalid_field`: too long, control or invisible format characters.", body = ErrorBody)))]
pub async fn set_profile(
    State(s): State<AppState>,
    Auth(who): Auth,
    ApiJson(body): ApiJson<Profile>,
) -> Result<Json<Profile>, ApiError> {
    Ok(Json(s.services.profile.set_profile(who, body).await?))
}

/// # `PUT /api/profile/avatar` — the avatar image (JPEG, PNG or WebP, ≤ 256 KiB).
#[utoipa::path(put, path = "/api/profile/avatar", tag = "profile", security(("session" = [])),
    request_body(content = Binary, content_type = "application/octet-stream", description = "JPEG, PNG or WebP, at most 256 KiB."),
    responses((status = 204, description = "Saved."),
        (status = 400, description = "`invalid_field`: not JPEG, PNG or WebP.", body = ErrorBody),
        (status = 413, description = "`too_large`: over 256 KiB; `payload_too_large`: over 1 MiB.", body = ErrorBody)))]
pub async fn set_avatar(
    State(s): State<AppState>,
    Auth(who): Auth,
    body: axum::body::Bytes,
) -> Result<StatusCode, ApiError> {
    s.services
        .profile
        .set_avatar(who, Some(body.to_vec()))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// # `DELETE /api/profile/avatar`
#[utoipa::path(delete, path = "/api/profile/avatar", tag = "profile", security(("session" = [])),
    responses((status = 204, description = "Removed.")))]
pub async fn remove_avatar(
    State(s): State<AppState>,
    Auth(who): Auth,
) -> Result<StatusCode, ApiError> {
    s.services.profile.set_avatar(who, None).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// # `GET /api/users/{id}/avatar` — yours or a contact's; anyone else's is not found.
#[utoipa::path(get, path = "/api/users/{id}/avatar", tag = "profile", params(("id" = UserId, Path)), security(("session" = [])),
    responses((status = 200, description = "The image: yours or a contact's.", content(
        (Binary = "image/jpeg"), (Binary = "image/png"), (Binary = "image/webp")))))]
pub async fn avatar(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let avatar = s.services.profile.avatar(who, id::<UserId>(&raw)?).await?;
    let headers = [
        (axum::http::header::CONTENT_TYPE, avatar.content_type),
        (
            axum::http::header::CACHE_CONTROL,
            "private, no-cache".to_owned(),
        ),
        (
            axum::http::header::ETAG,
            format!("\"{}\"", avatar.updated_at),
        ),
    ];
    Ok((headers, avatar.bytes).into_response())
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(
    connect_key,
    rotate_connect_key,
    send_request,
    requests,
    accept,
    decline,
    block_requester,
    cancel,
    contacts,
    user,
    remove_contact,
    blocks,
    block,
    unblock,
    set_profile,
    set_avatar,
    remove_avatar,
    avatar
))]
pub struct Api;

/// Connections, contacts, blocks, connect keys and profiles.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/profile", routing::put(set_profile))
        .route(
            "/profile/avatar",
            routing::put(set_avatar)
                .delete(remove_avatar)
                // Room past the limit, so the service answers with the limit in words.
                .layer(DefaultBodyLimit::max(4 * messgo_proto::AVATAR_MAX_BYTES)),
        )
        .route("/users/{id}/avatar", routing::get(avatar))
        .route("/connect-key", routing::get(connect_key))
        .route("/connect-key/rotate", routing::post(rotate_connect_key))
        .route(
            "/connections/requests",
            routing::post(send_request).get(requests),
        )
        .route("/connections/requests/{id}", routing::delete(cancel))
        .route("/connections/requests/{id}/accept", routing::post(accept))
        .route("/connections/requests/{id}/decline", routing::post(decline))
        .route(
            "/connections/requests/{id}/block",
            routing::post(block_requester),
        )
        .route("/contacts", routing::get(contacts))
        .route("/contacts/{id}", routing::delete(remove_contact))
        .route("/users/{id}", routing::get(user))
        .route("/blocks", routing::get(blocks).post(block))
        .route("/blocks/{id}", routing::delete(unblock))
}

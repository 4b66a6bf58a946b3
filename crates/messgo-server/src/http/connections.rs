//! Connection, contact, block, connect-key and profile endpoints (docs/api.md).

use axum::extract::DefaultBodyLimit;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{self, Router};
use axum::Json;
use messgo_proto::{
    BlockBody, BlocksResponse, ConnectKeyResponse, ConnectionRequestBody, Contact,
    ContactsResponse, Profile, RequestId, RequestSent, RequestsResponse, UserId,
};
use serde::de::IgnoredAny;

use super::extract::{ApiJson, Auth};
use super::{ApiError, AppState};

/// Ids in paths that do not parse are simply not found, like ids that do not exist.
fn id<T: std::str::FromStr>(raw: &str) -> Result<T, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found())
}

/// # `GET /api/connect-key` — your key, raw and grouped.
pub async fn connect_key(
    State(s): State<AppState>,
    Auth(who): Auth,
) -> Result<Json<ConnectKeyResponse>, ApiError> {
    Ok(Json(s.services.connections.connect_key(who).await?))
}

/// # `POST /api/connect-key/rotate` — a new key; the old one stops working.
pub async fn rotate_connect_key(
    State(s): State<AppState>,
    Auth(who): Auth,
    ApiJson(_): ApiJson<IgnoredAny>,
) -> Result<Json<ConnectKeyResponse>, ApiError> {
    Ok(Json(s.services.connections.rotate_key(who).await?))
}

/// # `POST /api/connections/requests` — always 202, whoever the target is or isn't.
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
pub async fn requests(
    State(s): State<AppState>,
    Auth(who): Auth,
) -> Result<Json<RequestsResponse>, ApiError> {
    Ok(Json(s.services.connections.requests(who).await?))
}

/// # `POST /api/connections/requests/{id}/accept`
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
pub async fn contacts(
    State(s): State<AppState>,
    Auth(who): Auth,
) -> Result<Json<ContactsResponse>, ApiError> {
    Ok(Json(ContactsResponse {
        contacts: s.services.connections.contacts(who).await?,
    }))
}

/// # `GET /api/users/{id}` — a contact's profile and keys; anyone else is not found.
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
pub async fn blocks(
    State(s): State<AppState>,
    Auth(who): Auth,
) -> Result<Json<BlocksResponse>, ApiError> {
    Ok(Json(BlocksResponse {
        blocked: s.services.connections.blocks(who).await?,
    }))
}

/// # `POST /api/blocks` — block a contact or a requester.
pub async fn block(
    State(s): State<AppState>,
    Auth(who): Auth,
    ApiJson(body): ApiJson<BlockBody>,
) -> Result<StatusCode, ApiError> {
    s.services.connections.block(who, body.user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// # `DELETE /api/blocks/{id}` — unblock.
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
pub async fn set_profile(
    State(s): State<AppState>,
    Auth(who): Auth,
    ApiJson(body): ApiJson<Profile>,
) -> Result<Json<Profile>, ApiError> {
    Ok(Json(s.services.profile.set_profile(who, body).await?))
}

/// # `PUT /api/profile/avatar` — the avatar image (JPEG, PNG or WebP, ≤ 256 KiB).
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
pub async fn remove_avatar(
    State(s): State<AppState>,
    Auth(who): Auth,
) -> Result<StatusCode, ApiError> {
    s.services.profile.set_avatar(who, None).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// # `GET /api/users/{id}/avatar` — yours or a contact's; anyone else's is not found.
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

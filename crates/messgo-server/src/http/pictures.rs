//! # `GET /api/pictures/default-avatar`, `GET /api/pictures/assistant` — the pictures
//! the operator set (`profile/pictures.rs`), to anyone: they are the server's, not a
//! person's. `404 not_found` when unset. Cached for an hour, then revalidated with
//! the ETag (a restart with another file changes it). `GET /api/pictures` says which
//! are set, so a client asks only for those.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{routing, Router};

use super::guard::Cacheable;
use super::{ApiError, AppState};
use crate::profile::pictures::Picture;

const CACHE: &str = "public, max-age=3600";

fn answer(picture: Option<&Picture>, headers: &HeaderMap) -> Response {
    let Some(p) = picture else {
        return ApiError::not_found().into_response();
    };
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| {
            tags.split(',')
                .any(|t| t.trim() == p.etag || t.trim() == "*")
        });
    let common = [
        (header::CACHE_CONTROL, CACHE.to_owned()),
        (header::ETAG, p.etag.clone()),
    ];
    // The same for every caller: caches may keep it (guard.rs).
    let mut res = if fresh {
        (StatusCode::NOT_MODIFIED, common).into_response()
    } else {
        (
            common,
            [(header::CONTENT_TYPE, p.content_type)],
            p.bytes.clone(),
        )
            .into_response()
    };
    res.extensions_mut().insert(Cacheable);
    res
}

/// Which pictures are set: each one's path (with its ETag as a version, so a
/// changed picture is a new URL to a cache), or null.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct Set {
    default_avatar: Option<String>,
    assistant: Option<String>,
}

#[utoipa::path(get, path = "/api/pictures", tag = "pictures", operation_id = "list_pictures",
    responses((status = 200, description = "Which operator pictures are set, each as the URL to fetch it from, or null.", body = Set)))]
async fn list(State(s): State<AppState>) -> axum::Json<Set> {
    let path = |p: &Option<Picture>, name: &str| {
        p.as_ref()
            .map(|p| format!("/api/pictures/{name}?v={}", p.etag.trim_matches('"')))
    };
    axum::Json(Set {
        default_avatar: path(&s.pictures.default_avatar, "default-avatar"),
        assistant: path(&s.pictures.assistant, "assistant"),
    })
}

#[utoipa::path(get, path = "/api/pictures/default-avatar", tag = "pictures",
    responses((status = 200, description = "The operator's default avatar (JPEG, PNG or WebP), with an ETag.", content_type = "image/*", body = Vec<u8>),
        (status = 304, description = "Not modified (`If-None-Match` matched)."),
        (status = 404, description = "`not_found`: no default avatar is set.", body = messgo_proto::ErrorBody)))]
async fn default_avatar(State(s): State<AppState>, headers: HeaderMap) -> Response {
    answer(s.pictures.default_avatar.as_ref(), &headers)
}

#[utoipa::path(get, path = "/api/pictures/assistant", tag = "pictures", operation_id = "assistant_picture",
    responses((status = 200, description = "The assistant's picture (JPEG, PNG or WebP), with an ETag.", content_type = "image/*", body = Vec<u8>),
        (status = 304, description = "Not modified (`If-None-Match` matched)."),
        (status = 404, description = "`not_found`: no assistant picture is set.", body = messgo_proto::ErrorBody)))]
async fn assistant(State(s): State<AppState>, headers: HeaderMap) -> Response {
    answer(s.pictures.assistant.as_ref(), &headers)
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/pictures", routing::get(list))
        .route("/pictures/default-avatar", routing::get(default_avatar))
        .route("/pictures/assistant", routing::get(assistant))
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(list, default_avatar, assistant))]
pub struct Api;

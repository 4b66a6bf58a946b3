//! Encrypted attachments: upload to a chat, download as a member. The server holds
//! ciphertext it cannot read; the keys travel inside the messages.

use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{self, Router};
use axum::Json;
use futures_util::StreamExt;
use messgo_proto::{BlobId, ChatId};
use serde::Deserialize;

use super::extract::Auth;
use super::{ApiError, AppState};

#[derive(Deserialize)]
pub struct UploadQuery {
    chat_id: String,
}

/// # `POST /api/blobs?chat_id=…` — upload ciphertext (application/octet-stream).
///
/// The body is read chunk by chunk and refused as soon as it passes the limit, so
/// an oversized upload costs no more than the limit in memory.
pub async fn upload(
    State(s): State<AppState>,
    Auth(who): Auth,
    Query(q): Query<UploadQuery>,
    req: Request,
) -> Result<Response, ApiError> {
    let chat: ChatId = q.chat_id.parse().map_err(|_| ApiError::not_found())?;
    let octets = req
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == b"application/octet-stream");
    if !octets {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Upload encrypted bytes as application/octet-stream.",
        ));
    }
    let limit = s.web.max_blob_bytes;
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!(
                "An attachment may be at most {} (after encryption).",
                human_size(limit)
            ),
        )
    };
    if req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
        .is_some_and(|n| n > limit)
    {
        return Err(too_large());
    }
    let mut data = Vec::new();
    let mut stream = req.into_body().into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "The upload broke off.",
            )
        })?;
        if data.len() + chunk.len() > limit {
            return Err(too_large());
        }
        data.extend_from_slice(&chunk);
    }
    if data.is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_field",
            "The upload is empty.",
        ));
    }
    let uploaded = s.services.blobs.upload_blob(who, chat, data).await?;
    Ok((StatusCode::CREATED, Json(uploaded)).into_response())
}

/// # `GET /api/blobs/{id}` — the ciphertext, for members who may see its message.
pub async fn download(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let id: BlobId = raw.parse().map_err(|_| ApiError::not_found())?;
    let data = s.services.blobs.download_blob(who, id).await?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment"),
            ),
        ],
        Body::from(data),
    )
        .into_response())
}

fn human_size(bytes: usize) -> String {
    if bytes >= 1024 * 1024 && bytes.is_multiple_of(1024 * 1024) {
        format!("{} MiB", bytes / (1024 * 1024))
    } else if bytes >= 1024 {
        format!("{} KiB", bytes / 1024)
    } else {
        format!("{bytes} bytes")
    }
}

/// Encrypted attachments.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/blobs",
            // The upload enforces its own limit as it streams.
            routing::post(upload).layer(DefaultBodyLimit::disable()),
        )
        .route("/blobs/{id}", routing::get(download))
}

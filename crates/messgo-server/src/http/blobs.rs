//! Encrypted attachments: upload to a chat, download as a member. The server holds
//! ciphertext it cannot read; the keys travel inside the messages.

use axum::body::Body;
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{self, Router};
use axum::Json;
use futures_util::{stream, StreamExt};
use messgo_proto::{BlobId, BlobUploaded, ChatId, ErrorBody};

use super::openapi::Binary;
use serde::Deserialize;
use std::time::Duration;
use tokio::time::Instant;

use super::extract::{Auth, ClientIp};
use super::{ApiError, AppState};
use crate::blobs::seal::CHUNK;
use crate::blobs::UPLOAD_LIFETIME;
use crate::service::{Limit, ServiceError};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The chat whose message will carry it (a chat id; anything else is not found).
    chat_id: String,
}

/// # `POST /api/blobs?chat_id=…` — upload ciphertext (application/octet-stream).
///
/// Everything that can refuse the upload (membership, uploads under way, the hourly
/// limit, the quota, a declared length over the limit) is checked before a byte of
/// the body is read. The body is then sealed and stored a few chunks at a time as
/// it arrives (`blobs/upload.rs`); a body that sends nothing for the stall timeout,
/// or takes longer than `UPLOAD_LIFETIME` in all, is cut off and nothing is kept.
#[utoipa::path(post, path = "/api/blobs", tag = "blobs", params(UploadQuery), security(("session" = [])),
    request_body(content = Binary, content_type = "application/octet-stream", description = "The attachment's ciphertext, at most `--max-attachment-bytes`."),
    responses((status = 201, description = "Stored until its message claims it, or it expires.", body = BlobUploaded),
        (status = 400, description = "`bad_request`: the upload broke off.", body = ErrorBody), (status = 408, description = "`upload_stalled`.", body = ErrorBody),
        (status = 404, description = "`not_found`: no such chat, or not one of yours.", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: over the size limit; `quota_exceeded`.", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: not `application/octet-stream`.", body = ErrorBody),
        (status = 429, description = "`too_many_uploads` (`Retry-After: 5`), `rate_limited` (uploads an hour; `Retry-After`).", body = ErrorBody)))]
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
    let limits = s.services.blobs.limits();
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.max_bytes) {
        return Err(ServiceError::OverLimit(Limit::AttachmentSize(limits.max_bytes)).into());
    }
    let mut upload = s.services.blobs.start_upload(who, chat, declared).await?;
    let mut body = req.into_body().into_data_stream();
    let deadline = Instant::now() + UPLOAD_LIFETIME;
    loop {
        let stall = (Instant::now() + s.web.stall_timeout).min(deadline);
        match tokio::time::timeout_at(stall, body.next()).await {
            Err(_) => return Err(stalled(s.web.stall_timeout)),
            Ok(None) => break,
            Ok(Some(Err(_))) => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                    "The upload broke off.",
                ))
            }
            Ok(Some(Ok(bytes))) => upload.push(&bytes).await?,
        }
    }
    let uploaded = upload.finish().await?;
    Ok((StatusCode::CREATED, Json(uploaded)).into_response())
}

fn stalled(after: Duration) -> ApiError {
    ApiError::new(
        StatusCode::REQUEST_TIMEOUT,
        "upload_stalled",
        format!(
            "The upload stopped arriving (nothing for {} s, or over {} minutes in all); nothing was kept. Please try again.",
            after.as_secs().max(1),
            UPLOAD_LIFETIME.as_secs() / 60
        ),
    )
}

/// # `GET /api/blobs/{id}` — the ciphertext, for members who may see its message.
///
/// Sent a chunk at a time, each read when the connection has taken the one before;
/// a client that stops reading is cut off after the stall timeout (`listener.rs`).
/// `Range: bytes=K-` answers `206` with the bytes from `K`, so a download cut off
/// goes on; any other range is answered whole.
#[utoipa::path(get, path = "/api/blobs/{id}", tag = "blobs", params(("id" = BlobId, Path), ("Range" = Option<String>, Header, description = "`bytes=K-`: the bytes from `K` on.")), security(("session" = [])),
    responses((status = 200, description = "The ciphertext.", content_type = "application/octet-stream", body = Binary),
        (status = 206, description = "The ciphertext from `K` (`Range: bytes=K-`), with `Content-Range`.", content_type = "application/octet-stream", body = Binary),
        (status = 404, description = "`not_found`: no such attachment, or not yours to see.", body = ErrorBody),
        (status = 416, description = "`range_not_satisfiable`: `K` is not below the size (`Content-Range: bytes */size`).", body = ErrorBody),
        (status = 429, description = "`too_many_downloads` from this address; `Retry-After: 5`.", body = ErrorBody)))]
pub async fn download(
    State(s): State<AppState>,
    Auth(who): Auth,
    ClientIp(address): ClientIp,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id: BlobId = raw.parse().map_err(|_| ApiError::not_found())?;
    let reader = s.services.blobs.open(who, id).await?;
    let size = reader.size();
    let from = range_start(&headers);
    if from.is_some_and(|k| k >= size) {
        return unsatisfiable(size);
    }
    let place =
        s.downloads
            .take(address)
            .ok_or(ServiceError::OverLimit(Limit::DownloadsPerAddress(
                s.downloads.limit(),
            )))?;
    let start = from.unwrap_or(0);
    let chunk = CHUNK as u64;
    let first = u32::try_from(start / chunk).unwrap_or(u32::MAX);
    let skip = usize::try_from(start % chunk).unwrap_or(0);
    // The place goes with the stream: given back when the answer is sent or dropped.
    let chunks = stream::unfold(
        (reader, first, place),
        move |(reader, idx, place)| async move {
            if idx >= reader.chunks() {
                return None;
            }
            match reader.chunk(idx).await {
                Ok(mut bytes) => {
                    if idx == first && skip > 0 {
                        bytes.drain(..skip.min(bytes.len()));
                    }
                    Some((Ok(Bytes::from(bytes)), (reader, idx + 1, place)))
                }
                // Deleted meanwhile, or unreadable: the answer breaks off, so the client
                // sees a failed download rather than a short file.
                Err(e) => {
                    tracing::debug!(error = %e, "a download broke off");
                    let cut = std::io::Error::other("the attachment could not be read");
                    Some((Err(cut), (reader, u32::MAX, place)))
                }
            }
        },
    );
    let mut res = (
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
            (header::ACCEPT_RANGES, HeaderValue::from_static("bytes")),
            (header::CONTENT_LENGTH, HeaderValue::from(size - start)),
        ],
        Body::from_stream(chunks),
    )
        .into_response();
    if from.is_some() {
        *res.status_mut() = StatusCode::PARTIAL_CONTENT;
        let range = format!("bytes {start}-{}/{size}", size - 1);
        res.headers_mut().insert(
            header::CONTENT_RANGE,
            HeaderValue::from_str(&range).map_err(ApiError::internal)?,
        );
    }
    Ok(res)
}

/// `416` for a range that starts at or past the end, with the size.
fn unsatisfiable(size: u64) -> Result<Response, ApiError> {
    let mut res = ApiError::new(
        StatusCode::RANGE_NOT_SATISFIABLE,
        "range_not_satisfiable",
        format!("This attachment is {size} bytes; a range must start below that."),
    )
    .into_response();
    let all = HeaderValue::from_str(&format!("bytes */{size}")).map_err(ApiError::internal)?;
    res.headers_mut().insert(header::CONTENT_RANGE, all);
    Ok(res)
}

/// `K` of `Range: bytes=K-`; None for no range, or any other kind (answered whole,
/// as HTTP allows).
fn range_start(headers: &HeaderMap) -> Option<u64> {
    let value = headers.get(header::RANGE)?.to_str().ok()?;
    let from = value.trim().strip_prefix("bytes=")?.strip_suffix('-')?;
    from.parse().ok()
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(upload, download))]
pub struct Api;

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

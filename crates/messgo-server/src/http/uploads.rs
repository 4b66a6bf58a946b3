//! Resumable uploads (docs/protocol.md, "Resumable uploads"): create with the size,
//! append pieces at the stored offset, ask the offset after a cut, cancel.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{self, Router};
use axum::Json;
use futures_util::StreamExt;
use messgo_proto::{BlobId, ChatId, ErrorBody, NewUpload, UploadStatus, UPLOAD_OFFSET_HEADER};
use serde::Deserialize;
use tokio::time::Instant;

use super::error::human_size;
use super::extract::{ApiJson, Auth};
use super::{ApiError, AppState};
use crate::blobs::{Piece, PieceError, UPLOAD_LIFETIME};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChatQuery {
    /// The chat whose message will carry it (a chat id; anything else is not found).
    chat_id: String,
}

/// # `POST /api/uploads?chat_id=…` — starts a resumable upload of `size` bytes.
///
/// Refused before anything is stored, as `POST /api/blobs` is; the declared size
/// counts against the quota from now on.
#[utoipa::path(post, path = "/api/uploads", tag = "blobs", operation_id = "create_upload", params(ChatQuery), request_body = NewUpload, security(("session" = [])),
    responses((status = 201, description = "Created: send its bytes with `PATCH` from offset 0.", body = UploadStatus),
        (status = 400, description = "`invalid_field`: `size` is 0.", body = ErrorBody),
        (status = 404, description = "`not_found`: no such chat, or not one of yours.", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: over `--max-blob-bytes` (named); `quota_exceeded` (named).", body = ErrorBody),
        (status = 429, description = "`too_many_uploads` (`--uploads-at-once` unfinished, named; `Retry-After: 5`), `rate_limited` (`--uploads-per-hour`; `Retry-After`).", body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    Auth(who): Auth,
    Query(q): Query<ChatQuery>,
    ApiJson(body): ApiJson<NewUpload>,
) -> Result<Response, ApiError> {
    let chat: ChatId = q.chat_id.parse().map_err(|_| ApiError::not_found())?;
    let made = s.services.blobs.create_upload(who, chat, body.size).await?;
    Ok((StatusCode::CREATED, with_offset(made), Json(made)).into_response())
}

/// # `GET /api/uploads/{id}` — where your upload stands: the offset to go on from.
#[utoipa::path(get, path = "/api/uploads/{id}", tag = "blobs", operation_id = "upload_status", params(("id" = BlobId, Path)), security(("session" = [])),
    responses((status = 200, description = "`offset`: bytes stored for good (whole 64 KiB chunks until complete, then `size`); also in `Upload-Offset`.", body = UploadStatus),
        (status = 404, description = "`not_found`: not your upload, taken by a message, cancelled or expired.", body = ErrorBody)))]
pub async fn status(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let id: BlobId = raw.parse().map_err(|_| ApiError::not_found())?;
    let now = s.services.blobs.upload_status(who, id).await?;
    Ok((with_offset(now), Json(now)).into_response())
}

/// # `PATCH /api/uploads/{id}` — the next bytes, at `Upload-Offset`.
///
/// Stored a few whole chunks at a time as they arrive; a piece cut off, stalled or
/// refused past the declared size keeps its whole chunks, and `GET` says the offset.
#[utoipa::path(patch, path = "/api/uploads/{id}", tag = "blobs", operation_id = "append_upload", params(("id" = BlobId, Path), ("Upload-Offset" = u64, Header, description = "Where these bytes start: the stored offset.")), security(("session" = [])),
    request_body(content = super::openapi::Binary, content_type = "application/octet-stream", description = "The next bytes of the encrypted stream."),
    responses((status = 200, description = "Stored; `offset` reached `size`: complete, a message may take it.", body = UploadStatus),
        (status = 400, description = "`invalid_field`: no `Upload-Offset`; `bad_request`: the piece broke off (its whole chunks kept).", body = ErrorBody),
        (status = 404, description = "`not_found`: not your upload, taken by a message, cancelled or expired.", body = ErrorBody),
        (status = 408, description = "`upload_stalled`: nothing arrived for `--stall-timeout`; what was stored stays.", body = ErrorBody),
        (status = 409, description = "`offset_mismatch`: not at the stored offset, which the body's `offset` and `Upload-Offset` say; `upload_busy`: another piece of it is under way.", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: the bytes would pass the declared size (named).", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: not `application/octet-stream`.", body = ErrorBody)))]
pub async fn append(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(raw): Path<String>,
    req: Request,
) -> Response {
    let Ok(id) = raw.parse::<BlobId>() else {
        return ApiError::not_found().into_response();
    };
    if let Err(e) = octet_stream(req.headers()) {
        return e.into_response();
    }
    let Some(at) = req
        .headers()
        .get(UPLOAD_OFFSET_HEADER)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
    else {
        return ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_field",
            "The header Upload-Offset must say where these bytes start (the stored offset, in bytes).",
        )
        .into_response();
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    let piece = match s.services.blobs.resume_upload(who, id, at).await {
        Ok(piece) => piece,
        Err(e) => return piece_error(e),
    };
    if declared.is_some_and(|n| n > piece.room()) {
        return piece_error(PieceError::PastSize(piece.size()));
    }
    // Received in a task of its own: when the client's connection goes, the server
    // drops this handler, and the chunks that did arrive must still be stored.
    let task = tokio::spawn(receive(s.web.stall_timeout, piece, req.into_body()));
    match task.await {
        Ok(Ok(now)) => (with_offset(now), Json(now)).into_response(),
        Ok(Err(e)) => piece_error(e),
        Err(e) => ApiError::internal(e).into_response(),
    }
}

/// Reads the piece's body into the upload, keeping its whole chunks whatever ends it.
async fn receive(
    after: Duration,
    mut piece: Piece,
    body: Body,
) -> Result<UploadStatus, PieceError> {
    let mut body = body.into_data_stream();
    let deadline = Instant::now() + UPLOAD_LIFETIME;
    loop {
        let stall = (Instant::now() + after).min(deadline);
        let cut = match tokio::time::timeout_at(stall, body.next()).await {
            Ok(None) => break,
            Ok(Some(Ok(bytes))) => match piece.push(&bytes).await {
                Ok(()) => continue,
                Err(e) => e,
            },
            Err(_) => PieceError::Stalled(after),
            Ok(Some(Err(_))) => PieceError::BrokenOff,
        };
        if let Err(e) = piece.keep().await {
            tracing::warn!(error = %e, "keeping a cut-off piece failed");
        }
        return Err(cut);
    }
    Ok(piece.finish().await?)
}

/// `Content-Type: application/octet-stream`, or 415.
fn octet_stream(headers: &HeaderMap) -> Result<(), ApiError> {
    let octets = headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == b"application/octet-stream");
    if octets {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "Upload encrypted bytes as application/octet-stream.",
    ))
}

/// The stored offset as the `Upload-Offset` header, as tus has it.
fn with_offset(now: UploadStatus) -> [(&'static str, HeaderValue); 1] {
    [(UPLOAD_OFFSET_HEADER, HeaderValue::from(now.offset))]
}

/// A refused or broken-off piece's answer.
fn piece_error(e: PieceError) -> Response {
    let (status, code, message) = match e {
        PieceError::Service(e) => return ApiError::from(e).into_response(),
        PieceError::OffsetMismatch(offset) => return offset_mismatch(offset),
        PieceError::Busy => (
            StatusCode::CONFLICT,
            "upload_busy",
            "Another piece of this upload is being stored; wait for it to end, ask for the offset, and go on from there.".to_owned(),
        ),
        PieceError::PastSize(size) => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("This upload was declared as {size} bytes ({}); these bytes would pass that.", human_size(size)),
        ),
        PieceError::Stalled(after) => (
            StatusCode::REQUEST_TIMEOUT,
            "upload_stalled",
            format!(
                "The upload stopped arriving (nothing for {} s, or over {} minutes in one piece); what was stored is kept: ask for the offset and go on from there.",
                after.as_secs().max(1),
                UPLOAD_LIFETIME.as_secs() / 60
            ),
        ),
        PieceError::BrokenOff => (
            StatusCode::BAD_REQUEST,
            "bad_request",
            "The piece broke off; its whole 64 KiB chunks are kept: ask for the offset and go on from there.".to_owned(),
        ),
    };
    ApiError::new(status, code, message).into_response()
}

/// `409 offset_mismatch`, with the stored offset in the body's `offset` (at the top
/// and beside the code) and in `Upload-Offset`, so a client goes on from there.
fn offset_mismatch(offset: u64) -> Response {
    let message = format!(
        "These bytes must start at the stored offset, {offset}: send from there (or ask GET /api/uploads/{{id}})."
    );
    let body = serde_json::json!({
        "error": { "code": "offset_mismatch", "message": message, "offset": offset },
        "offset": offset,
    });
    (
        StatusCode::CONFLICT,
        [(UPLOAD_OFFSET_HEADER, HeaderValue::from(offset))],
        Json(body),
    )
        .into_response()
}

/// # `DELETE /api/uploads/{id}` — cancels your upload; its chunks are erased at once.
#[utoipa::path(delete, path = "/api/uploads/{id}", tag = "blobs", operation_id = "cancel_upload", params(("id" = BlobId, Path)), security(("session" = [])),
    responses((status = 204, description = "Cancelled, finished or not; its chunks erased."),
        (status = 404, description = "`not_found`: not your upload, or a message has taken it.", body = ErrorBody)))]
pub async fn cancel(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: BlobId = raw.parse().map_err(|_| ApiError::not_found())?;
    s.services.blobs.cancel_upload(who, id).await?;
    s.services.erasure.erase("a cancelled upload").await;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(create, status, append, cancel))]
pub struct Api;

/// Resumable uploads.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/uploads", routing::post(create))
        .route(
            "/uploads/{id}",
            // A piece enforces the declared size itself as it streams.
            routing::get(status)
                .patch(append)
                .layer(DefaultBodyLimit::disable())
                .delete(cancel),
        )
}

//! The web client, embedded in release builds and read from `web/` in debug builds
//! (rust-embed's behaviour), served from an allow-list of known files only.

use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use rust_embed::Embed;

use super::ApiError;

#[derive(Embed)]
#[folder = "../../web/"]
#[exclude = "tests/*"]
struct Web;

/// Serves `/` as `index.html` and any other embedded file by path.
pub async fn serve(req: Request) -> Response {
    let path = req.uri().path().trim_start_matches('/');
    let path = if path.is_empty() { "index.html" } else { path };
    if path.starts_with("api/") {
        return ApiError::not_found().into_response();
    }
    let Some(file) = Web::get(path) else {
        return ApiError::not_found().into_response();
    };
    let etag = format!("\"{}\"", hex_prefix(&file.metadata.sha256_hash()));
    if req
        .headers()
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes())
    {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_str(mime.as_ref()).expect("mime is ASCII"),
            ),
            // Revalidate every time: clients always run the server's current code.
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (
                header::ETAG,
                HeaderValue::from_str(&etag).expect("hex is ASCII"),
            ),
        ],
        file.data,
    )
        .into_response()
}

fn hex_prefix(hash: &[u8]) -> String {
    hash.iter().take(12).map(|b| format!("{b:02x}")).collect()
}

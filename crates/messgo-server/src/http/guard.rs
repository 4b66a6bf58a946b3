//! Middleware every request passes: CSRF rules for state changes, security headers on
//! every answer, and JSON bodies for errors produced below the handlers.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use messgo_proto::CSRF_HEADER;

use super::{ApiError, AppState};

/// State-changing API requests must carry `X-MessGo: 1` (a cross-site form cannot,
/// and a cross-site script cannot without a preflight we never grant), and a present
/// Origin must be our own.
pub async fn csrf(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe && req.uri().path().starts_with("/api/") {
        if req.headers().get(CSRF_HEADER).map(|v| v.as_bytes()) != Some(b"1") {
            return csrf_error("This request must carry the header X-MessGo: 1.");
        }
        if let Some(origin) = req.headers().get(header::ORIGIN) {
            if !origin_matches(origin, req.headers(), state.web.behind_tls_proxy) {
                return csrf_error("This request came from another site.");
            }
        }
    }
    next.run(req).await
}

fn csrf_error(message: &str) -> Response {
    ApiError::new(StatusCode::FORBIDDEN, "csrf", message).into_response()
}

fn origin_matches(origin: &HeaderValue, headers: &HeaderMap, tls: bool) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let scheme = if tls { "https" } else { "http" };
    origin
        .to_str()
        .is_ok_and(|o| o == format!("{scheme}://{host}"))
}

/// `media-src blob:`: voice notes and videos play from the `blob:` URL their decrypted
/// bytes become in the page, never from the server, which holds only ciphertext.
const CSP: &str =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
    media-src 'self' blob:; \
    connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'none'; manifest-src 'self'; worker-src 'self'";

/// Marks an API answer that is the same for every caller (the contract, the operator's
/// pictures), so it keeps its own `Cache-Control`; every other API answer is
/// `no-store`.
#[derive(Debug, Clone, Copy)]
pub struct Cacheable;

pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // Nothing of the API is stored by caches but answers marked `Cacheable`.
    let api = req.uri().path().starts_with("/api/");
    let mut res = next.run(req).await;
    let cacheable = res.extensions().get::<Cacheable>().is_some();
    let h = res.headers_mut();
    let fixed = [
        ("content-security-policy", CSP),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        ("cross-origin-opener-policy", "same-origin"),
        ("cross-origin-resource-policy", "same-origin"),
        // The microphone for voice notes, for the app's own pages only.
        (
            "permissions-policy",
            "camera=(), microphone=(self), geolocation=(), payment=(), usb=()",
        ),
    ];
    for (name, value) in fixed {
        h.insert(name, HeaderValue::from_static(value));
    }
    if state.web.behind_tls_proxy {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    if api && !cacheable {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// Errors raised by layers, the router or axum's own extractors (405, 413, a query
/// string that does not parse) arrive bare or as plain text; give them the same JSON
/// shape as everything else. axum's plain-text reason, when short, becomes the message.
pub async fn json_errors(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let status = res.status();
    let json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !(status.is_client_error() || status.is_server_error()) || json {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let mut error = ApiError::from_status(status);
    if status.is_client_error() {
        if let Ok(bytes) = axum::body::to_bytes(body, 1024).await {
            if let Ok(text) = std::str::from_utf8(&bytes) {
                if !text.trim().is_empty() {
                    error.message = format!("{}.", text.trim().trim_end_matches('.'));
                }
            }
        }
    }
    let fresh = error.into_response();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.extend(fresh.headers().clone());
    let (_, body) = fresh.into_parts();
    Response::from_parts(parts, Body::new(body))
}

/// Serves only requests that name MessGo's public host (`--public-url`) or a
/// loopback name in `Host`, when a public URL is set: a page on another name that
/// resolves to this server (DNS rebinding) cannot reach it. `421 wrong_host`
/// otherwise.
pub async fn host(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if let Some(public) = &state.web.public_host {
        let named = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(host_name);
        let loopback = |name: &str| {
            name.eq_ignore_ascii_case("localhost")
                || name
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        };
        let served = named.is_some_and(|name| name.eq_ignore_ascii_case(public) || loopback(name));
        if !served {
            return ApiError::new(
                StatusCode::MISDIRECTED_REQUEST,
                "wrong_host",
                format!("This server answers as {public}."),
            )
            .into_response();
        }
    }
    next.run(req).await
}

/// The host name of a `Host` header or an authority, without its port.
fn host_name(authority: &str) -> &str {
    if authority.starts_with('[') {
        // [v6]:port
        return authority
            .split_once(']')
            .map_or(authority, |(v6, _)| &authority[..=v6.len()]);
    }
    authority
        .rsplit_once(':')
        .map_or(authority, |(name, _)| name)
}

/// The host name of an http(s) URL (as `--public-url` is validated).
pub fn host_of_url(url: &str) -> String {
    let authority = url.split_once("://").map_or(url, |(_, rest)| rest);
    host_name(authority.trim_end_matches('/')).to_ascii_lowercase()
}

#[cfg(test)]
mod host_tests {
    use super::*;

    #[test]
    fn host_names_lose_their_ports() {
        assert_eq!(host_name("chat.example.org:8443"), "chat.example.org");
        assert_eq!(host_name("chat.example.org"), "chat.example.org");
        assert_eq!(host_name("[::1]:8080"), "[::1]");
        assert_eq!(host_name("127.0.0.1:80"), "127.0.0.1");
        assert_eq!(
            host_of_url("https://Chat.Example.org:8443"),
            "chat.example.org"
        );
    }
}

//! The session cookie: HttpOnly (no script reads it), SameSite=Strict (no other site
//! sends it), Secure when served over TLS.

use axum::http::{header, HeaderValue};
use messgo_proto::SESSION_COOKIE;

pub fn session_cookie(
    token: &str,
    max_age_secs: i64,
    secure: bool,
) -> [(header::HeaderName, HeaderValue); 1] {
    let secure = if secure { "; Secure" } else { "" };
    let value = format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}");
    [(
        header::SET_COOKIE,
        HeaderValue::from_str(&value).expect("token is base64url"),
    )]
}

pub fn clear_session_cookie(secure: bool) -> [(header::HeaderName, HeaderValue); 1] {
    session_cookie("", 0, secure)
}

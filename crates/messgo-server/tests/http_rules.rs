//! Rules every request meets: CSRF, JSON-only bodies, size limits, one error shape,
//! security headers, and only known files served.

// A test: a failed step panics and that panic is the report; a match's other arm
// is a failure too (`other => panic!`), and test data may be cut to size.
#![allow(
    clippy::unwrap_used,
    clippy::wildcard_enum_match_arm,
    clippy::cast_possible_truncation
)]

mod common;

use common::{username, TestServer, PASSWORD};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn error_of(res: reqwest::Response) -> (StatusCode, String, String) {
    let status = res.status();
    assert_eq!(
        res.headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap()),
        Some("application/json"),
        "errors are JSON ({status})"
    );
    let body: Value = res.json().await.unwrap();
    let e = &body["error"];
    (
        status,
        e["code"].as_str().unwrap().to_owned(),
        e["message"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn state_changes_need_the_csrf_header_and_our_origin() {
    let srv = TestServer::start().await;
    let http = reqwest::Client::new();
    let body = json!({"username": "someone"});

    let res = http
        .post(srv.url("/api/prelogin"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let (status, code, _) = error_of(res).await;
    assert_eq!((status, code.as_str()), (StatusCode::FORBIDDEN, "csrf"));

    let res = http
        .post(srv.url("/api/prelogin"))
        .header("x-messgo", "1")
        .header("origin", "http://evil.example")
        .json(&body)
        .send()
        .await
        .unwrap();
    let (status, code, _) = error_of(res).await;
    assert_eq!((status, code.as_str()), (StatusCode::FORBIDDEN, "csrf"));

    let own = srv.url.clone();
    let res = http
        .post(srv.url("/api/prelogin"))
        .header("x-messgo", "1")
        .header("origin", own)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // A logout by cross-site form post is refused too, and the session survives.
    let c = srv.client();
    c.register(&username("csrf"), PASSWORD).await.unwrap();
    let res = http.post(srv.url("/api/logout")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(c.me().await.is_ok());
}

#[tokio::test]
async fn bodies_must_be_json_and_within_the_limit() {
    let srv = TestServer::start().await;
    let http = reqwest::Client::new();

    let res = http
        .post(srv.url("/api/prelogin"))
        .header("x-messgo", "1")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("username=x")
        .send()
        .await
        .unwrap();
    let (status, code, _) = error_of(res).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
    );

    let res = http
        .post(srv.url("/api/prelogin"))
        .header("x-messgo", "1")
        .header("content-type", "application/json")
        .body("{\"username\": ")
        .send()
        .await
        .unwrap();
    let (status, code, message) = error_of(res).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_json")
    );
    assert!(message.contains("EOF"), "names the problem: {message}");

    let res = http
        .post(srv.url("/api/prelogin"))
        .header("x-messgo", "1")
        .json(&json!({"user": "x"}))
        .send()
        .await
        .unwrap();
    let (_, code, message) = error_of(res).await;
    assert_eq!(code, "invalid_json");
    assert!(
        message.contains("username"),
        "names the missing field: {message}"
    );

    let huge = json!({"username": "a".repeat(70 * 1024)});
    let res = http
        .post(srv.url("/api/prelogin"))
        .header("x-messgo", "1")
        .json(&huge)
        .send()
        .await
        .unwrap();
    let (status, code, _) = error_of(res).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
    );
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json_errors() {
    let srv = TestServer::start().await;
    let http = reqwest::Client::new();
    let (status, code, _) = error_of(http.get(srv.url("/api/nope")).send().await.unwrap()).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::NOT_FOUND, "not_found")
    );
    let (status, code, _) = error_of(http.get(srv.url("/api/login")).send().await.unwrap()).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
    );
    let (status, code, _) = error_of(http.get(srv.url("/api/me")).send().await.unwrap()).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::UNAUTHORIZED, "unauthenticated")
    );
    // axum's own extractor rejections (here a query string that does not parse)
    // come back in the same JSON shape.
    let c = srv.client();
    c.register(&common::username("query"), common::PASSWORD)
        .await
        .unwrap();
    let res = c
        .raw_get(&format!(
            "/api/chats/{}/keys?epoch=lots",
            uuid::Uuid::new_v4()
        ))
        .await;
    let (status, code, message) = error_of(res).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "bad_request")
    );
    assert!(message.contains("epoch"), "{message}");
    let res = http
        .get(srv.url("/api/me"))
        .header(
            "cookie",
            "messgo_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "a made-up token is just unauthenticated"
    );
}

#[tokio::test]
async fn every_answer_carries_security_headers() {
    let srv = TestServer::start().await;
    let http = reqwest::Client::new();
    for path in ["/", "/app.js", "/api/health", "/api/nope", "/missing.js"] {
        let res = http.get(srv.url(path)).send().await.unwrap();
        let h = res.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self'") && csp.contains("style-src 'self'"),
            "{path}: {csp}"
        );
        assert!(!csp.contains("unsafe-inline"), "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
    }
    let res = http.get(srv.url("/api/health")).send().await.unwrap();
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "ok");
}

#[tokio::test]
async fn the_web_client_is_served_and_nothing_else() {
    let srv = TestServer::start().await;
    let http = reqwest::Client::new();
    let res = http.get(srv.url("/")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let etag = res.headers()["etag"].clone();
    let html = res.text().await.unwrap();
    assert!(html.contains("app.js"));
    assert!(
        !html.contains("<script>") && !html.contains("style="),
        "no inline script or style"
    );

    let res = http
        .get(srv.url("/"))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);

    let js = http
        .get(srv.url("/crypto/protocol.js"))
        .send()
        .await
        .unwrap();
    assert!(js.headers()["content-type"]
        .to_str()
        .unwrap()
        .contains("javascript"));

    for path in [
        "/tests/crypto.test.mjs",
        "/../Cargo.toml",
        "/%2e%2e/Cargo.toml",
        "/.git/config",
    ] {
        let res = http.get(srv.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

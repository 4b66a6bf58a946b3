//! Guesses fired at once cannot slip past the limits: each is counted before its
//! (costly) check, so of many wrong keys sent together for one account only the
//! limit's worth is checked, and the right key then waits like any other. The
//! password hashing queue is bounded: a flood of sign-ins is told "busy" at once
//! instead of queueing without end.

// A test: a failed step panics and that panic is the report.
#![allow(clippy::unwrap_used)]

mod common;

use common::{username, TestServer, PASSWORD};
use futures_util::future::join_all;
use messgo_proto::{DeleteAccountRequest, KdfParams, LoginRequest};
use reqwest::StatusCode;
use serde::Serialize;

/// POSTs (or DELETEs) `body` as JSON and returns the status and the error code.
async fn call(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    body: &impl Serialize,
) -> (StatusCode, String) {
    let res = http
        .request(method, url)
        .header("x-messgo", "1")
        .json(body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let body: serde_json::Value = res.json().await.unwrap_or_default();
    (
        status,
        body["error"]["code"].as_str().unwrap_or("").to_owned(),
    )
}

fn wrong_key(i: usize) -> Vec<u8> {
    let mut key = vec![7u8; 32];
    key[0] = u8::try_from(i % 256).unwrap();
    key
}

/// How many answers were each of `(status, code)`.
fn tally(answers: &[(StatusCode, String)]) -> std::collections::BTreeMap<String, usize> {
    let mut out = std::collections::BTreeMap::new();
    for (status, code) in answers {
        *out.entry(format!("{} {code}", status.as_u16()))
            .or_default() += 1;
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_keys_fired_at_once_are_checked_no_more_than_the_limit_allows() {
    let srv = TestServer::start().await; // 10 failed logins per username
    let name = username("target");
    let client = srv.client();
    client.register(&name, PASSWORD).await.unwrap();
    let right = client.auth_key(&name, PASSWORD).await.unwrap();

    let http = srv.http();
    let url = srv.url("/api/login");
    let guesses = (0..120).map(|i| {
        let body = LoginRequest {
            username: name.clone(),
            auth_key: wrong_key(i).into(),
        };
        let (http, url) = (&http, &url);
        async move { call(http, reqwest::Method::POST, url, &body).await }
    });
    let answers = join_all(guesses).await;
    let counts = tally(&answers);
    let checked = counts.get("401 invalid_credentials").copied().unwrap_or(0);
    assert!(
        checked <= 10,
        "only the limit's worth was checked: {counts:?}"
    );
    assert_eq!(
        checked + counts.get("429 rate_limited").copied().unwrap_or(0),
        120,
        "the rest were refused unchecked: {counts:?}"
    );
    let body = LoginRequest {
        username: name.clone(),
        auth_key: right.into(),
    };
    let (status, code) = call(&http, reqwest::Method::POST, &url, &body).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
        "the right key waits like any other"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_in_guesser_cannot_race_the_current_key_check() {
    let srv = TestServer::start().await;
    let name = username("owner");
    let client = srv.client();
    client.register(&name, PASSWORD).await.unwrap();
    let right = client.auth_key(&name, PASSWORD).await.unwrap();
    // A stolen session: signed in, but without the password.
    let http = srv.http();
    let login = LoginRequest {
        username: name.clone(),
        auth_key: right.clone().into(),
    };
    let (status, _) = call(&http, reqwest::Method::POST, &srv.url("/api/login"), &login).await;
    assert_eq!(status, StatusCode::OK);

    let url = srv.url("/api/account");
    let guesses = (0..60).map(|i| {
        let body = DeleteAccountRequest {
            auth_key: wrong_key(i).into(),
        };
        let (http, url) = (&http, &url);
        async move { call(http, reqwest::Method::DELETE, url, &body).await }
    });
    let counts = tally(&join_all(guesses).await);
    let checked = counts.get("401 invalid_credentials").copied().unwrap_or(0);
    assert!(
        checked <= 10,
        "only the limit's worth was checked: {counts:?}"
    );
    // The password change checks the current key through the same brake.
    let change = serde_json::json!({
        "auth_key": messgo_proto::Bytes::from(right),
        "new_auth_key": messgo_proto::Bytes::from(vec![1u8; 32]),
        "new_kdf": KdfParams::pbkdf2(600_000),
        "new_key_bundle": messgo_proto::Bytes::from(vec![2u8; 92]),
    });
    let (status, code) = call(
        &http,
        reqwest::Method::POST,
        &srv.url("/api/account/password"),
        &change,
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
        "even the right current key waits"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_sign_ins_is_told_busy_at_once_not_queued_without_end() {
    let srv = TestServer::start().await; // 10,000 per address in tests
    let http = srv.http();
    let url = srv.url("/api/login");
    // Unknown names: each costs a full hash all the same, and is answered the same.
    let flood = (0..300).map(|i| {
        let body = LoginRequest {
            username: username(&format!("nobody{i}")),
            auth_key: wrong_key(i).into(),
        };
        let (http, url) = (&http, &url);
        async move { call(http, reqwest::Method::POST, url, &body).await }
    });
    let counts = tally(&join_all(flood).await);
    let busy = counts.get("503 busy").copied().unwrap_or(0);
    assert!(busy > 0, "the queue is bounded: {counts:?}");
    assert_eq!(
        busy + counts.get("401 invalid_credentials").copied().unwrap_or(0),
        300,
        "every other answer is the plain miss: {counts:?}"
    );
}

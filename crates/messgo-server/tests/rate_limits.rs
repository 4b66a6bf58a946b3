//! Brakes on guessing: failed logins per username and per address, registrations per
//! address, each answering 429 with Retry-After, and the same for unknown usernames.

// A test: a failed step panics and that panic is the report; a match's other arm
// is a failure too (`other => panic!`), and test data may be cut to size.
#![allow(
    clippy::unwrap_used,
    clippy::wildcard_enum_match_arm,
    clippy::cast_possible_truncation
)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{test_config, username, TestServer, PASSWORD};
use messgo_client::{is_api_error, ClientError};
use messgo_server::ManualClock;
use reqwest::StatusCode;

fn retry_after(e: &ClientError) -> Option<u64> {
    match e {
        ClientError::Api { retry_after, .. } => *retry_after,
        ClientError::Http(_)
        | ClientError::Crypto(_)
        | ClientError::Refused(_)
        | ClientError::Io(_) => None,
    }
}

#[tokio::test]
async fn failed_logins_are_limited_per_username_until_the_window_passes() {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let mut config = test_config(&dir);
    config.login_limit_per_username = 3;
    config.login_limit_window = Duration::from_secs(600);
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let srv = TestServer::start_config(config, dir, clock.clone()).await;

    let known = username("target");
    srv.client().register(&known, PASSWORD).await.unwrap();
    let unknown = username("ghost");

    for name in [&known, &unknown] {
        for _ in 0..3 {
            let e = srv.client().login(name, "guess").await.unwrap_err();
            assert!(
                is_api_error(&e, StatusCode::UNAUTHORIZED, "invalid_credentials"),
                "{e}"
            );
        }
        let e = srv.client().login(name, "guess").await.unwrap_err();
        assert!(
            is_api_error(&e, StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            "{e}"
        );
        assert_eq!(retry_after(&e), Some(600), "same answer for {name}");
    }
    let e = srv.client().login(&known, PASSWORD).await.unwrap_err();
    assert!(
        is_api_error(&e, StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
        "even the right password waits"
    );

    clock.advance(601_000);
    srv.client()
        .login(&known, PASSWORD)
        .await
        .expect("the window has passed");
}

#[tokio::test]
async fn failed_logins_are_limited_per_address() {
    let srv = TestServer::start_with(|c| {
        c.login_limit_per_ip = 4;
        c.login_limit_per_username = 100;
    })
    .await;
    let known = username("spray");
    srv.client().register(&known, PASSWORD).await.unwrap();
    for _ in 0..4 {
        let e = srv
            .client()
            .login(&username("u"), "guess")
            .await
            .unwrap_err();
        assert!(
            is_api_error(&e, StatusCode::UNAUTHORIZED, "invalid_credentials"),
            "{e}"
        );
    }
    let e = srv.client().login(&known, PASSWORD).await.unwrap_err();
    assert!(
        is_api_error(&e, StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
        "{e}"
    );
    assert!(retry_after(&e).is_some_and(|s| s > 0));
}

#[tokio::test]
async fn registrations_are_limited_per_address() {
    let srv = TestServer::start_with(|c| c.register_limit_per_ip = 2).await;
    srv.client()
        .register(&username("r"), PASSWORD)
        .await
        .unwrap();
    srv.client()
        .register(&username("r"), PASSWORD)
        .await
        .unwrap();
    let e = srv
        .client()
        .register(&username("r"), PASSWORD)
        .await
        .unwrap_err();
    assert!(
        is_api_error(&e, StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
        "{e}"
    );
    assert!(retry_after(&e).is_some_and(|s| s > 3000 && s <= 3600));
}

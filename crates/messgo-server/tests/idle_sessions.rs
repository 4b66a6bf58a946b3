//! A session ends after it goes unused for the idle limit, and its open sockets end
//! with it, whichever route ends it; a socket the client keeps using is use.
//! Time moves by an injected clock, never by sleeping.

// A test: a failed step panics and that panic is the report.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{register_fast, test_config, username, TestServer};
use messgo_client::{is_api_error, Client, Events};
use messgo_proto::ServerEvent;
use messgo_server::ManualClock;
use reqwest::StatusCode;

const MINUTE: i64 = 60_000;
const IDLE: i64 = 60 * MINUTE;

/// A server whose sessions end after an hour unused, on a clock the test moves.
async fn server() -> (TestServer, Arc<ManualClock>) {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let mut config = test_config(&dir);
    config.session_idle = Duration::from_millis(IDLE.unsigned_abs());
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    (
        TestServer::start_config(config, dir, clock.clone()).await,
        clock,
    )
}

/// The socket is told its session ended, then closed.
async fn assert_ended(socket: &mut Events) {
    let event = socket.next().await.unwrap();
    assert!(matches!(event, ServerEvent::SessionEnded), "{event:?}");
    let after = socket.next_within(Duration::from_secs(5)).await.unwrap();
    assert!(after.is_none(), "then the socket closes, not {after:?}");
}

async fn assert_signed_out(client: &Client) {
    let e = client.me().await.unwrap_err();
    assert!(
        is_api_error(&e, StatusCode::UNAUTHORIZED, "unauthenticated"),
        "{e}"
    );
}

#[tokio::test]
async fn the_sweep_ends_an_idle_sessions_sockets() {
    let (srv, clock) = server().await;
    let (_, a) = register_fast(&srv, &username("idle")).await;
    let mut socket = a.events().await.unwrap();
    let mut other_tab = a.events().await.unwrap();
    clock.advance(IDLE + MINUTE);
    srv.sweep().await;
    assert_ended(&mut socket).await;
    assert_ended(&mut other_tab).await;
    assert_signed_out(&a).await;
}

#[tokio::test]
async fn a_request_that_finds_its_session_idle_ends_its_sockets() {
    let (srv, clock) = server().await;
    let (_, a) = register_fast(&srv, &username("idle")).await;
    let mut socket = a.events().await.unwrap();
    clock.advance(IDLE + MINUTE);
    assert_signed_out(&a).await;
    assert_ended(&mut socket).await;
}

#[tokio::test]
async fn a_socket_in_use_keeps_its_session_but_cannot_revive_it() {
    let (srv, clock) = server().await;
    let (_, a) = register_fast(&srv, &username("busy")).await;
    let mut socket = a.events().await.unwrap();
    // Two hours of a socket in use and no request: past the limit twice over.
    for _ in 0..3 {
        clock.advance(40 * MINUTE);
        socket.expect_nothing_pending().await.unwrap();
    }
    srv.sweep().await;
    socket.expect_nothing_pending().await.unwrap();
    a.me().await.unwrap();

    // Unused past the limit, a late frame does not bring the session back: the socket
    // hears its answer, then that the session ended.
    clock.advance(IDLE + MINUTE);
    socket.send_raw(r#"{"type":"ping"}"#).await.unwrap();
    assert!(matches!(socket.next().await.unwrap(), ServerEvent::Pong));
    assert_ended(&mut socket).await;
    assert_signed_out(&a).await;
}

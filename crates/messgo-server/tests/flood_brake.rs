//! The flood brake: requests per address per second (`--requests-per-address`), held
//! back with `429 too_many_requests` after a one-second hold, and connections per
//! address (`--connections-per-address`), closed unanswered beyond the limit. Other
//! addresses are served meanwhile.

// A test: a failed step panics and that panic is the report.
#![allow(clippy::unwrap_used)]

mod common;

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use common::TestServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::Instant;

const PATIENCE: Duration = Duration::from_secs(15);

fn from(last: u8) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, last)))
        .build()
        .unwrap()
}

#[tokio::test]
async fn an_address_over_its_rate_is_held_then_refused_and_others_are_not() {
    // 5 a second: a burst of 50.
    let srv = TestServer::start_with(|c| c.requests_per_address = 5).await;
    let flood = from(2);
    let url = format!("{}/api/config", srv.url);
    for i in 0..50 {
        let res = flood.get(&url).send().await.unwrap();
        assert_eq!(res.status(), 200, "request {i} is within the burst");
    }
    let started = Instant::now();
    let res = flood.get(&url).send().await.unwrap();
    let held = started.elapsed();
    assert_eq!(res.status(), 429);
    assert_eq!(res.headers()["retry-after"], "1");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "too_many_requests");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("At most 5 requests a second"), "{message}");
    assert!(
        held >= Duration::from_millis(900),
        "answered after {held:?}, not held"
    );

    // Another address is served at once, meanwhile.
    let res = from(3).get(&url).send().await.unwrap();
    assert_eq!(res.status(), 200);

    // The flooding address gets one request a fifth of a second back: within a
    // second of being held back, it is served again.
    let deadline = Instant::now() + PATIENCE;
    loop {
        let res = flood.get(&url).send().await.unwrap();
        if res.status() == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the address never got its allowance back"
        );
    }
}

#[tokio::test]
async fn the_rust_client_waits_out_the_brake_instead_of_failing() {
    let srv = TestServer::start_with(|c| c.requests_per_address = 1).await;
    let client = messgo_client::Client::new(&srv.url).unwrap();
    // The burst is ten requests; the client's eleventh and twelfth wait a second
    // each and then succeed.
    for _ in 0..12 {
        client.config().await.unwrap();
    }
}

async fn connect_from(srv: &TestServer, last: u8) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket
        .bind((Ipv4Addr::new(127, 0, 0, last), 0).into())
        .unwrap();
    let addr = srv.url.trim_start_matches("http://").parse().unwrap();
    socket.connect(addr).await.unwrap()
}

/// Sends a GET on `conn` and says whether an answer came (false: closed unanswered).
async fn answered(conn: &mut TcpStream) -> bool {
    let req = b"GET /api/health HTTP/1.1\r\nHost: localhost\r\n\r\n";
    if conn.write_all(req).await.is_err() {
        return false;
    }
    let mut buf = [0u8; 64];
    match tokio::time::timeout(PATIENCE, conn.read(&mut buf)).await {
        Ok(Ok(n)) => n > 0 && buf.starts_with(b"HTTP/1.1 "),
        Ok(Err(_)) => false,
        Err(_) => panic!("no answer and no close within {PATIENCE:?}"),
    }
}

#[tokio::test]
async fn an_address_holds_at_most_its_connections_and_gets_them_back() {
    let srv = TestServer::start_with(|c| c.connections_per_address = 3).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut conn = connect_from(&srv, 4).await;
        assert!(answered(&mut conn).await);
        held.push(conn);
    }
    let mut fourth = connect_from(&srv, 4).await;
    assert!(
        !answered(&mut fourth).await,
        "a fourth connection is closed unanswered"
    );
    let mut elsewhere = connect_from(&srv, 5).await;
    assert!(answered(&mut elsewhere).await, "another address is served");

    // A closed connection gives its place back once the server has seen it close.
    drop(held.pop());
    let deadline = Instant::now() + PATIENCE;
    loop {
        let mut again = connect_from(&srv, 4).await;
        if answered(&mut again).await {
            break;
        }
        assert!(Instant::now() < deadline, "the place never came back");
        tokio::task::yield_now().await;
    }
}

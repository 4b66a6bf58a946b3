//! Limits a hostile client meets besides transfers: sockets per account and per
//! address, the `Host` a request names (`--public-url`), and erasures that a burst of
//! deletions cannot turn into a compaction each. Also: attachments stored whole by an
//! older server are moved into chunks at start and still read.

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

use common::{connect, register_fast, register_identity, username, TestServer};
use messgo_client::{Client, Keyring};
use messgo_proto::BlobId;
use messgo_server::erasure::ERASE_GAP;
use messgo_server::SystemClock;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;

const PATIENCE: Duration = Duration::from_secs(15);

/// Whether opening a socket was refused with 429.
async fn refused(client: &Client) -> bool {
    match client.socket(None, None).await {
        Ok(_) => false,
        Err(e) => {
            let e = e.to_string();
            assert!(e.contains("429"), "refused for another reason: {e}");
            true
        }
    }
}

#[tokio::test]
async fn sockets_are_limited_per_account_and_per_address() {
    let srv = TestServer::start_with(|c| {
        c.sockets_per_account = 2;
        c.sockets_per_address = 3;
    })
    .await;
    let (_, a) = register_fast(&srv, &username("sock_a")).await;
    let (_, b) = register_fast(&srv, &username("sock_b")).await;
    let first = a.socket(None, None).await.unwrap();
    let _second = a.socket(None, None).await.unwrap();
    assert!(refused(&a).await, "a third socket of one account");
    let _b1 = b.socket(None, None).await.unwrap();
    assert!(refused(&b).await, "a fourth socket from one address");
    // A closed socket gives its place back (once the server has seen it close).
    drop(first);
    let deadline = Instant::now() + PATIENCE;
    while a.socket(None, None).await.is_err() {
        assert!(
            Instant::now() < deadline,
            "the closed socket's place never came back"
        );
        tokio::task::yield_now().await;
    }
}

/// The status line of `GET /api/health` naming `host`.
async fn status_naming(srv: &TestServer, host: &str) -> String {
    let addr = srv.url("").trim_start_matches("http://").to_owned();
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!("GET /api/health HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    tcp.write_all(req.as_bytes()).await.unwrap();
    let mut got = String::new();
    tokio::time::timeout(PATIENCE, tcp.read_to_string(&mut got))
        .await
        .unwrap()
        .unwrap();
    got.lines().next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn with_a_public_url_only_its_host_and_loopback_are_served() {
    let srv =
        TestServer::start_with(|c| c.public_url = Some("https://chat.example.org".into())).await;
    for host in [
        "chat.example.org",
        "CHAT.example.org:443",
        "127.0.0.1:8080",
        "localhost",
        "[::1]:80",
    ] {
        assert!(
            status_naming(&srv, host).await.contains("200"),
            "{host} is served"
        );
    }
    for host in ["evil.example", "chat.example.org.evil.example", "10.0.0.1"] {
        assert!(
            status_naming(&srv, host).await.contains("421"),
            "{host} is refused"
        );
    }
    // Unset, any host is served, as before.
    let open = TestServer::start().await;
    assert!(status_naming(&open, "evil.example").await.contains("200"));
}

#[tokio::test]
async fn a_burst_of_deletions_is_erased_in_few_compactions() {
    let srv = TestServer::start().await;
    let (a_identity, a) = register_identity(&srv, &username("del_a")).await;
    let (_, b) = register_identity(&srv, &username("del_b")).await;
    connect(&a, &b).await;
    let chat = common::direct_chat(&a).await;
    let mut keys = Keyring::new(&a_identity);
    let mut ids = Vec::new();
    for i in 0..24 {
        let ack = keys
            .send_text(&a, chat.id, &format!("burst {i}"), common::now_ms())
            .await
            .unwrap();
        ids.push(ack.id);
    }
    let traces: Vec<Vec<u8>> = a
        .messages(chat.id, None, None, 50)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|m| m.ciphertext.map(|c| c.0))
        .collect();
    let erasure = &srv.services.erasure;
    let before = erasure.runs();
    let started = Instant::now();
    for id in ids {
        a.delete_message(chat.id, id).await.unwrap();
    }
    let gaps = started.elapsed().as_secs_f64() / ERASE_GAP.as_secs_f64();
    let runs = erasure.runs() - before;
    assert!(
        (runs as f64) <= gaps.ceil() + 1.0,
        "24 deletions in {gaps:.1} gaps ran {runs} compactions"
    );
    // The last ones are erased at the end of the gap.
    let deadline = Instant::now() + PATIENCE;
    while !erasure.settled() {
        assert!(Instant::now() < deadline, "the spaced erasure never ran");
        tokio::task::yield_now().await;
    }
    let files = ["", "-wal", "-shm"].map(|s| format!("{}{s}", srv.db_path().display()));
    for (i, t) in traces.iter().enumerate() {
        for f in &files {
            assert!(
                !common::file_contains(std::path::Path::new(f), t),
                "{f} holds message {i}"
            );
        }
    }
}

#[tokio::test]
async fn attachments_stored_whole_by_an_older_server_are_moved_into_chunks() {
    let srv = TestServer::start().await;
    let (a_id, a) = register_fast(&srv, &username("old_a")).await;
    let (_, b) = register_fast(&srv, &username("old_b")).await;
    connect(&a, &b).await;
    let chat = common::direct_chat(&a).await;
    let (config, dir) = srv.stop().await;
    // What an older server stored: the bytes in the row, no at-rest key.
    let id = BlobId::random();
    let bytes: Vec<u8> = (0..150_000u32).map(|i| (i % 251) as u8).collect();
    let url = format!("sqlite://{}", dir.path().join("messgo.db").display());
    let mut c = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url)
        .await
        .unwrap();
    let now = common::now_ms();
    sqlx::query(
        "INSERT INTO blobs (id, chat_id, uploader, size, data, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id.0)
    .bind(chat.id.0)
    .bind(a_id.0)
    .bind(bytes.len() as i64)
    .bind(&bytes)
    .bind(now)
    .bind(now + 3_600_000)
    .execute(&mut c)
    .await
    .unwrap();
    sqlx::Connection::close(c).await.unwrap();

    let srv = TestServer::start_config(config, dir, Arc::new(SystemClock)).await;
    let a = a.with_base(&srv.url(""));
    assert_eq!(a.download_blob(id).await.unwrap(), bytes);
    let url = format!("sqlite://{}?mode=ro", srv.db_path().display());
    let mut c = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url)
        .await
        .unwrap();
    let (left,): (i64,) = sqlx::query_as("SELECT length(data) FROM blobs WHERE id = $1")
        .bind(id.0)
        .fetch_one(&mut c)
        .await
        .unwrap();
    assert_eq!(left, 0, "the row no longer holds the bytes");
}

//! A resumable upload survives its connection: a piece cut off halfway (the socket
//! dropped) or stalled keeps its whole 64 KiB chunks, `GET` says the offset, and the
//! upload goes on from there to a byte-identical blob. One piece at a time.

// A test: a failed step panics and that panic is the report; a match's other arm
// is a failure too (`other => panic!`), and test data may be cut to size.
#![allow(
    clippy::unwrap_used,
    clippy::wildcard_enum_match_arm,
    clippy::cast_possible_truncation
)]

mod common;

use std::time::Duration;

use common::uploads::{noise, Uploader};
use common::{connect, direct_chat, register_fast, username, TestServer};
use messgo_client::Client;
use messgo_proto::{BlobId, Chat};
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

const CHUNK: usize = 64 * 1024;
const STALL: Duration = Duration::from_secs(1);
/// Longest any wait here may take; every wait is on a condition within it.
const PATIENCE: Duration = Duration::from_secs(20);

async fn setup(srv: &TestServer) -> (Client, Chat) {
    let (_, a) = register_fast(srv, &username("cut_a")).await;
    let (_, b) = register_fast(srv, &username("cut_b")).await;
    connect(&a, &b).await;
    let chat = direct_chat(&a).await;
    (a, chat)
}

/// A `PATCH` of `len` bytes at `at` whose body the caller sends (or does not).
async fn patch_head(
    srv: &TestServer,
    client: &Client,
    id: BlobId,
    at: u64,
    len: usize,
) -> TcpStream {
    let addr = srv.url("").trim_start_matches("http://").to_owned();
    let mut tcp = TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "PATCH /api/uploads/{id} HTTP/1.1\r\nHost: {addr}\r\nCookie: {}\r\nX-MessGo: 1\r\n\
         Content-Type: application/octet-stream\r\nUpload-Offset: {at}\r\nContent-Length: {len}\r\n\r\n",
        client.cookie_header().unwrap()
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    tcp
}

/// Waits until an empty piece at `at` is taken: the upload's stored offset is `at`
/// and no piece of it is under way any more.
async fn settled_at(up: &Uploader, id: BlobId, at: u64) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let res = up.patch(id, at, Vec::new()).await;
        let status = res.status();
        if status == StatusCode::OK {
            return;
        }
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert!(
            Instant::now() < deadline,
            "the upload never settled at {at}: {body}"
        );
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn a_connection_cut_halfway_keeps_whole_chunks_and_the_upload_goes_on() {
    let srv = TestServer::start().await;
    let (a, chat) = setup(&srv).await;
    let up = Uploader::new(&a);
    let bytes = noise(12 * CHUNK + 321, 9);
    let made = up.created(chat.id, bytes.len() as u64).await;

    // Half of the body (six chunks and a bit), then the socket is dropped: first four
    // chunks and a bit, until the server has stored them (the piece is being read),
    // then two more and a bit, and the cut.
    let mut tcp = patch_head(&srv, &a, made.id, 0, bytes.len()).await;
    tcp.write_all(&bytes[..4 * CHUNK + 1000]).await.unwrap();
    tcp.flush().await.unwrap();
    let deadline = Instant::now() + PATIENCE;
    while up.offset(made.id).await < 4 * CHUNK as u64 {
        assert!(
            Instant::now() < deadline,
            "the first chunks were never stored"
        );
        tokio::task::yield_now().await;
    }
    tcp.write_all(&bytes[4 * CHUNK + 1000..6 * CHUNK + 1000])
        .await
        .unwrap();
    tcp.flush().await.unwrap();
    drop(tcp);

    settled_at(&up, made.id, 6 * CHUNK as u64).await;
    assert_eq!(
        up.offset(made.id).await,
        6 * CHUNK as u64,
        "the whole chunks stayed"
    );
    let done = up
        .send_from(made.id, &bytes, 6 * CHUNK as u64, 4 * CHUNK)
        .await;
    assert_eq!(done.offset, bytes.len() as u64);
    let res = up.download(made.id, None).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.bytes().await.unwrap().to_vec(), bytes, "byte for byte");
}

#[tokio::test]
async fn one_piece_at_a_time_and_a_stalled_one_keeps_what_was_stored() {
    let srv = TestServer::start_with(|c| c.stall_timeout = STALL).await;
    let (a, chat) = setup(&srv).await;
    let up = Uploader::new(&a);
    let bytes = noise(3 * CHUNK, 10);
    let made = up.created(chat.id, bytes.len() as u64).await;

    // A piece under way (a chunk and a bit sent, then nothing): another is refused.
    let mut tcp = patch_head(&srv, &a, made.id, 0, bytes.len()).await;
    tcp.write_all(&bytes[..CHUNK + 10]).await.unwrap();
    tcp.flush().await.unwrap();
    let deadline = Instant::now() + PATIENCE;
    loop {
        let res = up.patch(made.id, 0, Vec::new()).await;
        if res.status() == StatusCode::CONFLICT {
            let body: serde_json::Value = res.json().await.unwrap();
            assert_eq!(body["error"]["code"], "upload_busy", "{body}");
            break;
        }
        assert_eq!(res.status(), StatusCode::OK);
        assert!(Instant::now() < deadline, "the piece never started");
        // The probe holds the upload for a moment too: if the piece arrived then, it
        // was the one refused as busy (an answer is waiting on its socket). Send it again.
        let mut peek = [0u8; 1];
        if matches!(tcp.try_read(&mut peek), Ok(n) if n > 0) {
            tcp = patch_head(&srv, &a, made.id, 0, bytes.len()).await;
            tcp.write_all(&bytes[..CHUNK + 10]).await.unwrap();
            tcp.flush().await.unwrap();
        }
        tokio::task::yield_now().await;
    }

    // It stalls: 408, and its whole chunk stays.
    let mut got = Vec::new();
    let read = tokio::time::timeout(PATIENCE, tcp.read_to_end(&mut got)).await;
    assert!(read.is_ok(), "answered within the stall timeout");
    let got = String::from_utf8_lossy(&got);
    assert!(
        got.starts_with("HTTP/1.1 408") && got.contains("upload_stalled"),
        "{got}"
    );
    settled_at(&up, made.id, CHUNK as u64).await;
    up.send_from(made.id, &bytes, CHUNK as u64, CHUNK).await;
    let res = up.download(made.id, Some(5)).await;
    assert_eq!(res.bytes().await.unwrap().to_vec(), bytes[5..].to_vec());
}

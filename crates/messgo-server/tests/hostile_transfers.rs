//! Clients that upload, download or listen and then stall cost the server bounded
//! memory and time: an upload is refused before a byte of its body is read when it
//! may not go ahead, a stalled body or an unread answer is cut off after the stall
//! timeout, an account has a few uploads under way at most, and attachments are
//! stored and read in chunks.

// A test: a failed step panics and that panic is the report; a match's other arm
// is a failure too (`other => panic!`), and test data may be cut to size.
#![allow(
    clippy::unwrap_used,
    clippy::wildcard_enum_match_arm,
    clippy::cast_possible_truncation
)]

mod common;

use std::time::Duration;

use common::{connect, register_fast, username, TestServer};
use futures_util::{SinkExt, StreamExt};
use messgo_client::{is_api_error, Client};
use messgo_proto::Chat;
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message;

const STALL: Duration = Duration::from_secs(1);
/// Longest any answer here may take; every wait is on a condition within it.
const PATIENCE: Duration = Duration::from_secs(15);

async fn pair(srv: &TestServer) -> (Client, Client, Chat) {
    let (_, a) = register_fast(srv, &username("up_a")).await;
    let (_, b) = register_fast(srv, &username("up_b")).await;
    connect(&a, &b).await;
    let chat = common::direct_chat(&a).await;
    (a, b, chat)
}

/// Opens a connection (with a small receive buffer, so what the client does not
/// read backs up quickly) and sends `head` as the request's head.
async fn send_head(srv: &TestServer, client: &Client, head: &str) -> TcpStream {
    let addr = srv
        .url("")
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(16 * 1024).unwrap();
    let mut tcp = socket.connect(addr.parse().unwrap()).await.unwrap();
    let cookie = client.cookie_header().unwrap();
    let text = format!("{head}Host: {addr}\r\nCookie: {cookie}\r\nX-MessGo: 1\r\n\r\n");
    tcp.write_all(text.as_bytes()).await.unwrap();
    tcp
}

async fn upload_head(srv: &TestServer, client: &Client, chat: &Chat, len: usize) -> TcpStream {
    let head = format!(
        "POST /api/blobs?chat_id={} HTTP/1.1\r\nContent-Type: application/octet-stream\r\nContent-Length: {len}\r\n",
        chat.id
    );
    send_head(srv, client, &head).await
}

/// The status line and body of the answer, read within [`PATIENCE`].
async fn answer(tcp: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let read = async {
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
            let text = String::from_utf8_lossy(&got);
            if text.contains("\r\n\r\n") && text.trim_end().ends_with('}') {
                break;
            }
        }
    };
    tokio::time::timeout(PATIENCE, read)
        .await
        .expect("an answer in time");
    String::from_utf8_lossy(&got).into_owned()
}

#[tokio::test]
async fn an_upload_that_may_not_go_ahead_is_refused_before_its_body() {
    let srv = TestServer::start_with(|c| c.upload_quota_bytes = 1 << 20).await;
    let (a, _, chat) = pair(&srv).await;
    let (_, stranger) = register_fast(&srv, &username("up_x")).await;

    // Nobody sends a byte of these bodies: each answer must come without them.
    let mut theirs = upload_head(&srv, &stranger, &chat, (10 << 20) - 1).await;
    let got = answer(&mut theirs).await;
    assert!(got.starts_with("HTTP/1.1 404"), "not a member: {got}");

    let mut over_quota = upload_head(&srv, &a, &chat, 2 << 20).await;
    let got = answer(&mut over_quota).await;
    assert!(
        got.starts_with("HTTP/1.1 413") && got.contains("quota_exceeded"),
        "{got}"
    );
    assert!(got.contains("1 MiB"), "the answer names the quota: {got}");

    let mut too_large = upload_head(&srv, &a, &chat, 101 << 20).await;
    let got = answer(&mut too_large).await;
    assert!(
        got.starts_with("HTTP/1.1 413") && got.contains("100 MiB"),
        "{got}"
    );

    // Within the quota all is well, and what is stored counts against it.
    a.upload_blob(chat.id, vec![7; 700 * 1024]).await.unwrap();
    let e = a
        .upload_blob(chat.id, vec![7; 400 * 1024])
        .await
        .unwrap_err();
    assert!(
        is_api_error(&e, StatusCode::PAYLOAD_TOO_LARGE, "quota_exceeded"),
        "{e:?}"
    );
}

#[tokio::test]
async fn stalled_uploads_are_cut_off_and_leave_nothing_behind() {
    let srv = TestServer::start_with(|c| {
        c.stall_timeout = STALL;
        c.uploads_at_once = 2;
    })
    .await;
    let (a, _, chat) = pair(&srv).await;
    let len = (10 << 20) - 1;
    let mut stalled = Vec::new();
    for _ in 0..2 {
        let mut tcp = upload_head(&srv, &a, &chat, len).await;
        // Enough for a few chunks to be stored, then nothing.
        tcp.write_all(&vec![1u8; 600 * 1024]).await.unwrap();
        stalled.push(tcp);
    }
    // Both are under way (each has stored its first chunks) until they stall: a
    // third is refused meanwhile (unless both were cut off already, which the
    // answers below would show).
    let blobs = srv.dir.path().join("messgo-blobs.db");
    let count = |sql: &'static str| {
        let url = format!("sqlite://{}?mode=ro", blobs.display());
        async move {
            let mut c = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url)
                .await
                .unwrap();
            let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&mut c).await.unwrap();
            n
        }
    };
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while count("SELECT COUNT(*) FROM blob_heads").await < 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the two uploads never started storing"
        );
        tokio::task::yield_now().await;
    }
    let third = a.upload_blob(chat.id, vec![2; 1000]).await;
    for tcp in &mut stalled {
        let got = answer(tcp).await;
        assert!(
            got.starts_with("HTTP/1.1 408") && got.contains("upload_stalled"),
            "{got}"
        );
    }
    match third {
        Err(e) => assert!(
            is_api_error(&e, StatusCode::TOO_MANY_REQUESTS, "too_many_uploads"),
            "{e:?}"
        ),
        Ok(_) => panic!("a third upload went ahead while two were under way"),
    }
    // Their places are free again, and the chunks they stored are deleted.
    let kept = a.upload_blob(chat.id, vec![3; 200_000]).await.unwrap();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    // 200,000 bytes are 4 chunks of 64 KiB: the kept upload's, nothing else.
    while count("SELECT COUNT(*) FROM blob_chunks").await != 4 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "stalled uploads' chunks were not deleted"
        );
        tokio::task::yield_now().await;
    }
    assert_eq!(a.download_blob(kept.id).await.unwrap(), vec![3; 200_000]);
}

#[tokio::test]
async fn uploads_per_hour_are_limited() {
    let srv = TestServer::start_with(|c| c.uploads_per_hour = 3).await;
    let (a, _, chat) = pair(&srv).await;
    for _ in 0..3 {
        a.upload_blob(chat.id, vec![1; 10]).await.unwrap();
    }
    let e = a.upload_blob(chat.id, vec![1; 10]).await.unwrap_err();
    assert!(
        is_api_error(&e, StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
        "{e:?}"
    );
    assert!(
        e.to_string().contains("3 uploads an hour"),
        "names the limit: {e}"
    );
}

#[tokio::test]
async fn attachments_of_any_size_come_back_byte_for_byte() {
    let srv = TestServer::start().await;
    let (a, _, chat) = pair(&srv).await;
    for size in [1, 65_535, 65_536, 65_537, 300_001, (10 << 20) - 1] {
        let bytes: Vec<u8> = (0..size).map(|i| (i * 31 % 253) as u8).collect();
        let up = a.upload_blob(chat.id, bytes.clone()).await.unwrap();
        assert_eq!(up.size, size as i64);
        let back = a.download_blob(up.id).await.unwrap();
        assert!(
            back == bytes,
            "{size} bytes came back as {} different ones",
            back.len()
        );
    }
}

#[tokio::test]
async fn a_download_nobody_reads_is_cut_off() {
    let srv = TestServer::start_with(|c| c.stall_timeout = STALL).await;
    let (a, _, chat) = pair(&srv).await;
    let size = 10 << 20;
    let up = a.upload_blob(chat.id, vec![9; size - 1]).await.unwrap();
    let head = format!("GET /api/blobs/{} HTTP/1.1\r\n", up.id);
    let mut tcp = send_head(&srv, &a, &head).await;
    // The client reads nothing; the server's write stalls and it gives up, which
    // ends the download on its side.
    let blobs = &srv.services.blobs;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while blobs.downloads_under_way() == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the download never started"
        );
        tokio::task::yield_now().await;
    }
    while blobs.downloads_under_way() > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the stalled download was never cut off"
        );
        tokio::task::yield_now().await;
    }
    let mut got = 0usize;
    let mut buf = vec![0u8; 64 * 1024];
    let read = async {
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got += n,
            }
        }
    };
    tokio::time::timeout(PATIENCE, read)
        .await
        .expect("the connection ends");
    assert!(got > 0, "the answer began");
    assert!(
        got < size,
        "the server gave up on the stalled reader ({got} bytes sent)"
    );
}

#[tokio::test]
async fn a_socket_whose_session_ends_is_told_to_sign_in_again() {
    let srv = TestServer::start().await;
    let (_, a) = register_fast(&srv, &username("ws_a")).await;
    let mut ws = a.socket(None, None).await.unwrap();
    ws.send(Message::Text(r#"{"type":"ping"}"#.into()))
        .await
        .unwrap();
    a.logout().await.unwrap();
    let close = tokio::time::timeout(PATIENCE, async {
        while let Some(Ok(msg)) = ws.next().await {
            if let Message::Close(frame) = msg {
                return frame;
            }
        }
        None
    })
    .await
    .expect("the socket closes");
    let frame = close.expect("with a close frame");
    assert_eq!(
        u16::from(frame.code),
        4001,
        "session ended, not 'too slow': {frame:?}"
    );
}

#[tokio::test]
async fn downloads_under_way_are_limited_per_address() {
    let srv = TestServer::start_with(|c| c.downloads_per_address = 1).await;
    let (a, _, chat) = pair(&srv).await;
    let up = a.upload_blob(chat.id, vec![5; 4 << 20]).await.unwrap();
    let head = format!("GET /api/blobs/{} HTTP/1.1\r\n", up.id);
    let mut slow = send_head(&srv, &a, &head).await;
    // Its answer has begun (the place is taken); the client reads no further.
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    while !String::from_utf8_lossy(&got).contains("\r\n\r\n") {
        let n = tokio::time::timeout(PATIENCE, slow.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "the answer began");
        got.extend_from_slice(&buf[..n]);
    }
    assert!(String::from_utf8_lossy(&got).starts_with("HTTP/1.1 200"));
    let e = a.download_blob(up.id).await.unwrap_err();
    assert!(
        is_api_error(&e, StatusCode::TOO_MANY_REQUESTS, "too_many_downloads"),
        "{e:?}"
    );
    // The place comes back when that download ends.
    drop(slow);
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while a.download_blob(up.id).await.is_err() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the place never came back"
        );
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn a_question_to_the_assistant_that_stalls_is_cut_off() {
    let srv = TestServer::start_with(|c| c.stall_timeout = STALL).await;
    let (_, a) = register_fast(&srv, &username("ask_x")).await;
    let head = "POST /api/assistant/ask HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n";
    let mut tcp = send_head(&srv, &a, head).await;
    tcp.write_all(br#"{"request_id":"q","messages":[{"role":"user","content":""#)
        .await
        .unwrap();
    let got = answer(&mut tcp).await;
    assert!(
        got.starts_with("HTTP/1.1 408") && got.contains("request_stalled"),
        "{got}"
    );
}

//! `messgo-client`'s resumable upload against the real server: a connection cut in the
//! middle of a piece, then the upload continued from the offset the server names
//! (inside a sealed chunk, which the client seals again), and the file downloaded
//! byte for byte; a cancelled upload is gone.

// A test: a failed step panics and that panic is the report.
#![allow(clippy::unwrap_used)]

use std::process::{Command, Stdio};
use std::time::Duration;

use messgo_client::{is_api_error, Client, FileKind, Keyring, Plaintext};
use tokio::io::AsyncWriteExt;

mod common;

use common::{start, BIN};

const PASSWORD: &str = "a long enough test password";
const PATIENCE: Duration = Duration::from_secs(20);

struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Sends the head of a `PATCH` of `len` bytes and `sent` of them, then closes the
/// connection: a client whose network went away mid-piece.
async fn cut_patch(
    url: &str,
    client: &Client,
    id: messgo_proto::BlobId,
    piece: &[u8],
    sent: usize,
) {
    let addr = url.trim_start_matches("http://");
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "PATCH /api/uploads/{id} HTTP/1.1\r\nHost: {addr}\r\nCookie: {}\r\n{}: 1\r\n\
         Content-Type: application/octet-stream\r\nUpload-Offset: 0\r\nContent-Length: {}\r\n\r\n",
        client.cookie_header().unwrap(),
        messgo_proto::CSRF_HEADER,
        piece.len()
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    tcp.write_all(&piece[..sent]).await.unwrap();
    tcp.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_upload_cut_mid_piece_continues_where_the_server_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(BIN);
    cmd.args([
        "serve",
        "--bind",
        "127.0.0.1:0",
        "--kdf-iterations",
        "100000",
        "--data-dir",
    ])
    .arg(dir.path().join("data"))
    .env_remove("MESSGO_BIND")
    .stderr(Stdio::null());
    let (child, url) = start(cmd);
    let _server = Server(child);

    let ann = Client::new(&url).unwrap();
    let me = ann.register("ann", PASSWORD).await.unwrap();
    let ben = Client::new(&url).unwrap();
    ben.register("ben", PASSWORD).await.unwrap();
    ann.request_by_username("ben").await.unwrap();
    let req = ben.requests().await.unwrap().incoming.remove(0);
    ben.accept(req.id).await.unwrap();
    let chat = ann
        .chats()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.kind == messgo_proto::ChatKind::Direct)
        .unwrap();

    let path = dir.path().join("video.mp4");
    let bytes: Vec<u8> = (0..2 * 1024 * 1024 + 999)
        .map(|i: usize| u8::try_from((i * 13 + i / 65_536) % 256).unwrap())
        .collect();
    std::fs::write(&path, &bytes).unwrap();

    let up = ann.start_file_upload(chat.id, &path).await.unwrap();
    let mut file = std::fs::File::open(&path).unwrap();
    let piece = up
        .stream_piece(&mut file, 0, messgo_client::PIECE_LEN)
        .unwrap();
    // Four whole 64 KiB storage chunks and part of a fifth arrive, then the cut.
    cut_patch(&url, &ann, up.id, &piece, 4 * 65_536 + 30_000).await;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while ann.upload_state(up.id).await.unwrap().offset < 4 * 65_536 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the server kept the whole chunks"
        );
        tokio::task::yield_now().await;
    }

    // The offset lies inside sealed chunk 3: the client seals it again and goes on.
    let mut first = None;
    ann.continue_file_upload(&up, &mut |done, _| {
        first.get_or_insert(done);
    })
    .await
    .unwrap();
    assert_eq!(first, Some(4 * 65_536), "continued, not started over");
    assert_eq!(
        ann.upload_state(up.id).await.unwrap().offset,
        up.stream_len()
    );

    let mut keys = Keyring::new(&me);
    let plain = Plaintext {
        text: "resumed".into(),
        files: vec![up.entry("video.mp4", "video/mp4", FileKind::File)],
        ..Plaintext::default()
    };
    keys.send_plaintext(&ann, chat.id, &plain, 0).await.unwrap();
    let out = dir.path().join("inbox");
    std::fs::create_dir(&out).unwrap();
    let saved = ben
        .download_file(&plain.files[0], &out, &mut |_, _| {})
        .await
        .unwrap();
    assert_eq!(std::fs::read(saved).unwrap(), bytes);

    // A cancelled upload is gone, for its uploader too.
    let other = ann
        .upload_file(chat.id, &path, &mut |_, _| {})
        .await
        .unwrap();
    ann.cancel_upload(other.id).await.unwrap();
    let e = ann.upload_state(other.id).await.unwrap_err();
    assert!(
        is_api_error(&e, reqwest::StatusCode::NOT_FOUND, "not_found"),
        "{e}"
    );
}

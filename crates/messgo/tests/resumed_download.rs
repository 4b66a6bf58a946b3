//! `messgo-client`'s streamed download against the real server, through a relay that
//! cuts the first download's answer partway: the client continues with `Range` from
//! the byte it got to and the file comes out whole.

// A test: a failed step panics and that panic is the report.
#![allow(clippy::unwrap_used)]

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use messgo_client::{Client, FileKind, Keyring, Plaintext};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

mod common;

use common::{start, BIN};

const PASSWORD: &str = "a long enough test password";
/// Bytes of the first download's answer (head and body) the relay lets through.
const CUT_AFTER: usize = 300_000;

struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[derive(Default)]
struct Seen {
    cuts: AtomicUsize,
    ranges: AtomicUsize,
}

/// Relays connections to `upstream`; the first `GET /api/blobs/…` without a `Range`
/// has its answer cut after [`CUT_AFTER`] bytes. Returns the relay's origin.
async fn relay(upstream: String, seen: Arc<Seen>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let server = TcpStream::connect(&upstream).await.unwrap();
            tokio::spawn(pipe(client, server, seen.clone()));
        }
    });
    origin
}

async fn pipe(client: TcpStream, server: TcpStream, seen: Arc<Seen>) {
    let (mut from_client, mut to_client) = client.into_split();
    let (mut from_server, mut to_server) = server.into_split();
    let armed = Arc::new(AtomicBool::new(false));
    let arm = armed.clone();
    let up = async move {
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n @ 1..) = from_client.read(&mut buf).await {
            let text = String::from_utf8_lossy(&buf[..n]).to_ascii_lowercase();
            if text.contains("get /api/blobs/") {
                if text.contains("\r\nrange: bytes=") {
                    seen.ranges.fetch_add(1, Ordering::SeqCst);
                } else if seen.cuts.fetch_add(1, Ordering::SeqCst) == 0 {
                    // Armed before the request goes on, so before its answer comes.
                    arm.store(true, Ordering::SeqCst);
                }
            }
            if to_server.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
    };
    let down = async move {
        let mut buf = vec![0u8; 16 * 1024];
        let mut passed = 0;
        while let Ok(n @ 1..) = from_server.read(&mut buf).await {
            let n = if armed.load(Ordering::SeqCst) {
                let n = n.min(CUT_AFTER - passed);
                passed += n;
                n
            } else {
                n
            };
            if to_client.write_all(&buf[..n]).await.is_err() || passed == CUT_AFTER {
                break;
            }
        }
    };
    // Either side ending ends the connection: that is the cut.
    tokio::select! {
        () = up => {}
        () = down => {}
    }
}

#[tokio::test]
async fn a_download_cut_off_continues_with_range_and_comes_out_whole() {
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
    let seen = Arc::new(Seen::default());
    let via_relay = relay(url.trim_start_matches("http://").to_owned(), seen.clone()).await;

    let ann = Client::new(&url).unwrap();
    let me = ann.register("ann", PASSWORD).await.unwrap();
    let ben = Client::new(&via_relay).unwrap();
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

    let path = dir.path().join("talk.ogg");
    let bytes: Vec<u8> = (0..1024 * 1024 + 4321)
        .map(|i: usize| u8::try_from((i * 31 + i / 65_536) % 256).unwrap())
        .collect();
    std::fs::write(&path, &bytes).unwrap();
    let up = ann
        .upload_file(chat.id, &path, &mut |_, _| {})
        .await
        .unwrap();
    let mut keys = Keyring::new(&me);
    let plain = Plaintext {
        text: String::new(),
        files: vec![up.entry("talk.ogg", "audio/ogg", FileKind::File)],
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
    assert_eq!(
        seen.cuts.load(Ordering::SeqCst),
        1,
        "the first download was cut"
    );
    assert!(
        seen.ranges.load(Ordering::SeqCst) >= 1,
        "and continued with Range"
    );
}

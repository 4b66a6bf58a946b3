//! `messgo chat send --file` and `messgo chat download` against the real server: files
//! travel encrypted in chunks and come back byte for byte; a tampered stream leaves
//! nothing behind; a sender's hostile name cannot escape the download directory.

// A test: a failed step panics and that panic is the report.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output, Stdio};

use messgo_client::{Client, FileKind, Keyring, Plaintext};

mod common;

use common::{start, BIN};

const PASSWORD: &str = "a long enough test password";

struct Setup {
    _server: Server,
    url: String,
    dir: tempfile::TempDir,
}

/// Kills the server when the test ends, however it ends.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve() -> Setup {
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
    Setup {
        _server: Server(child),
        url,
        dir,
    }
}

/// `ann` and `ben`, connected; returns ann's signed-in client.
async fn two_contacts(url: &str) -> Client {
    let ann = Client::new(url).unwrap();
    ann.register("ann", PASSWORD).await.unwrap();
    let ben = Client::new(url).unwrap();
    ben.register("ben", PASSWORD).await.unwrap();
    ann.request_by_username("ben").await.unwrap();
    let req = ben.requests().await.unwrap().incoming.remove(0);
    ben.accept(req.id).await.unwrap();
    ann
}

fn chat(url: &str, user: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(["chat", "--server", url, "--username", user])
        .args(args)
        .env("MESSGO_CHAT_PASSWORD", PASSWORD)
        .output()
        .unwrap()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Bytes no chunk repeats: a chunk swapped or misplaced would show.
fn content(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| u8::try_from((i * 7 + i / 65_536) % 256).unwrap())
        .collect()
}

#[tokio::test]
async fn a_multi_mib_file_goes_up_and_comes_back_identical() {
    let s = serve();
    two_contacts(&s.url).await;
    let src = s.dir.path().join("report 2026.pdf");
    let bytes = content(3 * 1024 * 1024 + 12_345);
    std::fs::write(&src, &bytes).unwrap();
    let small = s.dir.path().join("notes.txt");
    std::fs::write(&small, b"short").unwrap();

    let sent = ok(&chat(
        &s.url,
        "ann",
        &[
            "send",
            "--to",
            "ben",
            "--file",
            src.to_str().unwrap(),
            "--file",
            small.to_str().unwrap(),
            "the report",
        ],
    ));
    assert!(sent.starts_with("sent seq "), "{sent}");

    let history = ok(&chat(&s.url, "ben", &["history", "--with", "ann"]));
    assert!(
        history.contains("ann: the report [file report 2026.pdf (3 MiB)] [file notes.txt (5 B)]"),
        "{history}"
    );

    let out = s.dir.path().join("inbox");
    std::fs::create_dir(&out).unwrap();
    let saved = ok(&chat(
        &s.url,
        "ben",
        &["download", "--from", "ann", "--out", out.to_str().unwrap()],
    ));
    assert!(saved.contains("report 2026.pdf"), "{saved}");
    assert_eq!(std::fs::read(out.join("report 2026.pdf")).unwrap(), bytes);
    assert_eq!(std::fs::read(out.join("notes.txt")).unwrap(), b"short");

    // Again: nothing is replaced, the copies get names of their own.
    std::fs::write(out.join("notes.txt"), b"mine").unwrap();
    ok(&chat(
        &s.url,
        "ben",
        &["download", "--from", "ann", "--out", out.to_str().unwrap()],
    ));
    assert_eq!(std::fs::read(out.join("notes.txt")).unwrap(), b"mine");
    assert_eq!(std::fs::read(out.join("notes (1).txt")).unwrap(), b"short");
    assert_eq!(
        std::fs::read(out.join("report 2026 (1).pdf")).unwrap(),
        bytes
    );
    assert_eq!(files_in(&out).len(), 4, "{:?}", files_in(&out));
}

/// Sends a message listing `stream` (already sealed) as a file under `key`.
async fn send_raw(ann: &Client, stream: Vec<u8>, key: [u8; 32], size: u64, name: &str) {
    let me = ann.login("ann", PASSWORD).await.unwrap();
    let mut keys = Keyring::new(&me);
    let chat = ann
        .chats()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.kind == messgo_proto::ChatKind::Direct)
        .unwrap();
    let blob = ann.upload_blob(chat.id, stream).await.unwrap();
    let entry = messgo_client::FileEntry {
        blob: blob.id,
        key: key.to_vec().into(),
        size,
        name: name.to_owned(),
        mime: "text/plain".to_owned(),
        kind: FileKind::File,
        thumb: None,
        thumb_key: None,
        width: None,
        height: None,
        duration: None,
        waveform: None,
    };
    let plain = Plaintext {
        text: String::new(),
        files: vec![entry],
        ..Plaintext::default()
    };
    keys.send_plaintext(ann, chat.id, &plain, 0).await.unwrap();
}

#[tokio::test]
async fn a_tampered_stream_is_refused_and_leaves_nothing() {
    let s = serve();
    let ann = two_contacts(&s.url).await;
    let key = [5u8; 32];
    let plain = content(3 * 65_536 + 10);
    let mut stream = messgo_crypto::stream::seal(&key, [6; 7], &plain);
    // Chunks 0 and 1 swapped: each opens alone, not in this place.
    let (a, b) = (8..8 + 65_552, 8 + 65_552..8 + 2 * 65_552);
    let first = stream[a.clone()].to_vec();
    stream.copy_within(b.clone(), a.start);
    stream[b].copy_from_slice(&first);
    send_raw(&ann, stream, key, plain.len() as u64, "swapped.txt").await;

    let out = s.dir.path().join("inbox");
    std::fs::create_dir(&out).unwrap();
    let refused = chat(
        &s.url,
        "ben",
        &["download", "--from", "ann", "--out", out.to_str().unwrap()],
    );
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("could not be decrypted"), "{err}");
    assert!(
        files_in(&out).is_empty(),
        "nothing kept: {:?}",
        files_in(&out)
    );
}

#[tokio::test]
async fn a_hostile_name_stays_inside_the_download_directory() {
    let s = serve();
    let ann = two_contacts(&s.url).await;
    let key = [8u8; 32];
    let stream = messgo_crypto::stream::seal(&key, [9; 7], b"#!/bin/sh\n");
    send_raw(&ann, stream, key, 10, "../../.evil\x1b[2J\u{202e}hs.sh").await;

    let history = ok(&chat(&s.url, "ben", &["history", "--with", "ann"]));
    assert!(
        !history.contains('\x1b') && !history.contains('\u{202e}'),
        "{history:?}"
    );
    assert!(
        history.contains("[file evil_[2J_hs.sh (10 B)]"),
        "{history:?}"
    );

    let out = s.dir.path().join("inbox");
    std::fs::create_dir(&out).unwrap();
    ok(&chat(
        &s.url,
        "ben",
        &["download", "--from", "ann", "--out", out.to_str().unwrap()],
    ));
    assert_eq!(files_in(&out), ["evil_[2J_hs.sh"]);
    assert_eq!(
        std::fs::read(out.join("evil_[2J_hs.sh")).unwrap(),
        b"#!/bin/sh\n"
    );
    assert_eq!(
        files_in(s.dir.path()).len(),
        2,
        "nothing written beside the directory"
    );
}

//! `messgo chat register` and `messgo chat session`: a session cookie for tools that
//! speak HTTP themselves (scripts/schemathesis), in an owner-only file, never printed.

// A test: a failed step panics and that panic is the report.
#![allow(clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};

mod common;

use common::{start, BIN};

fn chat(url: &str, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(["chat", "--server", url, "--username", "cli_cookie"])
        .args(args)
        .env("MESSGO_CHAT_PASSWORD", "a long enough test password")
        .output()
        .unwrap()
}

async fn me_status(url: &str, cookie: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{url}/api/me"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn register_and_session_write_a_working_cookie_only_the_owner_can_read() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut cmd = Command::new(BIN);
    cmd.args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .env_remove("MESSGO_BIND")
        .stderr(Stdio::null());
    let (mut server, url) = start(cmd);

    let first = dir.path().join("first.cookie");
    let out = chat(
        &url,
        &["register", "--session-file", first.to_str().unwrap()],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cookie = std::fs::read_to_string(&first).unwrap();
    let cookie = cookie.trim();
    assert!(
        cookie.starts_with("messgo_session="),
        "a Cookie header's value"
    );
    let token = cookie.trim_start_matches("messgo_session=");
    let printed = [out.stdout, out.stderr].concat();
    assert!(
        !String::from_utf8_lossy(&printed).contains(token),
        "never printed"
    );
    let mode = std::fs::metadata(&first).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "only its owner may read it");
    assert_eq!(me_status(&url, cookie).await, 200);

    // A second session of the same account, in its own file.
    let second = dir.path().join("second.cookie");
    let out = chat(
        &url,
        &["session", "--session-file", second.to_str().unwrap()],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let other = std::fs::read_to_string(&second).unwrap();
    assert_ne!(other.trim(), cookie, "a new session");
    assert_eq!(me_status(&url, other.trim()).await, 200);

    server.kill().unwrap();
    server.wait().unwrap();
}

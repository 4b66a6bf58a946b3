//! `messgo chat send --reply-to`, `react` (and `--remove`), `edit` and what `history`
//! prints of them, against the real server binary: the quote of a reply, the latest
//! edit in place with "(edited)", the reactions under a message.

// A test: a failed step panics and that panic is the report.
#![allow(clippy::unwrap_used)]

use std::process::{Command, Output, Stdio};

use messgo_client::Client;

mod common;

use common::{start, BIN};

const PASSWORD: &str = "a long enough test password";

/// Kills the server when the test ends, however it ends.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(dir: &tempfile::TempDir) -> (Server, String) {
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
    (Server(child), url)
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
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn history(url: &str, user: &str, with: &str) -> Vec<String> {
    let out = ok(&chat(url, user, &["history", "--with", with]));
    out.lines().map(str::to_owned).collect()
}

#[tokio::test]
async fn replies_reactions_and_edits_from_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, url) = serve(&dir);
    for name in ["ann", "ben"] {
        Client::new(&url)
            .unwrap()
            .register(name, PASSWORD)
            .await
            .unwrap();
    }
    let ann = Client::new(&url).unwrap();
    ann.login("ann", PASSWORD).await.unwrap();
    ann.request_by_username("ben").await.unwrap();
    let ben = Client::new(&url).unwrap();
    ben.login("ben", PASSWORD).await.unwrap();
    let req = ben.requests().await.unwrap().incoming.remove(0);
    ben.accept(req.id).await.unwrap();

    assert_eq!(
        ok(&chat(
            &url,
            "ann",
            &["send", "--to", "ben", "lunch?\nat noon"]
        )),
        "sent seq 1\n"
    );
    let reply = chat(
        &url,
        "ben",
        &["send", "--to", "ann", "--reply-to", "1", "yes"],
    );
    assert_eq!(ok(&reply), "sent seq 2\n");
    ok(&chat(
        &url,
        "ben",
        &["react", "--to", "ann", "--seq", "1", "👍"],
    ));
    ok(&chat(
        &url,
        "ann",
        &["react", "--to", "ben", "--seq", "1", "👍"],
    ));
    ok(&chat(
        &url,
        "ann",
        &["react", "--to", "ben", "--seq", "1", "🎉"],
    ));
    assert_eq!(
        history(&url, "ben", "ann"),
        [
            "1 ann: lunch?\nat noon",
            "  👍 2  🎉 1",
            "  ↪ to #1: lunch?",
            "2 ben: yes"
        ]
        .join("\n")
        .lines()
        .collect::<Vec<_>>()
    );

    // Edits: only one's own, shown in place; the reply quotes the latest text.
    let theirs = chat(
        &url,
        "ben",
        &["edit", "--to", "ann", "--seq", "1", "dinner?"],
    );
    assert!(!theirs.status.success(), "ben may not edit ann's message");
    assert!(String::from_utf8_lossy(&theirs.stderr).contains("not_your_message"));
    ok(&chat(
        &url,
        "ann",
        &["edit", "--to", "ben", "--seq", "1", "brunch?"],
    ));
    ok(&chat(
        &url,
        "ann",
        &["edit", "--to", "ben", "--seq", "1", "brunch at 11?"],
    ));
    ok(&chat(
        &url,
        "ann",
        &["react", "--to", "ben", "--seq", "1", "--remove", "🎉"],
    ));
    let lines = history(&url, "ben", "ann");
    assert_eq!(
        lines,
        [
            "1 ann: brunch at 11? (edited)",
            "  👍 2",
            "  ↪ to #1: brunch at 11?",
            "2 ben: yes"
        ]
    );
    let none = chat(
        &url,
        "ann",
        &["react", "--to", "ben", "--seq", "1", "--remove", "🎉"],
    );
    assert!(!none.status.success(), "nothing left to remove");
    let missing = chat(&url, "ann", &["react", "--to", "ben", "--seq", "99", "👍"]);
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no message #99"));
}

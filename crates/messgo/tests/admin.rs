//! `messgo admin`, `messgo backup` and `messgo restore` as an operator runs them:
//! against the running binary over its socket, on the database while it is stopped,
//! refused while a server holds the database without answering, and a backup moved
//! to a new data dir where users sign in again and find their contacts, with nothing
//! of their conversations in the backup's bytes.

// A test: a failed step panics and that panic is the report.
#![allow(clippy::unwrap_used, clippy::wildcard_enum_match_arm)]

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

mod common;

use common::{start, BIN};
use messgo_client::{Client, Keyring};
use messgo_proto::ChatKind;

const PASSWORD: &str = "correct horse battery staple";

fn serve(dir: &Path, extra: &[&str]) -> (Child, String) {
    let mut cmd = Command::new(BIN);
    cmd.args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .args(extra)
        .env_remove("MESSGO_DATA_DIR")
        .stderr(Stdio::null());
    start(cmd)
}

fn stop(mut child: Child) {
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
}

fn admin(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("admin")
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("MESSGO_DATA_DIR")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn failed(out: Output) -> String {
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    err
}

/// Two contacts (a with a password) who said things, and an attachment; returns the
/// clients and every byte of it the server stored or handed out.
async fn two_contacts(url: &str) -> (Client, Client, String, String, Vec<Vec<u8>>) {
    let (a, b, a_name, b_name, traces, _) = two_contacts_in(url).await;
    (a, b, a_name, b_name, traces)
}

/// [`two_contacts`], with their chat's id.
async fn two_contacts_in(
    url: &str,
) -> (
    Client,
    Client,
    String,
    String,
    Vec<Vec<u8>>,
    messgo_proto::ChatId,
) {
    let (a_name, b_name) = (
        format!("ann{}", std::process::id()),
        format!("ben{}", std::process::id()),
    );
    let a = Client::new(url).unwrap();
    let a_identity = a.register(&a_name, PASSWORD).await.unwrap();
    let b = Client::new(url).unwrap();
    b.register(&b_name, PASSWORD).await.unwrap();
    b.set_profile(Some("Ottoline Vane"), None).await.unwrap();
    let b_name_for_request = b.me().await.unwrap().username;
    a.request_by_username(&b_name_for_request).await.unwrap();
    let incoming = b.requests().await.unwrap().incoming;
    b.accept(incoming[0].id).await.unwrap();
    let chat = a.chats().await.unwrap()[0].clone();
    let mut keys = Keyring::new(&a_identity);
    for i in 0..3 {
        keys.send_text(&a, chat.id, &format!("never in a backup {i}"), 0)
            .await
            .unwrap();
    }
    let attachment: Vec<u8> = (0..20_000u32)
        .map(|i| (i * 7919 % 251) as u8 ^ 0x5a)
        .collect();
    let blob = a.upload_blob(chat.id, attachment.clone()).await.unwrap();
    let chat = a.chat(chat.id).await.unwrap();
    let mut m = keys
        .seal(
            &a,
            chat.id,
            chat.epoch,
            messgo_proto::MessageId::new_v7(),
            "photo",
        )
        .await
        .unwrap();
    m.blobs = vec![blob.id];
    a.send_message(&m).await.unwrap();
    let mut traces: Vec<Vec<u8>> = a
        .messages(chat.id, None, None, 50)
        .await
        .unwrap()
        .into_iter()
        .flat_map(|m| [m.ciphertext, m.nonce].into_iter().flatten().map(|b| b.0))
        .collect();
    assert_eq!(traces.len(), 8);
    traces.push(attachment[..64].to_vec());
    traces.push(a.epoch_key(chat.id, chat.epoch).await.unwrap().wrapped.0);
    (a, b, a_name, b_name, traces, chat.id)
}

#[tokio::test]
async fn admin_talks_to_the_running_server_then_to_the_stopped_database() {
    let dir = tempfile::tempdir().unwrap();
    let (server, url) = serve(dir.path(), &[]);
    let (_a, _b, a_name, b_name, _, chat) = two_contacts_in(&url).await;
    // Everything every command prints, checked at the end for what it must not say.
    let mut said = String::new();
    let mut ok = |out: Output| {
        let text = ok(out);
        said += &text;
        text
    };

    let count = ok(admin(dir.path(), &["users", "count"]));
    assert_eq!(count, "2 accounts (0 disabled)\n");
    let list = ok(admin(dir.path(), &["users", "list"]));
    assert!(list.contains(&a_name) && list.contains(&b_name), "{list}");
    let stats: serde_json::Value =
        serde_json::from_str(&ok(admin(dir.path(), &["--json", "stats"]))).unwrap();
    assert_eq!(stats["accounts"], 2);
    assert_eq!(stats["messages"], 4);
    let err = failed(admin(dir.path(), &["users", "disable", "no_such_person"]));
    assert!(err.contains("no such user"), "{err}");
    // Deleting asks first; with nothing typed, nothing is deleted.
    let out = admin(dir.path(), &["users", "delete", &b_name]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("Delete the account"), "it asks: {err}");
    assert!(
        err.trim_end()
            .ends_with("(pass --yes to skip the question)"),
        "{err}"
    );
    ok(admin(dir.path(), &["users", "disable", &b_name]));
    ok(admin(dir.path(), &["sessions", "revoke", &a_name]));
    stop(server);

    // Stopped: the same commands work on the database.
    let list = ok(admin(dir.path(), &["--json", "users", "list"]));
    let list: serde_json::Value = serde_json::from_str(&list).unwrap();
    let users = list["users"].as_array().unwrap();
    assert_eq!(users.len(), 2);
    assert!(users
        .iter()
        .any(|u| u["username"] == b_name && u["disabled"] == true));
    ok(admin(dir.path(), &["users", "enable", &b_name]));
    ok(admin(dir.path(), &["users", "delete", "--yes", &b_name]));
    assert_eq!(
        ok(admin(dir.path(), &["users", "count"])),
        "1 accounts (0 disabled)\n"
    );

    // A server that holds the database but answers elsewhere: refused, not written.
    let elsewhere = dir.path().join("elsewhere.sock");
    let (server, _) = serve(dir.path(), &["--admin-socket", elsewhere.to_str().unwrap()]);
    let err = failed(admin(dir.path(), &["users", "count"]));
    assert!(err.contains("locked"), "{err}");
    stop(server);

    assert!(said.contains(&a_name), "it does name accounts");
    for secret in [
        "never in a backup".to_owned(),
        "Ottoline".to_owned(),
        chat.0.to_string(),
        chat.0.simple().to_string(),
    ] {
        assert!(
            !said.contains(&secret),
            "an admin command printed {secret}: {said}"
        );
    }
}

#[tokio::test]
async fn a_backup_moves_accounts_and_contacts_and_nothing_said() {
    let dir = tempfile::tempdir().unwrap();
    let (server, url) = serve(dir.path(), &[]);
    let (_a, _b, a_name, b_name, traces) = two_contacts(&url).await;
    let file = dir.path().join("backup.messgo");
    // Taken while the server runs.
    let out = Command::new(BIN)
        .args(["backup", "--out"])
        .arg(&file)
        .arg("--data-dir")
        .arg(dir.path())
        .output()
        .unwrap();
    let said = ok(out);
    assert!(said.contains("2 accounts, 1 contacts"), "{said}");
    stop(server);

    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "the backup holds password hashes");
    let raw = std::fs::read(&file).unwrap();
    for (i, t) in traces.iter().enumerate() {
        assert!(
            !raw.windows(t.len()).any(|w| w == t.as_slice()),
            "the backup holds trace {i} (messages, attachment, epoch key)"
        );
    }

    // Into a data dir with something in it: refused.
    let restore = |target: &Path| {
        Command::new(BIN)
            .arg("restore")
            .arg(&file)
            .arg("--data-dir")
            .arg(target)
            .output()
            .unwrap()
    };
    let err = failed(restore(dir.path()));
    assert!(err.contains("not empty"), "{err}");

    let moved = tempfile::tempdir().unwrap();
    let target = moved.path().join("data");
    ok(restore(&target));
    let (server, url) = serve(&target, &[]);
    let a = Client::new(&url).unwrap();
    let a_identity = a.login(&a_name, PASSWORD).await.unwrap();
    let contacts = a.contacts().await.unwrap();
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0].username, b_name);
    let chat = a
        .chats()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.kind == ChatKind::Direct)
        .unwrap();
    assert!(
        a.messages(chat.id, None, None, 50)
            .await
            .unwrap()
            .is_empty(),
        "chats start empty"
    );

    // They talk again: a new epoch opens, and the other side reads it.
    let mut keys = Keyring::new(&a_identity);
    keys.send_text(&a, chat.id, "hello again", 0).await.unwrap();
    let b = Client::new(&url).unwrap();
    let b_identity = b.login(&b_name, PASSWORD).await.unwrap();
    let mut b_keys = Keyring::new(&b_identity);
    let chat = b.chat(chat.id).await.unwrap();
    let got = b.messages(chat.id, None, None, 50).await.unwrap();
    let last = got.iter().rev().find(|m| m.sender.is_some()).unwrap();
    let opened = b_keys.open(&b, &chat, last).await.unwrap();
    assert_eq!(opened.text, "hello again");
    stop(server);
}

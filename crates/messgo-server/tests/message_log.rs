//! The message log behind the SQLite store (docs/storage.md): chat messages' sealed
//! parts live in it, sealed again under their expiry bucket's key, and nowhere in
//! the database; they read back after a restart; appends a crash took from the
//! database are redone from the log, and a record that does not follow on is erased.

// A test: a failed step panics and that panic is the report; a match's other arm
// is a failure too (`other => panic!`), and test data may be cut to size.
#![allow(
    clippy::unwrap_used,
    clippy::wildcard_enum_match_arm,
    clippy::cast_possible_truncation
)]

mod common;

use common::{file_contains, log_holds, register_identity, username, TestServer};
use messgo_client::{Client, Identity, Keyring};
use messgo_proto::{Chat, Message, MessageId};
use messgo_server::store::log::store::Log;
use messgo_server::store::log::LogRow;
use messgo_server::store::log_dir;

fn sealed_parts(messages: &[Message]) -> Vec<Vec<u8>> {
    messages
        .iter()
        .filter(|m| m.sender.is_some())
        .flat_map(|m| [m.ciphertext.clone(), m.nonce.clone(), m.signature.clone()])
        .flatten()
        .map(|b| b.0)
        .collect()
}

/// A server, and Ann and Ben connected, with their direct chat.
async fn two_in_a_chat() -> (TestServer, Identity, Client, Client, Chat) {
    let srv = TestServer::start().await;
    let (ann, a) = register_identity(&srv, &username("ann")).await;
    let (_, b) = register_identity(&srv, &username("ben")).await;
    common::connect(&a, &b).await;
    let chat = common::direct_chat(&a).await;
    (srv, ann, a, b, chat)
}

#[tokio::test]
async fn messages_live_in_the_log_only_and_read_back_after_a_restart() {
    let (srv, ann, a, b, chat) = two_in_a_chat().await;
    let mut keys = Keyring::new(&ann);
    for i in 0..5 {
        keys.send_text(&a, chat.id, &format!("kept {i}"), common::now_ms())
            .await
            .unwrap();
    }
    let before = b.messages(chat.id, None, None, 50).await.unwrap();
    let parts = sealed_parts(&before);
    assert_eq!(parts.len(), 15, "five messages, three sealed parts each");
    assert_eq!(log_holds(&srv, &parts), 15);
    let db = srv.db_path();
    for file in ["", "-wal"].map(|s| format!("{}{s}", db.display())) {
        for part in &parts {
            assert!(
                !file_contains(std::path::Path::new(&file), part),
                "{file} holds a sealed part"
            );
        }
    }
    for entry in std::fs::read_dir(log_dir(&db)).unwrap() {
        let path = entry.unwrap().path();
        assert!(
            parts.iter().all(|p| !file_contains(&path, p)),
            "{} holds a sealed part unsealed",
            path.display()
        );
    }

    let srv = srv.restart().await;
    let b = b.with_base(&srv.url(""));
    let after = b.messages(chat.id, None, None, 50).await.unwrap();
    assert_eq!(after, before, "the same history after a restart");
}

/// Runs `sql` on the stopped server's database file.
async fn on_file(db: &std::path::Path, sql: &[&str]) {
    let url = format!("sqlite://{}", db.display());
    let mut c = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url)
        .await
        .unwrap();
    for statement in sql {
        sqlx::query(statement).execute(&mut c).await.unwrap();
    }
    sqlx::Connection::close(c).await.unwrap();
}

#[tokio::test]
async fn appends_a_power_loss_took_from_the_database_are_redone_from_the_log() {
    let (srv, ann, a, _b, chat) = two_in_a_chat().await;
    let mut keys = Keyring::new(&ann);
    let mut last = 0;
    for i in 0..3 {
        last = keys
            .send_text(&a, chat.id, &format!("acked {i}"), common::now_ms())
            .await
            .unwrap()
            .seq;
    }
    let before = a.messages(chat.id, None, None, 50).await.unwrap();
    let (config, dir) = srv.stop().await;

    // A group of appends commits without waiting for the disk; a power loss can
    // take the last ones from the database (and with them their counter), never
    // from the log, which was synced before they were acknowledged.
    let db = dir.path().join("messgo.db");
    let chat_hex = chat.id.0.simple().to_string();
    on_file(
        &db,
        &[
            &format!(
                "DELETE FROM messages WHERE chat_id = X'{chat_hex}' AND seq > {}",
                last - 2
            ),
            "DELETE FROM log_erasures",
            &format!(
                "UPDATE chats SET seq = {} WHERE id = X'{chat_hex}'",
                last - 2
            ),
        ],
    )
    .await;

    let srv =
        TestServer::start_config(config, dir, std::sync::Arc::new(messgo_server::SystemClock))
            .await;
    let a = a.with_base(&srv.url(""));
    assert_eq!(
        a.messages(chat.id, None, None, 50).await.unwrap(),
        before,
        "every acknowledged message is back, whole, under its number"
    );
    let next = keys
        .send_text(&a, chat.id, "after", common::now_ms())
        .await
        .unwrap();
    assert_eq!(next.seq, last + 1, "and the chat goes on after them");
}

#[tokio::test]
async fn a_record_that_does_not_follow_on_is_erased_at_start() {
    let (srv, ann, a, _b, chat) = two_in_a_chat().await;
    let mut keys = Keyring::new(&ann);
    let first = keys
        .send_text(&a, chat.id, "committed", common::now_ms())
        .await
        .unwrap();
    let (config, dir) = srv.stop().await;

    // What a commit the database refused, or never got, and nobody acknowledged,
    // can leave: here, by someone who is not a member.
    let log = log_dir(&dir.path().join("messgo.db"));
    let orphan = LogRow {
        chat_id: chat.id.0,
        seq: first.seq + 1,
        id: MessageId::new_v7().0,
        sender: Some(uuid::Uuid::new_v4()),
        epoch: 1,
        system: None,
        nonce: Some(vec![7; 12]),
        ciphertext: Some(vec![7; 40]),
        signature: Some(vec![7; 64]),
        created_at: common::now_ms(),
        expires_at: first.expires_at,
        deleted: false,
        blobs: Vec::new(),
    };
    Log::open(&log)
        .unwrap()
        .append(std::slice::from_ref(&orphan))
        .unwrap();

    let srv =
        TestServer::start_config(config, dir, std::sync::Arc::new(messgo_server::SystemClock))
            .await;
    let a = a.with_base(&srv.url(""));
    let orphan_parts = vec![orphan.ciphertext.clone().unwrap()];
    assert_eq!(log_holds(&srv, &orphan_parts), 0, "erased at start");
    let next = keys
        .send_text(&a, chat.id, "after the crash", common::now_ms())
        .await
        .unwrap();
    assert_eq!(next.seq, first.seq + 1, "no hole where the orphan was");
    let served = a.messages(chat.id, None, None, 50).await.unwrap();
    let seqs: Vec<i64> = served
        .iter()
        .filter(|m| m.sender.is_some())
        .map(|m| m.seq)
        .collect();
    assert_eq!(seqs, vec![next.seq, first.seq]);
    assert!(
        served
            .iter()
            .any(|m| m.seq == next.seq && m.ciphertext.is_some()),
        "the message under the orphan's number reads whole"
    );
    let srv = srv.restart().await;
    let a = a.with_base(&srv.url(""));
    assert_eq!(
        a.messages(chat.id, None, None, 50).await.unwrap(),
        served,
        "and still does after another start, the tombstone under the same number notwithstanding"
    );
}

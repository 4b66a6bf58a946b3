//! Ephemeral by construction: expired messages are never served, then gone from the
//! database file, its WAL and its free pages; timers shorten the 72-hour ceiling.
//! Time moves by an injected clock, never by sleeping.

// A test: a failed step panics and that panic is the report; a match's other arm
// is a failure too (`other => panic!`), and test data may be cut to size.
#![allow(
    clippy::unwrap_used,
    clippy::wildcard_enum_match_arm,
    clippy::cast_possible_truncation
)]

mod common;

use std::sync::Arc;

use common::{connect, register_identity, test_config, username, TestServer};
use messgo_client::{is_api_error, Client, Identity, Keyring};
use messgo_proto::{Chat, ChatKind, ClientFrame, ResumePoints, ServerEvent, Settings};
use messgo_server::ManualClock;
use reqwest::StatusCode;

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const START: i64 = 1_700_000_000_000;

async fn server_with_clock(
    tweak: impl FnOnce(&mut messgo_server::Config),
) -> (TestServer, Arc<ManualClock>) {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let mut config = test_config(&dir);
    tweak(&mut config);
    let clock = Arc::new(ManualClock::new(START));
    (
        TestServer::start_config(config, dir, clock.clone()).await,
        clock,
    )
}

async fn pair(srv: &TestServer) -> (Identity, Client, Identity, Client, Chat) {
    let (a_id, a) = register_identity(srv, &username("ann")).await;
    let (b_id, b) = register_identity(srv, &username("ben")).await;
    connect(&a, &b).await;
    let chat = a
        .chats()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.kind == ChatKind::Direct)
        .unwrap();
    (a_id, a, b_id, b, chat)
}

/// Every file of the store: the database, its WAL and its shared-memory index.
fn store_files(srv: &TestServer) -> Vec<std::path::PathBuf> {
    let db = srv.db_path();
    ["", "-wal", "-shm"]
        .iter()
        .map(|s| std::path::PathBuf::from(format!("{}{s}", db.display())))
        .collect()
}

#[tokio::test]
async fn a_five_minute_timer_means_five_minutes_not_72_hours() {
    let (srv, clock) = server_with_clock(|_| {}).await;
    let (a_id, a, _, b, chat) = pair(&srv).await;
    let mut b_events = b.events().await.unwrap();
    b.set_timer(chat.id, 300).await.unwrap();
    let timer_event = loop {
        if let ServerEvent::Message { message } = b_events.next().await.unwrap() {
            break message;
        }
    };
    assert_eq!(
        timer_event
            .system
            .as_ref()
            .map(|s| (s.event.as_str(), s.seconds)),
        Some(("timer", Some(300)))
    );
    assert_eq!(a.chat(chat.id).await.unwrap().timer_secs, 300);

    let mut keys = Keyring::new(&a_id);
    keys.send_text(&a, chat.id, "gone in five", START)
        .await
        .unwrap();
    let sent = b.messages(chat.id, None, None, 1).await.unwrap().remove(0);
    assert_eq!(sent.expires_at - sent.created_at, 5 * MINUTE);

    clock.advance(5 * MINUTE - 1_000);
    assert_eq!(
        b.messages(chat.id, None, None, 50).await.unwrap()[0].seq,
        sent.seq,
        "still there at 4:59"
    );
    clock.advance(2_000);
    let left: Vec<_> = b.messages(chat.id, None, None, 50).await.unwrap();
    assert!(
        left.iter().all(|m| m.seq != sent.seq),
        "never served once expired, even before the sweep"
    );
    let mut points = ResumePoints::new();
    points.insert(chat.id, timer_event.seq);
    let mut fresh = b.events().await.unwrap();
    fresh
        .send_raw(&serde_json::to_string(&ClientFrame::Resume { chats: points }).unwrap())
        .await
        .unwrap();
    fresh
        .expect_nothing_pending()
        .await
        .unwrap_or_else(|e| panic!("resume served an expired message: {e}"));
}

#[tokio::test]
async fn expired_messages_leave_the_file_the_wal_and_free_pages() {
    let (srv, clock) = server_with_clock(|_| {}).await;
    let (a_id, a, _, b, chat) = pair(&srv).await;
    let mut keys = Keyring::new(&a_id);
    for i in 0..30 {
        keys.send_text(&a, chat.id, &format!("forensic {i}"), START)
            .await
            .unwrap();
    }
    let sent = b.messages(chat.id, None, None, 100).await.unwrap();
    let traces: Vec<Vec<u8>> = sent
        .iter()
        .filter_map(|m| {
            Some([
                m.ciphertext.as_ref()?.0.clone(),
                m.nonce.as_ref()?.0.clone(),
            ])
        })
        .flatten()
        .collect();
    assert_eq!(traces.len(), 60);
    assert_eq!(
        common::log_holds(&srv, &traces),
        60,
        "the scan sees them before, in the message log"
    );
    assert!(
        !store_files(&srv)
            .iter()
            .any(|f| traces.iter().any(|t| common::file_contains(f, t))),
        "the database keeps no sealed part of a chat message"
    );

    clock.advance(72 * HOUR + 1);
    srv.sweep().await;
    assert_eq!(
        common::log_holds(&srv, &traces),
        0,
        "erased in the log at the sweep, before their bucket ends"
    );
    // Once the bucket's window has passed, its key and file go too.
    let log = messgo_server::store::log_dir(&srv.db_path());
    let segments = || {
        std::fs::read_dir(&log)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "seg")
            })
            .count()
    };
    assert_eq!(
        segments(),
        1,
        "the bucket's file is there until its window ends"
    );
    clock.advance(messgo_server::store::log::BUCKET_MS);
    srv.sweep().await;
    assert_eq!(segments(), 0, "the expired bucket's file is deleted");
    for file in store_files(&srv) {
        for t in &traces {
            assert!(
                !common::file_contains(&file, t),
                "{} still holds expired bytes",
                file.display()
            );
        }
    }
    let _ = b;
}

#[tokio::test]
async fn the_retention_setting_caps_every_timer_and_request() {
    let (srv, clock) =
        server_with_clock(|c| c.retention = std::time::Duration::from_secs(10)).await;
    let (a_id, a, _, b, chat) = pair(&srv).await;
    assert_eq!(chat.timer_secs, 259_200, "the chat keeps its timer");
    Keyring::new(&a_id)
        .send_text(&a, chat.id, "brief", START)
        .await
        .unwrap();
    let m = b.messages(chat.id, None, None, 1).await.unwrap().remove(0);
    assert_eq!(
        m.expires_at - m.created_at,
        10_000,
        "but the server's retention wins"
    );

    let (_, c) = register_identity(&srv, &username("cal")).await;
    c.request_by_username(&a.me().await.unwrap().username)
        .await
        .unwrap();
    assert_eq!(a.requests().await.unwrap().incoming.len(), 1);
    clock.advance(10_001);
    assert!(
        a.requests().await.unwrap().incoming.is_empty(),
        "requests expire with the retention too"
    );
    assert!(b
        .messages(chat.id, None, None, 50)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn an_epoch_key_goes_when_its_last_message_expires() {
    let (srv, clock) = server_with_clock(|_| {}).await;
    let (a_id, a, _, b, chat) = pair(&srv).await;
    let mut keys = Keyring::new(&a_id);
    keys.send_text(&a, chat.id, "under epoch one", clock_now(&clock))
        .await
        .unwrap();
    clock.advance(25 * HOUR);
    keys.send_text(&a, chat.id, "under epoch two", clock_now(&clock))
        .await
        .unwrap();
    assert_eq!(
        a.chat(chat.id).await.unwrap().epoch,
        2,
        "an epoch older than a day is replaced"
    );
    srv.sweep().await;
    assert!(
        b.epoch_key(chat.id, 1).await.is_ok(),
        "epoch one still has a live message"
    );

    clock.advance(48 * HOUR);
    srv.sweep().await;
    let e = b.epoch_key(chat.id, 1).await.unwrap_err();
    assert!(is_api_error(&e, StatusCode::NOT_FOUND, "not_found"), "{e}");
    assert!(
        b.epoch_key(chat.id, 2).await.is_ok(),
        "the current epoch stays"
    );
}

fn clock_now(clock: &ManualClock) -> i64 {
    use messgo_server::Clock;
    clock.now_ms()
}

#[tokio::test]
async fn timers_follow_the_rules() {
    let (srv, _clock) = server_with_clock(|_| {}).await;
    let (_, a, _, b, chat) = pair(&srv).await;
    let e = a.set_timer(chat.id, 42).await.unwrap_err();
    assert!(
        is_api_error(&e, StatusCode::BAD_REQUEST, "invalid_field"),
        "{e}"
    );
    let group = a
        .create_group(&[b.me().await.unwrap().user_id])
        .await
        .unwrap();
    let e = b.set_timer(group.id, 3600).await.unwrap_err();
    assert!(
        is_api_error(&e, StatusCode::FORBIDDEN, "not_admin"),
        "in a group only admins: {e}"
    );
    a.set_timer(group.id, 3600).await.unwrap();

    // A user's default timer applies to their new chats.
    let (_, c) = register_identity(&srv, &username("cleo")).await;
    c.set_settings(Settings {
        default_timer_secs: 28_800,
        ..Settings::default()
    })
    .await
    .unwrap();
    connect(&a, &c).await;
    let with_c = c
        .chats()
        .await
        .unwrap()
        .into_iter()
        .find(|x| x.kind == ChatKind::Direct)
        .unwrap();
    assert_eq!(with_c.timer_secs, 28_800, "the shorter of the two defaults");
    let e = c
        .set_settings(Settings {
            default_timer_secs: 7,
            ..Settings::default()
        })
        .await
        .unwrap_err();
    assert!(
        is_api_error(&e, StatusCode::BAD_REQUEST, "invalid_field"),
        "{e}"
    );
}

#[tokio::test]
async fn read_positions_and_activity_go_with_the_last_message() {
    let (srv, clock) = server_with_clock(|_| {}).await;
    let (a_id, a, _, b, chat) = pair(&srv).await;
    clock.advance(MINUTE);
    Keyring::new(&a_id)
        .send_text(&a, chat.id, "read me", START + MINUTE)
        .await
        .unwrap();
    b.mark_read(chat.id, 1).await.unwrap();
    let before = b.chat(chat.id).await.unwrap();
    assert_eq!(before.last_read_seq, 1);
    assert!(before.last_activity_at > before.created_at);

    clock.advance(72 * HOUR + 1);
    srv.sweep().await;
    let after = b.chat(chat.id).await.unwrap();
    assert_eq!(
        (after.last_read_seq, after.unread),
        (0, 0),
        "how far anyone read is gone"
    );
    assert_eq!(
        after.last_activity_at, after.created_at,
        "and when they last spoke"
    );
}

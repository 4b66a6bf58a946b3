//! Reactions and edits (docs/protocol.md "Reactions and edits") on the real server,
//! SQLite and PostgreSQL: who may send them, what they may name, what they leave
//! untouched (unread, last activity, expiry), and what goes with what.
//! Time moves by an injected clock, never by sleeping.

// A test: a failed step panics and that panic is the report; a match's other arm
// is a failure too (`other => panic!`).
#![allow(clippy::unwrap_used, clippy::wildcard_enum_match_arm)]

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use common::{connect, direct_chat, register_identity, test_config, username, TestServer};
use messgo_client::{is_api_error, About, Client, Keyring, Plaintext};
use messgo_proto::{ChatId, Message, MessageId, MessageKind, ServerEvent};
use messgo_server::{Clock, ManualClock};
use reqwest::StatusCode;

const START: i64 = 1_700_000_000_000;
const HOUR: i64 = 3_600_000;

async fn server(database: Option<String>) -> (TestServer, Arc<ManualClock>) {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let mut config = test_config(&dir);
    config.database = database;
    let clock = Arc::new(ManualClock::new(START));
    (
        TestServer::start_config(config, dir, clock.clone()).await,
        clock,
    )
}

async fn next_message(events: &mut messgo_client::Events) -> Message {
    loop {
        if let ServerEvent::Message { message } = events.next().await.unwrap() {
            return message;
        }
    }
}

/// The next message of `kind` (a session also gets its own user's other sends).
async fn next_of(events: &mut messgo_client::Events, kind: MessageKind) -> Message {
    loop {
        let m = next_message(events).await;
        if m.kind == kind {
            return m;
        }
    }
}

/// Waits for `message.deleted` of every one of `seqs` in `chat`.
async fn deleted(events: &mut messgo_client::Events, chat: ChatId, seqs: &[i64]) {
    let mut left: BTreeSet<i64> = seqs.iter().copied().collect();
    while !left.is_empty() {
        if let ServerEvent::MessageDeleted { chat_id, seq } = events.next().await.unwrap() {
            if chat_id == chat {
                left.remove(&seq);
            }
        }
    }
}

async fn find(client: &Client, chat: ChatId, id: MessageId) -> Option<Message> {
    let page = client.messages(chat, None, None, 200).await.unwrap();
    page.into_iter().find(|m| m.id == id)
}

fn refused(e: &messgo_client::ClientError, status: StatusCode, code: &str) {
    assert!(is_api_error(e, status, code), "{code}: {e}");
}

#[tokio::test]
async fn reactions_and_edits_keep_their_rules_on_sqlite() {
    let (srv, clock) = server(None).await;
    direct_rules(&srv, &clock).await;
    group_rules(&srv, &clock).await;
}

#[tokio::test]
async fn reactions_and_edits_keep_their_rules_on_postgres() {
    let (db, guard) = common::fresh_postgres().await;
    let (srv, clock) = server(Some(db)).await;
    direct_rules(&srv, &clock).await;
    group_rules(&srv, &clock).await;
    srv.stop().await;
    guard.drop_database().await;
}

async fn direct_rules(srv: &TestServer, clock: &ManualClock) {
    let (a_id, a) = register_identity(srv, &username("ann")).await;
    let (b_id, b) = register_identity(srv, &username("ben")).await;
    connect(&a, &b).await;
    let chat = direct_chat(&a).await;
    let (mut ak, mut bk) = (Keyring::new(&a_id), Keyring::new(&b_id));
    let (mut a_events, mut b_events) = (a.events().await.unwrap(), b.events().await.unwrap());
    let hello = ak
        .send_text(&a, chat.id, "hello", clock.now_ms())
        .await
        .unwrap();
    next_message(&mut b_events).await;
    next_message(&mut a_events).await;
    let (a_before, b_before) = (
        a.chat(chat.id).await.unwrap(),
        b.chat(chat.id).await.unwrap(),
    );
    clock.advance(1_000);

    // A reaction: delivered live with its kind and target, readable, expiring with
    // its target, and no one's unread nor the chat's activity.
    let r = bk
        .send_reaction(&b, chat.id, hello.id, "👍", clock.now_ms())
        .await
        .unwrap();
    let m = next_message(&mut a_events).await;
    assert_eq!(
        (m.kind, m.target, m.seq),
        (MessageKind::Reaction, Some(hello.id), r.seq)
    );
    assert_eq!(
        (r.expires_at, m.expires_at),
        (hello.expires_at, hello.expires_at)
    );
    let opened = ak
        .open(&a, &a.chat(chat.id).await.unwrap(), &m)
        .await
        .unwrap();
    assert_eq!(
        opened.about,
        About::Reaction {
            target: hello.id,
            emoji: "👍".into()
        }
    );
    let a_now = a.chat(chat.id).await.unwrap();
    assert_eq!(
        (a_now.unread, a_now.last_activity_at),
        (a_before.unread, a_before.last_activity_at)
    );

    // Only the sender edits; an edit erases what it replaces and keeps the expiry.
    let mine_now = Plaintext::text("mine now");
    let theirs = bk.send_edit(&b, chat.id, hello.id, &mine_now, clock.now_ms());
    refused(
        &theirs.await.unwrap_err(),
        StatusCode::FORBIDDEN,
        "not_your_message",
    );
    clock.advance(1_000);
    let e1 = ak
        .send_edit(
            &a,
            chat.id,
            hello.id,
            &Plaintext::text("hello!"),
            clock.now_ms(),
        )
        .await
        .unwrap();
    assert_eq!(
        e1.expires_at, hello.expires_at,
        "an edit keeps the original expiry"
    );
    let m = next_of(&mut b_events, MessageKind::Edit).await;
    assert_eq!((m.kind, m.target), (MessageKind::Edit, Some(hello.id)));
    let opened = bk
        .open(&b, &b.chat(chat.id).await.unwrap(), &m)
        .await
        .unwrap();
    assert_eq!(
        (opened.text.as_str(), opened.about),
        ("hello!", About::Edit { target: hello.id })
    );
    let b_now = b.chat(chat.id).await.unwrap();
    assert_eq!(
        (b_now.unread, b_now.last_activity_at),
        (b_before.unread, b_before.last_activity_at)
    );
    let original = find(&b, chat.id, hello.id).await.unwrap();
    assert!(original.edited && !original.deleted);
    assert!(
        original.ciphertext.is_none() && original.nonce.is_none() && original.signature.is_none()
    );
    // An edited message may still be reacted to and edited again; the second edit
    // deletes the first.
    let e2 = ak
        .send_edit(
            &a,
            chat.id,
            hello.id,
            &Plaintext::text("hello!!"),
            clock.now_ms(),
        )
        .await
        .unwrap();
    deleted(&mut b_events, chat.id, &[e1.seq]).await;
    assert!(
        find(&b, chat.id, e1.id).await.unwrap().deleted,
        "one edit holds the content"
    );
    assert!(!find(&b, chat.id, e2.id).await.unwrap().deleted);

    // No such target, or not a member at all.
    let none = bk.send_reaction(&b, chat.id, MessageId::random(), "👍", clock.now_ms());
    refused(
        &none.await.unwrap_err(),
        StatusCode::NOT_FOUND,
        "target_not_found",
    );
    let (_, eve) = register_identity(srv, &username("eve")).await;
    let mut forged = ak
        .seal(
            &a,
            chat.id,
            a.chat(chat.id).await.unwrap().epoch,
            MessageId::random(),
            "x",
        )
        .await
        .unwrap();
    (forged.kind, forged.target) = (MessageKind::Reaction, Some(hello.id));
    refused(
        &eve.send_message(&forged).await.unwrap_err(),
        StatusCode::NOT_FOUND,
        "not_found",
    );
    forged.kind = MessageKind::Edit;
    refused(
        &eve.send_message(&forged).await.unwrap_err(),
        StatusCode::NOT_FOUND,
        "not_found",
    );

    // Deleting the message deletes its reactions and edits; it takes no more.
    a.delete_message(chat.id, hello.id).await.unwrap();
    deleted(&mut b_events, chat.id, &[hello.seq, r.seq, e2.seq]).await;
    for id in [r.id, e2.id] {
        assert!(find(&b, chat.id, id).await.unwrap().deleted);
    }
    let gone = bk.send_reaction(&b, chat.id, hello.id, "👍", clock.now_ms());
    refused(
        &gone.await.unwrap_err(),
        StatusCode::NOT_FOUND,
        "target_not_found",
    );

    // Un-reacting: the reactor deletes their reaction, a tombstone.
    let soon = ak
        .send_text(&a, chat.id, "soon gone", clock.now_ms())
        .await
        .unwrap();
    let r2 = bk
        .send_reaction(&b, chat.id, soon.id, "🎉", clock.now_ms())
        .await
        .unwrap();
    b.delete_message(chat.id, r2.id).await.unwrap();
    assert!(find(&a, chat.id, r2.id).await.unwrap().deleted);
    let r3 = bk
        .send_reaction(&b, chat.id, soon.id, "🎉", clock.now_ms())
        .await
        .unwrap();
    // An expired target takes no reaction; its reactions went with it.
    clock.advance(72 * HOUR + 1);
    let late = bk.send_reaction(&b, chat.id, soon.id, "👍", clock.now_ms());
    refused(
        &late.await.unwrap_err(),
        StatusCode::NOT_FOUND,
        "target_not_found",
    );
    assert!(
        find(&a, chat.id, r3.id).await.is_none(),
        "expired with its target"
    );
}

async fn group_rules(srv: &TestServer, clock: &ManualClock) {
    let (a_id, a) = register_identity(srv, &username("gail")).await;
    let (b_id, b) = register_identity(srv, &username("gus")).await;
    let (c_id, c) = register_identity(srv, &username("gwen")).await;
    connect(&a, &b).await;
    connect(&a, &c).await;
    let group = a.create_group(&[b_id.user_id()]).await.unwrap();
    let (mut ak, mut bk, mut ck) = (
        Keyring::new(&a_id),
        Keyring::new(&b_id),
        Keyring::new(&c_id),
    );
    let history = b.messages(group.id, None, None, 50).await.unwrap();
    let system = history
        .iter()
        .find(|m| m.kind == MessageKind::System)
        .unwrap();
    let on_system = bk.send_reaction(&b, group.id, system.id, "👍", clock.now_ms());
    refused(
        &on_system.await.unwrap_err(),
        StatusCode::NOT_FOUND,
        "target_not_found",
    );

    let before = ak
        .send_text(&a, group.id, "before gwen", clock.now_ms())
        .await
        .unwrap();
    a.add_member(group.id, c_id.user_id()).await.unwrap();
    let unseen = ck.send_reaction(&c, group.id, before.id, "👀", clock.now_ms());
    refused(
        &unseen.await.unwrap_err(),
        StatusCode::NOT_FOUND,
        "target_not_found",
    );
    let after = ak
        .send_text(&a, group.id, "hi gwen", clock.now_ms())
        .await
        .unwrap();
    ck.send_reaction(&c, group.id, after.id, "👋", clock.now_ms())
        .await
        .unwrap();
    let mut with_blob = ck
        .seal(
            &c,
            group.id,
            c.chat(group.id).await.unwrap().epoch,
            MessageId::random(),
            "x",
        )
        .await
        .unwrap();
    (with_blob.kind, with_blob.target) = (MessageKind::Reaction, Some(after.id));
    with_blob.blobs = vec![messgo_proto::BlobId::random()];
    refused(
        &c.send_message(&with_blob).await.unwrap_err(),
        StatusCode::BAD_REQUEST,
        "invalid_field",
    );
}

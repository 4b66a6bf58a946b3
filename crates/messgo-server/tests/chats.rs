//! End-to-end encrypted chats over real HTTP and WebSockets: every member's every
//! session gets each message once, in order; removed members read nothing after.

// A test: a failed step panics and that panic is the report; a match's other arm
// is a failure too (`other => panic!`), and test data may be cut to size.
#![allow(
    clippy::unwrap_used,
    clippy::wildcard_enum_match_arm,
    clippy::cast_possible_truncation
)]

mod common;

use common::{connect, now_ms, register_identity, username, TestServer};
use messgo_client::{is_api_error, Client, Identity, Keyring};
use messgo_proto::{Chat, ChatKind, ClientFrame, ResumePoints, ServerEvent};
use reqwest::StatusCode;

async fn person(srv: &TestServer, prefix: &str) -> (Identity, Client) {
    register_identity(srv, &username(prefix)).await
}

fn direct_chat(chats: Vec<Chat>) -> Chat {
    chats
        .into_iter()
        .find(|c| c.kind == ChatKind::Direct)
        .expect("a direct chat")
}

/// Skips events until a `message`, which it returns.
async fn next_message(events: &mut messgo_client::Events) -> messgo_proto::Message {
    loop {
        if let ServerEvent::Message { message } = events.next().await.unwrap() {
            return message;
        }
    }
}

#[tokio::test]
async fn two_people_chat_in_real_time_and_only_they_can_read_it() {
    let srv = TestServer::start().await;
    let (a_id, a) = person(&srv, "alice").await;
    let (b_id, b) = person(&srv, "bob").await;
    connect(&a, &b).await;
    let chat = direct_chat(a.chats().await.unwrap());
    assert_eq!(chat.epoch, 0, "no key yet");
    let mut b_events = b.events().await.unwrap();
    let mut b_tab2 = b.events().await.unwrap();
    let mut a_events = a.events().await.unwrap();

    let mut a_keys = Keyring::new(&a_id);
    let ack = a_keys
        .send_text(&a, chat.id, "hello bob", now_ms())
        .await
        .unwrap();
    assert_eq!(ack.seq, 1);

    let mut b_keys = Keyring::new(&b_id);
    for events in [&mut b_events, &mut b_tab2] {
        let m = next_message(events).await;
        let chat_now = b.chat(chat.id).await.unwrap();
        let opened = b_keys.open(&b, &chat_now, &m).await.unwrap();
        assert_eq!(
            (opened.seq, opened.text.as_str(), opened.sender),
            (1, "hello bob", a_id.user_id())
        );
    }
    assert_eq!(
        next_message(&mut a_events).await.seq,
        1,
        "the sender's other sessions too"
    );

    b_keys
        .send_text(&b, chat.id, "hi alice", now_ms())
        .await
        .unwrap();
    let m = next_message(&mut a_events).await;
    let chat_now = a.chat(chat.id).await.unwrap();
    assert_eq!(
        a_keys.open(&a, &chat_now, &m).await.unwrap().text,
        "hi alice"
    );

    let history = b.messages(chat.id, None, None, 50).await.unwrap();
    assert_eq!(
        history.iter().map(|m| m.seq).collect::<Vec<_>>(),
        vec![2, 1],
        "newest first"
    );

    // A stranger sees no chat, no messages, no keys: exactly as for a chat that does not exist.
    let (_, eve) = person(&srv, "eve").await;
    let nobody = eve
        .raw_get(&format!("/api/chats/{}", messgo_proto::ChatId::random()))
        .await;
    let (status, body) = (nobody.status(), nobody.text().await.unwrap());
    assert_eq!(status, StatusCode::NOT_FOUND);
    for path in [
        format!("/api/chats/{}", chat.id),
        format!("/api/chats/{}/messages", chat.id),
        format!("/api/chats/{}/keys?epoch=1", chat.id),
    ] {
        let res = eve.raw_get(&path).await;
        assert_eq!(
            (res.status(), res.text().await.unwrap()),
            (status, body.clone()),
            "{path}"
        );
    }
    let forged = a_keys
        .seal(&a, chat.id, 1, messgo_proto::MessageId::random(), "as eve")
        .await
        .unwrap();
    let e = eve.send_message(&forged).await.unwrap_err();
    assert!(is_api_error(&e, StatusCode::NOT_FOUND, "not_found"), "{e}");
}

#[tokio::test]
async fn a_resend_gets_the_same_seq_and_is_shown_once() {
    let srv = TestServer::start().await;
    let (a_id, a) = person(&srv, "resender").await;
    let (_, b) = person(&srv, "receiver").await;
    connect(&a, &b).await;
    let chat = direct_chat(a.chats().await.unwrap());
    let mut keys = Keyring::new(&a_id);
    let epoch = keys.ensure_epoch(&a, &chat, now_ms()).await.unwrap();
    let mut b_events = b.events().await.unwrap();
    let m = keys
        .seal(
            &a,
            chat.id,
            epoch,
            messgo_proto::MessageId::random(),
            "once",
        )
        .await
        .unwrap();
    let first = a.send_message(&m).await.unwrap();
    let again = a.send_message(&m).await.unwrap();
    assert_eq!(first, again);
    assert_eq!(next_message(&mut b_events).await.id, m.id);
    b_events.expect_nothing_pending().await.unwrap();
    assert_eq!(b.messages(chat.id, None, None, 50).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_group_of_five_changes_members_and_keys() {
    let srv = TestServer::start().await;
    let (admin_id, admin) = person(&srv, "admin").await;
    let mut others = Vec::new();
    for name in ["b", "c", "d", "e"] {
        let p = person(&srv, name).await;
        connect(&admin, &p.1).await;
        others.push(p);
    }
    let ids: Vec<_> = others.iter().map(|(i, _)| i.user_id()).collect();
    let group = admin.create_group(&ids[..3]).await.unwrap();
    assert_eq!(group.members.len(), 4);
    let mut admin_keys = Keyring::new(&admin_id);
    admin_keys
        .send_text(&admin, group.id, "before e", now_ms())
        .await
        .unwrap();
    let epoch_before = admin.chat(group.id).await.unwrap().epoch;

    // E joins: the old epoch is refused until a new one is opened, and E sees only
    // what comes after joining.
    admin.add_member(group.id, ids[3]).await.unwrap();
    let stale = admin_keys
        .seal(
            &admin,
            group.id,
            epoch_before,
            messgo_proto::MessageId::random(),
            "x",
        )
        .await
        .unwrap();
    let e = admin.send_message(&stale).await.unwrap_err();
    assert!(is_api_error(&e, StatusCode::CONFLICT, "epoch_stale"), "{e}");
    admin_keys
        .send_text(&admin, group.id, "welcome e", now_ms())
        .await
        .unwrap();
    let (e_id, e_client) = &others[3];
    let e_chat = e_client.chat(group.id).await.unwrap();
    let e_history = e_client.messages(group.id, None, None, 50).await.unwrap();
    let mut e_keys = Keyring::new(e_id);
    let readable: Vec<String> = {
        let mut v = Vec::new();
        for m in e_history
            .iter()
            .rev()
            .filter(|m| m.kind == messgo_proto::MessageKind::Message)
        {
            v.push(e_keys.open(e_client, &e_chat, m).await.unwrap().text);
        }
        v
    };
    assert_eq!(readable, vec!["welcome e"], "nothing from before joining");
    assert!(
        e_client.epoch_key(group.id, epoch_before).await.is_err(),
        "no key of an epoch before joining"
    );

    // B is removed: no further events, no history, no new keys.
    let (b_id, b) = &others[0];
    let mut b_events = b.events().await.unwrap();
    admin.remove_member(group.id, b_id.user_id()).await.unwrap();
    assert!(matches!(
        b_events.next().await.unwrap(),
        ServerEvent::ChatRemoved { .. }
    ));
    admin_keys
        .send_text(&admin, group.id, "after b", now_ms())
        .await
        .unwrap();
    b_events.expect_nothing_pending().await.unwrap();
    assert!(b.messages(group.id, None, None, 50).await.is_err());
    let latest = admin.chat(group.id).await.unwrap();
    assert!(b.epoch_key(group.id, latest.epoch).await.is_err());
    // Even holding the new ciphertext, B's old key cannot open it.
    let newest = admin
        .messages(group.id, None, None, 1)
        .await
        .unwrap()
        .remove(0);
    let mut b_keys = Keyring::new(b_id);
    let b_old_key = b_keys.key(b, group.id, epoch_before).await;
    assert!(b_old_key.is_err() || newest.epoch != epoch_before);

    // C, D and E read it; C leaves by themselves.
    for (who, client) in &others[1..] {
        let chat = client.chat(group.id).await.unwrap();
        let mut keys = Keyring::new(who);
        assert_eq!(
            keys.open(client, &chat, &newest).await.unwrap().text,
            "after b"
        );
    }
    let (c_id, c) = &others[1];
    c.remove_member(group.id, c_id.user_id()).await.unwrap();
    let members = admin.chat(group.id).await.unwrap().members;
    assert_eq!(members.len(), 3);
    let events: Vec<_> = admin
        .messages(group.id, None, None, 50)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|m| m.system.map(|s| s.event))
        .collect();
    assert_eq!(events, vec!["left", "removed", "joined", "created"]);

    // Only admins manage members, and only their own contacts join.
    let (_, d) = &others[2];
    let e = d.add_member(group.id, c_id.user_id()).await.unwrap_err();
    assert!(is_api_error(&e, StatusCode::FORBIDDEN, "not_admin"), "{e}");
    let (_, stranger) = person(&srv, "stranger").await;
    let e = admin
        .add_member(group.id, stranger.me().await.unwrap().user_id)
        .await
        .unwrap_err();
    assert!(
        is_api_error(&e, StatusCode::BAD_REQUEST, "not_a_contact"),
        "{e}"
    );
}

#[tokio::test]
async fn a_reconnecting_client_receives_exactly_what_it_missed() {
    let srv = TestServer::start().await;
    let (a_id, a) = person(&srv, "talker").await;
    let (_, b) = person(&srv, "sleeper").await;
    connect(&a, &b).await;
    let chat = direct_chat(a.chats().await.unwrap());
    let mut keys = Keyring::new(&a_id);
    for i in 0..5 {
        keys.send_text(&a, chat.id, &format!("m{i}"), now_ms())
            .await
            .unwrap();
    }
    let last_seen = 3;
    // While b is away, more arrive.
    for i in 5..25 {
        keys.send_text(&a, chat.id, &format!("m{i}"), now_ms())
            .await
            .unwrap();
    }
    let mut events = b.events().await.unwrap();
    let mut points = ResumePoints::new();
    points.insert(chat.id, last_seen);
    events
        .send_raw(&serde_json::to_string(&ClientFrame::Resume { chats: points }).unwrap())
        .await
        .unwrap();
    let mut seqs = Vec::new();
    for _ in 0..22 {
        seqs.push(next_message(&mut events).await.seq);
    }
    assert_eq!(
        seqs,
        (4..=25).collect::<Vec<_>>(),
        "in order, from the first missed"
    );
    events.expect_nothing_pending().await.unwrap();
    let gap = b.messages(chat.id, None, Some(20), 50).await.unwrap();
    assert_eq!(
        gap.iter().map(|m| m.seq).collect::<Vec<_>>(),
        vec![21, 22, 23, 24, 25],
        "gap filling, oldest first"
    );
}

/// Everything a socket receives that takes a place in the chat's order: its own
/// messages' acks and everyone else's messages, as `(seq, was it an ack)`.
async fn places(events: &mut messgo_client::Events, n: usize) -> Vec<(i64, bool)> {
    let mut got = Vec::new();
    while got.len() < n {
        match events.next().await.unwrap() {
            ServerEvent::Ack(ack) => got.push((ack.seq, true)),
            ServerEvent::Message { message } => got.push((message.seq, false)),
            other => panic!("unexpected {other:?}"),
        }
    }
    got
}

#[tokio::test]
async fn sending_over_the_socket_is_acknowledged_after_commit() {
    let srv = TestServer::start().await;
    let (a_id, a) = person(&srv, "socketeer").await;
    let (b_id, b) = person(&srv, "listener").await;
    connect(&a, &b).await;
    let chat = direct_chat(a.chats().await.unwrap());
    let mut a_keys = Keyring::new(&a_id);
    let epoch = a_keys.ensure_epoch(&a, &chat, now_ms()).await.unwrap();
    let mut b_keys = Keyring::new(&b_id);
    let mut a_socket = a.events().await.unwrap();
    let mut a_other_tab = a.events().await.unwrap();
    let mut b_socket = b.events().await.unwrap();
    // Both talk at once over their sockets, so their messages interleave in one order.
    let mut a_sent = Vec::new();
    for i in 0..50 {
        let id = messgo_proto::MessageId::random();
        let m = a_keys
            .seal(&a, chat.id, epoch, id, &format!("a{i}"))
            .await
            .unwrap();
        a_sent.push(m.clone());
        let frame = serde_json::to_string(&ClientFrame::Send(m)).unwrap();
        a_socket.send_raw(&frame).await.unwrap();
        if i % 5 == 0 {
            let id = messgo_proto::MessageId::random();
            let m = b_keys
                .seal(&b, chat.id, epoch, id, &format!("b{i}"))
                .await
                .unwrap();
            let frame = serde_json::to_string(&ClientFrame::Send(m)).unwrap();
            b_socket.send_raw(&frame).await.unwrap();
        }
    }
    let in_order: Vec<i64> = (1..=60).collect();
    // The sending socket gets an ack in place of each of its own messages, and the
    // other person's messages around them, all in the chat's order.
    let a_places = places(&mut a_socket, 60).await;
    assert_eq!(a_places.iter().map(|p| p.0).collect::<Vec<_>>(), in_order);
    assert_eq!(
        a_places.iter().filter(|p| p.1).count(),
        50,
        "its own are acks"
    );
    let b_places = places(&mut b_socket, 60).await;
    assert_eq!(b_places.iter().map(|p| p.0).collect::<Vec<_>>(), in_order);
    assert_eq!(b_places.iter().filter(|p| p.1).count(), 10);
    // Every other socket, the sender's other tab included, gets every message.
    let tab_places = places(&mut a_other_tab, 60).await;
    assert_eq!(
        tab_places,
        in_order.iter().map(|&s| (s, false)).collect::<Vec<_>>()
    );
    let stored = b.messages(chat.id, None, Some(0), 200).await.unwrap();
    assert_eq!(stored.len(), 60);

    // The ack says all the stored copy adds to what was sent; a resend is answered
    // with the same ack and goes to nobody again.
    let first = stored.iter().find(|m| m.id == a_sent[0].id).unwrap();
    let resend = serde_json::to_string(&ClientFrame::Send(a_sent[0].clone())).unwrap();
    a_socket.send_raw(&resend).await.unwrap();
    assert_eq!(
        a_socket.next().await.unwrap(),
        ServerEvent::Ack(messgo_proto::Ack {
            chat_id: chat.id,
            id: first.id,
            seq: first.seq,
            created_at: first.created_at,
            expires_at: first.expires_at,
        })
    );
    a_other_tab.expect_nothing_pending().await.unwrap();
    b_socket.expect_nothing_pending().await.unwrap();

    let keys = &mut a_keys;
    let mut too_big = keys
        .seal(&a, chat.id, epoch, messgo_proto::MessageId::random(), "x")
        .await
        .unwrap();
    too_big.ciphertext = vec![0u8; 64 * 1024 + 1].into();
    let e = a.send_message(&too_big).await.unwrap_err();
    assert!(
        is_api_error(&e, StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
        "{e}"
    );
    a_socket
        .send_raw(r#"{"type":"send","chat_id":"nope"}"#)
        .await
        .unwrap();
    assert!(matches!(
        a_socket.next().await.unwrap(),
        ServerEvent::Error { .. }
    ));
}

#[tokio::test]
async fn the_sender_deletes_for_everyone_and_the_bytes_go() {
    let srv = TestServer::start().await;
    let (a_id, a) = person(&srv, "regretful").await;
    let (_, b) = person(&srv, "witness").await;
    connect(&a, &b).await;
    let chat = direct_chat(a.chats().await.unwrap());
    let mut keys = Keyring::new(&a_id);
    keys.send_text(&a, chat.id, "oops", now_ms()).await.unwrap();
    let m = a.messages(chat.id, None, None, 1).await.unwrap().remove(0);
    let e = b.delete_message(chat.id, m.id).await.unwrap_err();
    assert!(
        is_api_error(&e, StatusCode::NOT_FOUND, "not_found"),
        "only the sender: {e}"
    );
    let mut b_events = b.events().await.unwrap();
    a.delete_message(chat.id, m.id).await.unwrap();
    assert_eq!(
        b_events.next().await.unwrap(),
        ServerEvent::MessageDeleted {
            chat_id: chat.id,
            seq: m.seq
        }
    );
    let after = b.messages(chat.id, None, None, 1).await.unwrap().remove(0);
    assert!(after.deleted && after.ciphertext.is_none() && after.nonce.is_none());
    let ciphertext = m.ciphertext.unwrap();
    let (_, dir) = srv.stop().await;
    common::assert_no_file_holds(dir.path(), &[ciphertext.as_slice()], "deleted ciphertext");
}

#[tokio::test]
async fn the_database_holds_no_plaintext() {
    let srv = TestServer::start().await;
    let (a_id, a) = person(&srv, "secretive").await;
    let (_, b) = person(&srv, "confidant").await;
    connect(&a, &b).await;
    let chat = direct_chat(a.chats().await.unwrap());
    let mut keys = Keyring::new(&a_id);
    let secrets: Vec<String> = (0..20)
        .map(|i| format!("the launch code is {i}-{}", uuid::Uuid::new_v4()))
        .collect();
    for s in &secrets {
        keys.send_text(&a, chat.id, s, now_ms()).await.unwrap();
    }
    let group = a
        .create_group(&[b.me().await.unwrap().user_id])
        .await
        .unwrap();
    keys.send_text(&a, group.id, &secrets[0], now_ms())
        .await
        .unwrap();
    let (_, dir) = srv.stop().await;
    let needles: Vec<&[u8]> = secrets.iter().map(|s| s.as_bytes()).collect();
    common::assert_no_file_holds(dir.path(), &needles, "plaintext");
}

#[tokio::test]
async fn unread_counts_follow_the_read_position() {
    let srv = TestServer::start().await;
    let (a_id, a) = person(&srv, "chatty").await;
    let (_, b) = person(&srv, "reader").await;
    connect(&a, &b).await;
    let chat = direct_chat(a.chats().await.unwrap());
    let mut keys = Keyring::new(&a_id);
    for i in 0..3 {
        keys.send_text(&a, chat.id, &format!("n{i}"), now_ms())
            .await
            .unwrap();
    }
    let b_view = direct_chat(b.chats().await.unwrap());
    assert_eq!((b_view.unread, b_view.last_read_seq), (3, 0));
    assert_eq!(
        direct_chat(a.chats().await.unwrap()).unread,
        0,
        "your own messages are not unread"
    );

    let mut b_other_tab = b.events().await.unwrap();
    b.mark_read(chat.id, 2).await.unwrap();
    assert_eq!(
        b_other_tab.next().await.unwrap(),
        ServerEvent::ChatRead {
            chat_id: chat.id,
            seq: 2
        }
    );
    assert_eq!(direct_chat(b.chats().await.unwrap()).unread, 1);
    b.mark_read(chat.id, 1).await.unwrap();
    assert_eq!(
        direct_chat(b.chats().await.unwrap()).last_read_seq,
        2,
        "never backwards"
    );
    b.mark_read(chat.id, 999).await.unwrap();
    let b_view = direct_chat(b.chats().await.unwrap());
    assert_eq!(
        (b_view.unread, b_view.last_read_seq),
        (0, 3),
        "never past the end"
    );
}

#[tokio::test]
async fn receipts_and_typing_only_between_people_who_both_share_them() {
    use messgo_proto::Settings;
    let srv = TestServer::start().await;
    let (a_id, a) = person(&srv, "open").await;
    let (_, b) = person(&srv, "shy").await;
    connect(&a, &b).await;
    let chat = direct_chat(a.chats().await.unwrap());
    assert_eq!(
        a.settings().await.unwrap(),
        Settings::default(),
        "off by default"
    );
    Keyring::new(&a_id)
        .send_text(&a, chat.id, "hi", now_ms())
        .await
        .unwrap();
    let typing = serde_json::to_string(&ClientFrame::Typing { chat_id: chat.id }).unwrap();

    let all_on = Settings {
        typing_indicators: true,
        read_receipts: true,
        ..Settings::default()
    };
    a.set_settings(all_on).await.unwrap();
    let mut a_events = a.events().await.unwrap();
    let mut b_events = b.events().await.unwrap();
    b.mark_read(chat.id, 1).await.unwrap();
    assert!(matches!(
        b_events.next().await.unwrap(),
        ServerEvent::ChatRead { seq: 1, .. }
    ));
    b_events.send_raw(&typing).await.unwrap();
    // b's socket handles frames in order: once its pong is back, any relay was sent.
    b_events.expect_nothing_pending().await.unwrap();
    a_events.expect_nothing_pending().await.unwrap();

    b.set_settings(all_on).await.unwrap();
    b_events.expect_nothing_pending().await.unwrap();
    b_events.send_raw(&typing).await.unwrap();
    let b_id = b.me().await.unwrap().user_id;
    assert_eq!(
        a_events.next().await.unwrap(),
        ServerEvent::Typing {
            chat_id: chat.id,
            user_id: b_id
        }
    );
    Keyring::new(&a_id)
        .send_text(&a, chat.id, "again", now_ms())
        .await
        .unwrap();
    b.mark_read(chat.id, 2).await.unwrap();
    loop {
        match a_events.next().await.unwrap() {
            ServerEvent::Read {
                chat_id,
                user_id,
                seq,
            } => {
                assert_eq!((chat_id, user_id, seq), (chat.id, b_id, 2));
                break;
            }
            ServerEvent::Message { .. }
            | ServerEvent::EpochOpened { .. }
            | ServerEvent::ChatUpdated { .. } => {}
            other => panic!("unexpected {other:?}"),
        }
    }
}

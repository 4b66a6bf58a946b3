//! Consent and private existence over real HTTP and WebSockets: people see each other
//! only after one asked and the other accepted, and no answer says whether a username
//! or connect key exists.

// A test: a failed step panics and that panic is the report; a match's other arm
// is a failure too (`other => panic!`), and test data may be cut to size.
#![allow(
    clippy::unwrap_used,
    clippy::wildcard_enum_match_arm,
    clippy::cast_possible_truncation
)]

mod common;

use std::sync::Arc;

use common::{register_fast, test_config, username, TestServer};
use messgo_client::{is_api_error, Client};
use messgo_proto::{RequestTarget, ServerEvent, UserId};
use messgo_server::ManualClock;
use reqwest::StatusCode;
use serde_json::json;

async fn user(srv: &TestServer, prefix: &str) -> (UserId, Client, String) {
    let name = username(prefix);
    let (id, c) = register_fast(srv, &name).await;
    (id, c, name)
}

#[tokio::test]
async fn a_request_by_username_once_accepted_connects_both_at_once() {
    let srv = TestServer::start().await;
    let (a_id, a, _) = user(&srv, "ann").await;
    let (b_id, b, b_name) = user(&srv, "ben").await;
    let mut a_events = a.events().await.unwrap();
    let mut b_events = b.events().await.unwrap();
    let mut b_other_tab = b.events().await.unwrap();

    assert_eq!(
        a.request_by_username(&b_name.to_uppercase())
            .await
            .unwrap()
            .status,
        "sent"
    );
    let ServerEvent::OutgoingAdded { request: out } = a_events.next().await.unwrap() else {
        panic!()
    };
    assert_eq!(out.target, RequestTarget::Username(b_name.clone()));
    for events in [&mut b_events, &mut b_other_tab] {
        let ServerEvent::RequestReceived { request } = events.next().await.unwrap() else {
            panic!()
        };
        assert_eq!(request.id, out.id);
        assert_eq!(request.from.user_id, a_id);
    }
    let incoming = b.requests().await.unwrap().incoming;
    assert_eq!(incoming.len(), 1);
    assert_eq!(
        incoming[0].from.ed25519_public,
        a.me().await.unwrap().ed25519_public,
        "for the safety number"
    );

    let for_b = b.accept(incoming[0].id).await.unwrap();
    assert_eq!(for_b.user_id, a_id);
    assert!(matches!(
        b_events.next().await.unwrap(),
        ServerEvent::RequestRemoved { .. }
    ));
    let ServerEvent::ContactAdded { contact } = b_events.next().await.unwrap() else {
        panic!()
    };
    assert_eq!(contact.user_id, a_id);
    assert!(matches!(
        a_events.next().await.unwrap(),
        ServerEvent::OutgoingRemoved { .. }
    ));
    let ServerEvent::ContactAdded { contact: for_a } = a_events.next().await.unwrap() else {
        panic!()
    };
    assert_eq!(for_a.user_id, b_id);
    assert_eq!(for_a.chat_id, for_b.chat_id, "one direct chat for the pair");
    assert_eq!(for_a.ed25519_public, b.me().await.unwrap().ed25519_public);

    assert_eq!(a.user(b_id).await.unwrap().user_id, b_id);
    assert_eq!(b.contacts().await.unwrap().len(), 1);
    assert!(a.requests().await.unwrap().outgoing.is_empty());
}

/// Status, headers but Date, and body of one raw request.
async fn answer(
    c: &Client,
    body: serde_json::Value,
) -> (StatusCode, Vec<(String, String)>, String) {
    let res = c.raw_post("/api/connections/requests", &body).await;
    let status = res.status();
    let mut headers: Vec<_> = res
        .headers()
        .iter()
        .filter(|(k, _)| *k != "date")
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned()))
        .collect();
    headers.sort();
    (status, headers, res.text().await.unwrap())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

#[tokio::test]
async fn every_request_gets_the_same_answer_in_the_same_time() {
    let srv = TestServer::start_with(|c| c.request_limit_per_hour = 10_000).await;
    let (_, a, a_name) = user(&srv, "asker").await;
    let mut existing = Vec::new();
    for i in 0..50 {
        existing.push(user(&srv, &format!("real{i}")).await.2);
    }
    let missing: Vec<String> = (0..50).map(|i| username(&format!("none{i}"))).collect();

    // The special cases: a user who blocked the asker, a contact, the asker itself,
    // and a duplicate.
    let (blocker_id, blocker, blocker_name) = user(&srv, "blocker").await;
    a.request_by_username(&blocker_name).await.unwrap();
    let req = blocker.requests().await.unwrap().incoming[0].id;
    blocker.block_request(req).await.unwrap();
    let (_, friend, friend_name) = user(&srv, "friend").await;
    a.request_by_username(&friend_name).await.unwrap();
    friend
        .accept(friend.requests().await.unwrap().incoming[0].id)
        .await
        .unwrap();

    let reference = answer(&a, json!({ "username": existing[0] })).await;
    assert_eq!(reference.0, StatusCode::ACCEPTED);
    assert_eq!(reference.2, r#"{"status":"sent"}"#);
    for case in [
        &blocker_name,
        &friend_name,
        &a_name,
        &existing[0],
        &missing[0],
    ] {
        assert_eq!(
            answer(&a, json!({ "username": case })).await,
            reference,
            "{case}"
        );
    }
    let key = friend.connect_key().await.unwrap().connect_key;
    assert_eq!(answer(&a, json!({ "connect_key": key })).await, reference);
    assert_eq!(
        answer(&a, json!({ "connect_key": "z".repeat(32) })).await,
        reference
    );
    assert!(
        blocker.requests().await.unwrap().incoming.is_empty(),
        "blocked: nothing arrives"
    );
    let _ = blocker_id;

    let (mut t_real, mut t_none) = (Vec::new(), Vec::new());
    // Which of a pair goes first alternates, so whatever favours the first or the
    // second request of two (a warm connection, the writer's rhythm) falls on both.
    for (i, (real, none)) in existing
        .iter()
        .skip(1)
        .zip(missing.iter().skip(1))
        .enumerate()
    {
        for name in if i % 2 == 0 {
            [real, none]
        } else {
            [none, real]
        } {
            let started = std::time::Instant::now();
            assert_eq!(answer(&a, json!({ "username": name })).await, reference);
            let took = started.elapsed().as_secs_f64();
            if name == real {
                t_real.push(took)
            } else {
                t_none.push(took)
            }
        }
    }
    let (m_real, m_none) = (median(t_real), median(t_none));
    let ratio = m_real / m_none;
    assert!(
        (0.8..=1.25).contains(&ratio),
        "medians {m_real:.6}s vs {m_none:.6}s (ratio {ratio:.2})"
    );
}

#[tokio::test]
async fn a_non_contact_looks_exactly_like_nobody() {
    let srv = TestServer::start().await;
    let (_, a, _) = user(&srv, "looker").await;
    let (b_id, b, b_name) = user(&srv, "hidden").await;
    let lookup = |id: UserId| {
        let a = a.clone();
        async move {
            let res = a.raw_get(&format!("/api/users/{id}")).await;
            (res.status(), res.text().await.unwrap())
        }
    };
    let nobody = lookup(UserId::random()).await;
    assert_eq!(nobody.0, StatusCode::NOT_FOUND);
    assert_eq!(lookup(b_id).await, nobody, "an existing stranger");
    let res = a.raw_get("/api/users/not-an-id").await;
    assert_eq!((res.status(), res.text().await.unwrap()), nobody);

    a.request_by_username(&b_name).await.unwrap();
    assert_eq!(
        lookup(b_id).await,
        nobody,
        "a pending request shows nothing either"
    );
    b.accept(b.requests().await.unwrap().incoming[0].id)
        .await
        .unwrap();
    assert_eq!(lookup(b_id).await.0, StatusCode::OK);
    a.remove_contact(b_id).await.unwrap();
    assert_eq!(lookup(b_id).await, nobody, "removed: a stranger again");
    assert!(b.contacts().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_declined_request_changes_nothing_the_requester_can_see() {
    let srv = TestServer::start().await;
    let (_, a, _) = user(&srv, "hopeful").await;
    let (_, c, _) = user(&srv, "choosy").await;
    let key = c.connect_key().await.unwrap();
    assert_eq!(key.display.len(), 39);
    a.request_by_key(&key.display.to_uppercase()).await.unwrap();
    let before = a.requests().await.unwrap();
    assert_eq!(before.outgoing.len(), 1);
    assert_eq!(
        before.outgoing[0].target,
        RequestTarget::ConnectKey(key.connect_key.clone())
    );

    let mut a_events = a.events().await.unwrap();
    let incoming = c.requests().await.unwrap().incoming;
    assert_eq!(incoming.len(), 1, "the key reached its owner");
    c.decline(incoming[0].id).await.unwrap();
    a_events.expect_nothing_pending().await.unwrap();
    assert_eq!(a.requests().await.unwrap(), before, "exactly as before");
    assert!(c.requests().await.unwrap().incoming.is_empty());
    assert!(a.contacts().await.unwrap().is_empty());
    let e = c.accept(incoming[0].id).await.unwrap_err();
    assert!(
        is_api_error(&e, StatusCode::NOT_FOUND, "not_found"),
        "declined is final: {e}"
    );
}

#[tokio::test]
async fn rotating_the_connect_key_retires_the_old_one_at_once() {
    let srv = TestServer::start().await;
    let (_, a, _) = user(&srv, "sharer").await;
    let (_, b, _) = user(&srv, "finder").await;
    let old = a.connect_key().await.unwrap().connect_key;
    let new = a.rotate_connect_key().await.unwrap().connect_key;
    assert_ne!(old, new);
    assert_eq!(a.connect_key().await.unwrap().connect_key, new);
    b.request_by_key(&old).await.unwrap();
    assert!(
        a.requests().await.unwrap().incoming.is_empty(),
        "the old key leads nowhere"
    );
    b.request_by_key(&new).await.unwrap();
    assert_eq!(a.requests().await.unwrap().incoming.len(), 1);
}

#[tokio::test]
async fn blocking_disconnects_and_then_looks_like_nobody() {
    let srv = TestServer::start().await;
    let (a_id, a, a_name) = user(&srv, "pest").await;
    let (b_id, b, b_name) = user(&srv, "victim").await;
    a.request_by_username(&b_name).await.unwrap();
    b.accept(b.requests().await.unwrap().incoming[0].id)
        .await
        .unwrap();
    let mut a_events = a.events().await.unwrap();
    let mut b_events = b.events().await.unwrap();

    let chat_id = b.contacts().await.unwrap()[0].chat_id;
    b.block(a_id).await.unwrap();
    for events in [&mut a_events, &mut b_events] {
        assert_eq!(
            events.next().await.unwrap(),
            ServerEvent::ChatRemoved { chat_id },
            "the direct chat goes too"
        );
    }
    assert_eq!(
        a_events.next().await.unwrap(),
        ServerEvent::ContactRemoved { user_id: b_id }
    );
    assert_eq!(
        b_events.next().await.unwrap(),
        ServerEvent::ContactRemoved { user_id: a_id }
    );
    assert_eq!(b_events.next().await.unwrap(), ServerEvent::BlocksChanged);
    assert_eq!(b.blocks().await.unwrap().blocked[0].username, a_name);
    assert!(a.user(b_id).await.is_err());

    a.request_by_username(&b_name).await.unwrap();
    b_events.expect_nothing_pending().await.unwrap();
    assert!(
        b.requests().await.unwrap().incoming.is_empty(),
        "silently dropped"
    );
    assert_eq!(
        a.requests().await.unwrap().outgoing.len(),
        1,
        "and to the pest it looks sent"
    );

    let stranger = UserId::random();
    let e = b.block(stranger).await.unwrap_err();
    assert!(
        is_api_error(&e, StatusCode::NOT_FOUND, "not_found"),
        "only contacts or requesters: {e}"
    );

    b.unblock(a_id).await.unwrap();
    assert!(b.blocks().await.unwrap().blocked.is_empty());
    assert!(
        b.contacts().await.unwrap().is_empty(),
        "unblocking does not reconnect"
    );
    let fresh = user(&srv, "other").await.1;
    fresh.request_by_username(&b_name).await.unwrap();
    assert_eq!(b.requests().await.unwrap().incoming.len(), 1);
}

#[tokio::test]
async fn the_requester_can_cancel_and_the_target_sees_it_go() {
    let srv = TestServer::start().await;
    let (_, a, _) = user(&srv, "eager").await;
    let (_, b, b_name) = user(&srv, "busy").await;
    a.request_by_username(&b_name).await.unwrap();
    let mut b_events = b.events().await.unwrap();
    let id = a.requests().await.unwrap().outgoing[0].id;
    a.cancel_request(id).await.unwrap();
    assert_eq!(
        b_events.next().await.unwrap(),
        ServerEvent::RequestRemoved { id }
    );
    assert!(b.requests().await.unwrap().incoming.is_empty());
    let e = b.cancel_request(id).await.unwrap_err();
    assert!(is_api_error(&e, StatusCode::NOT_FOUND, "not_found"), "{e}");
}

#[tokio::test]
async fn crossing_requests_resolve_into_one_connection() {
    let srv = TestServer::start().await;
    let (_, a, a_name) = user(&srv, "left").await;
    let (_, b, b_name) = user(&srv, "right").await;
    a.request_by_username(&b_name).await.unwrap();
    b.request_by_username(&a_name).await.unwrap();
    b.accept(b.requests().await.unwrap().incoming[0].id)
        .await
        .unwrap();
    let left = b.requests().await.unwrap();
    assert!(
        left.incoming.is_empty() && left.outgoing.is_empty(),
        "b's own request is moot"
    );
    assert!(a.requests().await.unwrap().incoming.is_empty());
    assert_eq!(a.contacts().await.unwrap().len(), 1);
}

#[tokio::test]
async fn requests_are_limited_per_account() {
    let srv = TestServer::start_with(|c| c.request_limit_per_hour = 3).await;
    let (_, a, _) = user(&srv, "spammer").await;
    for _ in 0..3 {
        a.request_by_username(&username("t")).await.unwrap();
    }
    let e = a.request_by_username(&username("t")).await.unwrap_err();
    assert!(
        is_api_error(&e, StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
        "{e}"
    );
    let messgo_client::ClientError::Api { retry_after, .. } = e else {
        panic!()
    };
    assert!(
        retry_after.is_some_and(|s| (3590..=3600).contains(&s)),
        "{retry_after:?}"
    );
}

#[tokio::test]
async fn malformed_requests_are_named() {
    let srv = TestServer::start().await;
    let (_, a, _) = user(&srv, "typo").await;
    let cases = [
        (json!({"username": "x y"}), "invalid_username"),
        (json!({"connect_key": "abc"}), "invalid_connect_key"),
        (
            json!({"username": "okname", "connect_key": "z".repeat(32)}),
            "invalid_field",
        ),
        (json!({}), "invalid_field"),
        (json!({"user": "okname"}), "invalid_json"),
    ];
    for (body, code) in cases {
        let res = a.raw_post("/api/connections/requests", &body).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{body}");
        let err: serde_json::Value = res.json().await.unwrap();
        assert_eq!(err["error"]["code"], code, "{body}");
    }
    assert!(
        a.requests().await.unwrap().outgoing.is_empty(),
        "nothing recorded"
    );
}

#[tokio::test]
async fn requests_expire_after_72_hours() {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let srv = TestServer::start_config(test_config(&dir), dir, clock.clone()).await;
    let (_, a, _) = user(&srv, "early").await;
    let (_, b, b_name) = user(&srv, "late").await;
    a.request_by_username(&b_name).await.unwrap();
    let id = b.requests().await.unwrap().incoming[0].id;
    clock.advance(72 * 3_600_000 + 1);
    assert!(b.requests().await.unwrap().incoming.is_empty());
    assert!(a.requests().await.unwrap().outgoing.is_empty());
    let e = b.accept(id).await.unwrap_err();
    assert!(is_api_error(&e, StatusCode::NOT_FOUND, "not_found"), "{e}");
    a.request_by_username(&b_name)
        .await
        .expect("a fresh request replaces the expired one");
    assert_eq!(b.requests().await.unwrap().incoming.len(), 1);
}

#[tokio::test]
async fn contacts_see_profile_changes_live_and_strangers_never() {
    let srv = TestServer::start().await;
    let (a_id, a, _) = user(&srv, "namer").await;
    let (_, b, b_name) = user(&srv, "watcher").await;
    let (_, stranger, _) = user(&srv, "stranger").await;
    a.request_by_username(&b_name).await.unwrap();
    b.accept(b.requests().await.unwrap().incoming[0].id)
        .await
        .unwrap();
    let mut b_events = b.events().await.unwrap();
    let mut stranger_events = stranger.events().await.unwrap();

    a.set_profile(Some("  Ada Lovelace "), Some("Analyst"))
        .await
        .unwrap();
    let ServerEvent::ContactUpdated { contact } = b_events.next().await.unwrap() else {
        panic!()
    };
    assert_eq!(
        (contact.user_id, contact.display_name.as_deref()),
        (a_id, Some("Ada Lovelace"))
    );
    stranger_events.expect_nothing_pending().await.unwrap();
    assert_eq!(
        a.me().await.unwrap().display_name.as_deref(),
        Some("Ada Lovelace")
    );

    let e = a
        .set_profile(Some(&"x".repeat(65)), None)
        .await
        .unwrap_err();
    assert!(
        is_api_error(&e, StatusCode::BAD_REQUEST, "invalid_field"),
        "{e}"
    );
}

#[tokio::test]
async fn the_socket_needs_a_session_and_our_origin() {
    let srv = TestServer::start().await;
    let anonymous = srv.client();
    assert!(anonymous.events().await.is_err());
    let (_, a, _) = user(&srv, "socket").await;
    let res = a.raw_get("/api/ws").await;
    assert_ne!(res.status(), StatusCode::OK, "not a WebSocket handshake");

    let refused = a.events_from(Some("http://evil.example")).await;
    assert!(
        refused.is_err(),
        "another site's page cannot open our socket"
    );
    let mut events = a.events_from(Some(&srv.url)).await.unwrap();
    events.expect_nothing_pending().await.unwrap();
}

#[tokio::test]
async fn deleting_an_account_removes_its_connections() {
    let srv = TestServer::start().await;
    let name = username("leaver");
    let leaver = srv.client();
    leaver.register(&name, common::PASSWORD).await.unwrap();
    let (_, b, b_name) = user(&srv, "stayer").await;
    leaver.request_by_username(&b_name).await.unwrap();
    b.accept(b.requests().await.unwrap().incoming[0].id)
        .await
        .unwrap();
    leaver.delete_account(common::PASSWORD).await.unwrap();
    assert!(b.contacts().await.unwrap().is_empty());
}

#[tokio::test]
async fn avatars_and_bios_are_for_contacts_only() {
    let srv = TestServer::start().await;
    let (a_id, a, _) = user(&srv, "portrait").await;
    let (_, b, b_name) = user(&srv, "viewer").await;
    let (_, stranger, _) = user(&srv, "outsider").await;
    let png = [
        &[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a][..],
        &[7u8; 100][..],
    ]
    .concat();
    a.set_avatar(png.clone()).await.unwrap();
    a.set_profile(Some("Ada"), Some("Counts things."))
        .await
        .unwrap();
    assert_eq!(a.avatar(a_id).await.unwrap(), png, "your own");
    let nobody = stranger
        .raw_get(&format!("/api/users/{}/avatar", UserId::random()))
        .await;
    let (status, body) = (nobody.status(), nobody.text().await.unwrap());
    let theirs = stranger.raw_get(&format!("/api/users/{a_id}/avatar")).await;
    assert_eq!(
        (theirs.status(), theirs.text().await.unwrap()),
        (status, body),
        "a stranger sees nothing"
    );

    a.request_by_username(&b_name).await.unwrap();
    b.accept(b.requests().await.unwrap().incoming[0].id)
        .await
        .unwrap();
    let res = b.raw_get(&format!("/api/users/{a_id}/avatar")).await;
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.bytes().await.unwrap().to_vec(), png);
    let contact = b.user(a_id).await.unwrap();
    assert_eq!(contact.bio.as_deref(), Some("Counts things."));
    assert!(contact.avatar_updated_at.is_some());

    let e = a
        .set_avatar(b"GIF89a not allowed".to_vec())
        .await
        .unwrap_err();
    assert!(
        is_api_error(&e, StatusCode::BAD_REQUEST, "invalid_field"),
        "{e}"
    );
    let e = a
        .set_avatar([&png[..], &vec![0u8; 300 * 1024][..]].concat())
        .await
        .unwrap_err();
    assert!(
        is_api_error(&e, StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
        "{e}"
    );
    let e = a
        .set_profile(None, Some(&"b".repeat(161)))
        .await
        .unwrap_err();
    assert!(
        is_api_error(&e, StatusCode::BAD_REQUEST, "invalid_field"),
        "{e}"
    );
}

#[tokio::test]
async fn names_and_bios_refuse_invisible_formatting() {
    let srv = TestServer::start().await;
    let (_, a, _) = user(&srv, "bidi").await;
    // U+202E makes "Ann" + "nimda" read as "Annadmin"; the others hide or reorder.
    let sneaky = [
        "Ann\u{202E}nimda",
        "Ad\u{200B}a",
        "\u{2066}Ada\u{2069}",
        "Ada\u{FEFF}x",
        "A\u{200F}da",
    ];
    for text in sneaky {
        let e = a.set_profile(Some(text), None).await.unwrap_err();
        assert!(
            is_api_error(&e, StatusCode::BAD_REQUEST, "invalid_field"),
            "{text:?}: {e}"
        );
        let messgo_client::ClientError::Api { message, .. } = &e else {
            panic!()
        };
        assert!(
            message.contains("display_name") && message.contains("invisible"),
            "{message}"
        );
        let e = a
            .set_profile(None, Some(&format!("bio {text}")))
            .await
            .unwrap_err();
        assert!(
            is_api_error(&e, StatusCode::BAD_REQUEST, "invalid_field"),
            "{text:?}: {e}"
        );
    }
    let me = a.me().await.unwrap();
    assert_eq!(
        (me.display_name, me.bio),
        (None, None),
        "nothing was stored"
    );

    // Joiners in emoji and scripts, and a bio's line breaks, are text like any other.
    let saved = a
        .set_profile(Some("Ada 👩\u{200D}💻"), Some("line one\nline two"))
        .await
        .unwrap();
    assert_eq!(saved.display_name.as_deref(), Some("Ada 👩\u{200D}💻"));
}

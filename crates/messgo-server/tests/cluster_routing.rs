//! Routing by interest across nodes: a node hears a user's events only while that
//! user has a socket on it. Three nodes on one PostgreSQL and the machine's NATS:
//! a node without a socket of a chat's members receives none of its messages, a
//! user's socket opening on a node makes it hear them, and a socket opened (and
//! reopened, each time on a node that had stopped hearing the user) while messages
//! are being committed misses none of them and gets them in order.

// A test: a failed step panics and that panic is the report.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::{
    connect, direct_chat, fresh_postgres, now_ms, register_identity, username, TestServer,
};
use messgo_client::{Client, Keyring};
use messgo_proto::{ChatId, MessageKind, ResumePoints, ServerEvent};

fn nats_url() -> String {
    std::env::var("MESSGO_TEST_NATS").unwrap_or_else(|_| "nats://127.0.0.1:4222".into())
}

async fn nodes(n: usize) -> (Vec<TestServer>, common::PgGuard) {
    let (db, guard) = fresh_postgres().await;
    let mut all = Vec::new();
    for _ in 0..n {
        let db = db.clone();
        all.push(
            TestServer::start_with(move |c| {
                c.database = Some(db);
                c.bus = Some(nats_url());
            })
            .await,
        );
    }
    (all, guard)
}

/// Waits (bounded) until `node` hears exactly `users` users.
async fn until_present(node: &TestServer, users: u64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while node.services.bus.counts().interests != users {
        assert!(
            Instant::now() < deadline,
            "the node still hears {:?}",
            node.services.bus.counts()
        );
        // The interest changes in the bus's own tasks: let them run.
        tokio::task::yield_now().await;
    }
}

/// Reads `socket` until it has chat messages up to `last`, checking each comes
/// right after the one before; returns the last number read.
async fn read_until(
    socket: &mut messgo_client::Events,
    chat: ChatId,
    mut had: i64,
    last: i64,
) -> i64 {
    while had < last {
        match socket.next_within(Duration::from_secs(10)).await.unwrap() {
            Some(ServerEvent::Message { message }) if message.chat_id == chat => {
                assert_eq!(message.seq, had + 1, "in order, without a gap");
                had = message.seq;
            }
            Some(_) => {}
            None => panic!("socket closed"),
        }
    }
    had
}

#[tokio::test]
async fn a_node_hears_only_the_users_with_sockets_on_it() {
    let (nodes, guard) = nodes(3).await;
    let (one, two, three) = (&nodes[0], &nodes[1], &nodes[2]);
    let (ann_id, ann) = register_identity(one, &username("ann")).await;
    let (_, ben) = register_identity(one, &username("ben")).await;
    connect(&ann, &ben).await;
    let chat = direct_chat(&ann).await;
    let mut keys = Keyring::new(&ann_id);
    keys.send_text(&ann, chat.id, "hello", now_ms())
        .await
        .unwrap();
    let start = ann.chat(chat.id).await.unwrap().seq;

    // Ben's socket is on node two; nobody's is on node three.
    let mut ben_two = ben
        .with_base(&two.url)
        .events_resuming(&ResumePoints::from([(chat.id, start)]))
        .await
        .unwrap();
    until_present(two, 1).await;
    let before = nodes
        .iter()
        .map(|n| n.services.bus.counts())
        .collect::<Vec<_>>();
    for i in 0..20 {
        keys.send_text(&ann, chat.id, &format!("routed {i}"), now_ms())
            .await
            .unwrap();
    }
    read_until(&mut ben_two, chat.id, start, start + 20).await;
    let after = nodes
        .iter()
        .map(|n| n.services.bus.counts())
        .collect::<Vec<_>>();
    let heard = |i: usize| after[i].received - before[i].received;
    assert_eq!(
        heard(0),
        0,
        "node one committed them, and hears nobody's events"
    );
    assert_eq!(heard(1), 20, "node two hears each message once, for Ben");
    assert_eq!(
        heard(2),
        0,
        "node three has no socket of the chat's members"
    );

    // Ben opens a socket on node three: from then on node three hears his messages,
    // and when it closes, it stops.
    let mut ben_three = ben
        .with_base(&three.url)
        .events_resuming(&ResumePoints::from([(chat.id, start + 20)]))
        .await
        .unwrap();
    until_present(three, 1).await;
    for i in 0..5 {
        keys.send_text(&ann, chat.id, &format!("now here too {i}"), now_ms())
            .await
            .unwrap();
    }
    read_until(&mut ben_three, chat.id, start + 20, start + 25).await;
    read_until(&mut ben_two, chat.id, start + 20, start + 25).await;
    assert_eq!(three.services.bus.counts().received - after[2].received, 5);
    drop(ben_three);
    until_present(three, 0).await;
    let quiet = three.services.bus.counts().received;
    keys.send_text(&ann, chat.id, "not for node three", now_ms())
        .await
        .unwrap();
    read_until(&mut ben_two, chat.id, start + 25, start + 26).await;
    assert_eq!(three.services.bus.counts().received, quiet);
    for node in &nodes {
        assert_eq!(node.services.pipeline.order.holes_given_up(), 0);
    }
    drop(nodes);
    guard.drop_database().await;
}

/// Messages Ann sends while Ben's socket keeps opening on a node that stopped
/// hearing him.
const UNDER_TRAFFIC: i64 = 120;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_opening_while_messages_commit_misses_none() {
    let (nodes, guard) = nodes(2).await;
    let (one, two) = (&nodes[0], &nodes[1]);
    let (ann_id, ann) = register_identity(one, &username("ann")).await;
    let (_, ben) = register_identity(one, &username("ben")).await;
    connect(&ann, &ben).await;
    let chat = direct_chat(&ann).await;
    let mut keys = Keyring::new(&ann_id);
    keys.send_text(&ann, chat.id, "hello", now_ms())
        .await
        .unwrap();
    let start = ann.chat(chat.id).await.unwrap().seq;
    let last = start + UNDER_TRAFFIC;

    // Ann writes through node one without pause, each send awaited, while Ben's
    // socket on node two reads a few, closes, and reopens once node two has stopped
    // hearing him: each opening starts node two's interest afresh while messages
    // commit, and resumes where the last socket stopped.
    let write = async {
        for i in 0..UNDER_TRAFFIC {
            keys.send_text(&ann, chat.id, &format!("m{i}"), now_ms())
                .await
                .unwrap();
        }
    };
    let ben_two: Client = ben.with_base(&two.url);
    let read = async {
        let (mut had, mut openings) = (start, 0);
        while had < last {
            until_present(two, 0).await;
            let mut socket = ben_two
                .events_resuming(&ResumePoints::from([(chat.id, had)]))
                .await
                .unwrap();
            openings += 1;
            had = read_until(&mut socket, chat.id, had, (had + 7).min(last)).await;
        }
        openings
    };
    let ((), openings) = tokio::join!(write, read);
    assert!(openings >= 10, "{openings} openings");
    assert_eq!(
        two.services.pipeline.order.holes_given_up(),
        0,
        "a node that starts hearing a user takes up his chats where they stand"
    );
    let page = ben.messages(chat.id, None, None, 1).await.unwrap();
    assert_eq!(page[0].seq, last);
    assert_eq!(page[0].kind, MessageKind::Message);
    drop(nodes);
    guard.drop_database().await;
}

#[tokio::test]
async fn a_node_tells_its_counters_only_when_asked_to() {
    let off = TestServer::start().await;
    assert!(off.metrics_url.is_none(), "off unless --metrics-bind");
    let status = off
        .http()
        .get(off.url("/api/metrics"))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 404, "the old surface is gone: /metrics is the one");
    let on =
        TestServer::start_with(|c| c.metrics_bind = Some("127.0.0.1:0".parse().unwrap())).await;
    let text = reqwest::get(on.metrics_url.clone().unwrap())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for name in [
        "messgo_bus_received_total 0",
        "messgo_bus_sent_total 0",
        "messgo_socket_frames_total 0",
        "messgo_users_present 0",
        "messgo_holes_given_up_total 0",
    ] {
        assert!(text.lines().any(|l| l == name), "{name} in {text}");
    }
}

//! Two server nodes on one PostgreSQL, sharing events over the machine's NATS:
//! a message sent through one node reaches a socket on the other, in order, and
//! ending a session on one node closes its socket on the other; with writers on
//! both nodes in the same chat, every socket on either node gets it in order, at
//! once (no message waits out the order stage's hold).

// A test: a failed step panics and that panic is the report; a match's other arm
// is a failure too (`other => panic!`), and test data may be cut to size.
#![allow(
    clippy::unwrap_used,
    clippy::wildcard_enum_match_arm,
    clippy::cast_possible_truncation
)]

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::reader::Reader;
use common::{
    connect, direct_chat, fresh_postgres, now_ms, register_identity, username, TestServer,
};
use messgo_client::{Client, Identity, Keyring};
use messgo_proto::{ChatKind, ClientFrame, MessageId, ResumePoints, ServerEvent};
use tokio::sync::watch;

fn nats_url() -> String {
    std::env::var("MESSGO_TEST_NATS").unwrap_or_else(|_| "nats://127.0.0.1:4222".into())
}

/// Two nodes on a fresh PostgreSQL database, sharing the machine's NATS.
async fn two_nodes() -> (TestServer, TestServer, common::PgGuard) {
    let (db, guard) = fresh_postgres().await;
    let node = |db: String| {
        TestServer::start_with(move |c| {
            c.database = Some(db);
            c.bus = Some(nats_url());
        })
    };
    let one = node(db.clone()).await;
    let two = node(db).await;
    (one, two, guard)
}

#[tokio::test]
async fn two_nodes_share_one_conversation() {
    let (one, two, guard) = two_nodes().await;

    // Ann lives on node one, Ben on node two.
    let (ann_id, ann) = register_identity(&one, &username("ann")).await;
    let (_, ben_on_one) = register_identity(&one, &username("ben")).await;
    connect(&ann, &ben_on_one).await;
    let chat = ann
        .chats()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.kind == ChatKind::Direct)
        .unwrap();
    // Ben's socket is on node two: his session token is valid there too (same database).
    let ben_two = ben_on_one.with_base(&two.url);
    let mut ben_socket = ben_two.events().await.unwrap();

    let mut keys = Keyring::new(&ann_id);
    for i in 0..20 {
        keys.send_text(&ann, chat.id, &format!("across nodes {i}"), now_ms())
            .await
            .unwrap();
    }
    let mut seqs = Vec::new();
    while seqs.len() < 20 {
        match ben_socket
            .next_within(Duration::from_secs(10))
            .await
            .unwrap()
        {
            Some(ServerEvent::Message { message })
                if message.kind == messgo_proto::MessageKind::Message =>
            {
                seqs.push(message.seq)
            }
            Some(_) => {}
            None => panic!("socket closed"),
        }
    }
    assert_eq!(
        seqs,
        (1..=20).collect::<Vec<_>>(),
        "every message, in order, through the other node"
    );

    // A message sent over Ann's socket on node one: that socket gets its ack in the
    // message's place, her socket on node two and Ben's get the message.
    let mut ann_one = ann.events().await.unwrap();
    let mut ann_two = ann.with_base(&two.url).events().await.unwrap();
    let epoch = keys
        .ensure_epoch(&ann, &ann.chat(chat.id).await.unwrap(), now_ms())
        .await
        .unwrap();
    let m = keys
        .seal(&ann, chat.id, epoch, MessageId::random(), "from a socket")
        .await
        .unwrap();
    ann_one
        .send_raw(&serde_json::to_string(&ClientFrame::Send(m.clone())).unwrap())
        .await
        .unwrap();
    let ServerEvent::Ack(ack) = ann_one.next().await.unwrap() else {
        panic!("the sending socket hears its ack first");
    };
    assert_eq!((ack.id, ack.seq), (m.id, 21));
    for socket in [&mut ann_two, &mut ben_socket] {
        match socket.next_within(Duration::from_secs(10)).await.unwrap() {
            Some(ServerEvent::Message { message }) => assert_eq!(message.id, m.id),
            other => panic!("expected the message, got {other:?}"),
        }
    }
    ann_one.expect_nothing_pending().await.unwrap();

    // Logging out through node one closes Ben's socket on node two.
    ben_on_one.logout().await.unwrap();
    loop {
        match ben_socket
            .next_within(Duration::from_secs(10))
            .await
            .unwrap()
        {
            Some(ServerEvent::SessionEnded) => break,
            Some(_) => {}
            None => panic!("closed without saying why"),
        }
    }

    drop(one);
    drop(two);
    guard.drop_database().await;
}

/// Messages each writer sends.
const PER_WRITER: usize = 150;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writers_on_both_nodes_are_delivered_in_order_at_once() {
    let (one, two, guard) = two_nodes().await;
    let (ann_id, ann) = register_identity(&one, &username("ann")).await;
    let (ben_id, ben) = register_identity(&one, &username("ben")).await;
    connect(&ann, &ben).await;

    // The same exchange with both writers on node one, then with one on each node.
    let alone = exchange([&one, &one], [(&ann_id, &ann), (&ben_id, &ben)]).await;
    let apart = exchange([&one, &two], [(&ann_id, &ann), (&ben_id, &ben)]).await;
    for node in [&one, &two] {
        assert_eq!(
            node.services.pipeline.order.holes_given_up(),
            0,
            "every message's place came from its committed number, not a timeout"
        );
    }
    // Figures for the record (speed is measured in benchmarks, not asserted here).
    eprintln!("delivery latency, both writers on one node: {}", alone.0);
    let (beside, across) = (apart.0, apart.1.unwrap());
    eprintln!("delivery latency, a writer on each node, to sockets on the writer's node: {beside}");
    eprintln!("delivery latency, a writer on each node, to sockets on the other node: {across}");
    drop(one);
    drop(two);
    guard.drop_database().await;
}

/// Ann writes through `nodes[0]` and Ben through `nodes[1]` at once, to the same
/// chat; a socket of each of them on each node checks it gets every message in
/// order. Returns the latency from send to arrival on the other writer's sockets,
/// those on the node the message was written through and those on the other.
async fn exchange(
    nodes: [&TestServer; 2],
    people: [(&Identity, &Client); 2],
) -> (Latency, Option<Latency>) {
    let writers: Vec<Client> = people
        .iter()
        .zip(nodes)
        .map(|((_, c), node)| c.with_base(&node.url))
        .collect();
    // The first message opens the chat's keys; then both write at once.
    let chat = direct_chat(&writers[0]).await;
    Keyring::new(people[0].0)
        .send_text(&writers[0], chat.id, "hello", now_ms())
        .await
        .unwrap();
    let chat = writers[0].chat(chat.id).await.unwrap();
    let start = ResumePoints::from([(chat.id, chat.seq)]);
    let (done_tx, done) = watch::channel(None::<ResumePoints>);
    let mut tabs = Vec::new();
    for (who, (_, client)) in people.iter().enumerate() {
        for node in nodes {
            let tab = Reader {
                client: client.with_base(&node.url),
                have: start.clone(),
                reconnects: 0,
                seed: who as u64,
            };
            // Whether this tab is on the node the other person writes through.
            let beside_writer = node.url == nodes[1 - who].url;
            tabs.push((who, beside_writer, tokio::spawn(tab.run(done.clone()))));
        }
    }
    let sends = people
        .iter()
        .zip(&writers)
        .map(|((id, _), client)| async move {
            let mut keys = Keyring::new(id);
            let mut sent = HashMap::new();
            let mut last = 0;
            for i in 0..PER_WRITER {
                let at = Instant::now();
                let ack = keys
                    .send_text(client, chat.id, &format!("message {i}"), now_ms())
                    .await
                    .unwrap();
                sent.insert(ack.id, at);
                last = ack.seq;
            }
            (sent, last)
        });
    let sent = futures_util::future::join_all(sends).await;
    let last = sent.iter().map(|(_, l)| *l).max().unwrap();
    done_tx.send_replace(Some(ResumePoints::from([(chat.id, last)])));
    let (mut beside, mut across) = (Vec::new(), Vec::new());
    for (who, beside_writer, tab) in tabs {
        let read = tab.await.unwrap();
        // Ben's tabs time Ann's messages, and Ann's Ben's.
        let (theirs, _) = &sent[1 - who];
        let into = if beside_writer {
            &mut beside
        } else {
            &mut across
        };
        for (id, at) in theirs {
            into.push(read.arrived[id].duration_since(*at));
        }
    }
    (
        Latency::of(beside),
        (!across.is_empty()).then(|| Latency::of(across)),
    )
}

struct Latency {
    p50: Duration,
    p99: Duration,
    n: usize,
}

impl Latency {
    fn of(mut all: Vec<Duration>) -> Latency {
        all.sort();
        let at = |q: f64| all[((all.len() - 1) as f64 * q) as usize];
        Latency {
            p50: at(0.5),
            p99: at(0.99),
            n: all.len(),
        }
    }
}

impl std::fmt::Display for Latency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "p50 {:.1} ms, p99 {:.1} ms over {} deliveries",
            self.p50.as_secs_f64() * 1e3,
            self.p99.as_secs_f64() * 1e3,
            self.n
        )
    }
}

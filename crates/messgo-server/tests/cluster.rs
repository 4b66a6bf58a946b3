//! Two server nodes on one PostgreSQL, sharing events over the machine's NATS:
//! a message sent through one node reaches a socket on the other, in order, and
//! ending a session on one node closes its socket on the other.

// A test: a failed step panics and that panic is the report; a match's other arm
// is a failure too (`other => panic!`), and test data may be cut to size.
#![allow(
    clippy::unwrap_used,
    clippy::wildcard_enum_match_arm,
    clippy::cast_possible_truncation
)]

mod common;

use std::time::Duration;

use common::{connect, fresh_postgres, now_ms, register_identity, username, TestServer};
use messgo_client::Keyring;
use messgo_proto::{ChatKind, ClientFrame, MessageId, ServerEvent};

fn nats_url() -> String {
    std::env::var("MESSGO_TEST_NATS").unwrap_or_else(|_| "nats://127.0.0.1:4222".into())
}

#[tokio::test]
async fn two_nodes_share_one_conversation() {
    let (db, guard) = fresh_postgres().await;
    let (db2, bus) = (db.clone(), nats_url());
    let bus2 = bus.clone();
    let one = TestServer::start_with(|c| {
        c.database = Some(db);
        c.bus = Some(bus);
    })
    .await;
    let two = TestServer::start_with(|c| {
        c.database = Some(db2);
        c.bus = Some(bus2);
    })
    .await;

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

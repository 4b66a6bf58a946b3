//! Each socket gets each chat's messages in order, exactly once, and all of them,
//! whatever the interleaving of live traffic, reconnects and resumes.

// A test: a failed step panics and that panic is the report; a match's other arm
// is a failure too (`other => panic!`), and test data may be cut to size.
#![allow(
    clippy::unwrap_used,
    clippy::wildcard_enum_match_arm,
    clippy::cast_possible_truncation
)]

mod common;

use std::collections::BTreeMap;

use common::reader::Reader;
use common::{connect, direct_chat, now_ms, register_identity, username, TestServer};
use messgo_client::Keyring;
use messgo_proto::ResumePoints;
use tokio::sync::watch;

/// Messages sent to each chat while the readers reconnect.
const PER_CHAT: usize = 300;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnecting_under_traffic_neither_repeats_nor_reorders() {
    let srv = TestServer::start().await;
    let (ann_id, ann) = register_identity(&srv, &username("ann")).await;
    let (ben_id, ben) = register_identity(&srv, &username("ben")).await;
    connect(&ann, &ben).await;
    let direct = direct_chat(&ann).await.id;
    let group = ann.create_group(&[ben_id.user_id()]).await.unwrap().id;
    let start: ResumePoints = ben
        .chats()
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.id, c.seq))
        .collect();

    // Three of Ben's tabs read while Ann writes to both chats; each tab drops its
    // socket now and then and resumes from what it has.
    let (done_tx, done) = watch::channel(None::<ResumePoints>);
    let readers: Vec<_> = (0..3u64)
        .map(|seed| {
            let tab = Reader {
                client: ben.clone(),
                have: start.clone(),
                reconnects: 12,
                seed,
            };
            tokio::spawn(tab.run(done.clone()))
        })
        .collect();
    let mut keys = Keyring::new(&ann_id);
    let mut last = BTreeMap::new();
    for i in 0..PER_CHAT {
        for chat in [direct, group] {
            let ack = keys
                .send_text(&ann, chat, &format!("message {i}"), now_ms())
                .await
                .unwrap();
            last.insert(chat, ack.seq);
        }
    }
    done_tx.send_replace(Some(last.clone()));
    for reader in readers {
        let read = reader.await.unwrap();
        assert_eq!(read.have, last, "each tab got everything in the end");
        assert!(
            read.reconnects > 0,
            "the tab reconnected while messages flowed"
        );
    }
}

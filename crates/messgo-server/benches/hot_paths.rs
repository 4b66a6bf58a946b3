//! The server's hot paths without the network: appending a batch of messages to
//! SQLite (one group-committed, fsynced transaction, as under load), and fanning a
//! frame out to every socket of a large group through the in-process bus.

// A benchmark harness: a failed step panics, and that panic is the report.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use messgo_proto::{ChatId, MessageId, RequestId, RequestTarget, SessionId, UserId};
use messgo_server::accounts::sql as accounts;
use messgo_server::bus::{Bus, LocalBus};
use messgo_server::chats::epochs_sql as epochs;
use messgo_server::connections::sql::{self as connections, NewRequest};
use messgo_server::db_run;
use messgo_server::messages::pipeline::{self, ChatCache};
use messgo_server::messages::sql::{self as messages, NewMessage, Page};
use messgo_server::store::{Db, SqliteStore};

#[path = "../tests/common/records.rs"]
mod records;
use records::user;

/// Two connected users with an open epoch on their direct chat.
async fn pair(store: &Db, n: usize) -> (ChatId, UserId) {
    let (a, b) = (user(&format!("a{n}")), user(&format!("b{n}")));
    {
        let a0 = (a).to_owned();
        db_run!(store, write, accounts::create_user(&a0))
    }
    .unwrap();
    {
        let a0 = (b).to_owned();
        db_run!(store, write, accounts::create_user(&a0))
    }
    .unwrap();
    let r = NewRequest {
        id: RequestId::random(),
        from: a.id,
        target: RequestTarget::Username(b.username.clone()),
        now: 1,
        expires_at: 1_000_000,
        window_start: 0,
        limit: 1_000,
    };
    {
        let a0 = (r).to_owned();
        db_run!(store, write, connections::send_request(&a0))
    }
    .unwrap();
    let chat = ChatId(
        db_run!(
            store,
            write,
            connections::accept(r.id, b.id, uuid::Uuid::new_v4(), 2)
        )
        .unwrap()
        .chat_id,
    );
    let keys = vec![(a.id, vec![7u8; 80]), (b.id, vec![7u8; 80])];
    {
        let a0 = chat.to_owned();
        let a3 = (keys).to_owned();
        db_run!(
            store,
            write,
            epochs::open_epoch(a0, a.id, 1, &a3, None, now())
        )
    }
    .unwrap();
    (chat, a.id)
}

fn now() -> i64 {
    messgo_server::clock::millis(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap(),
    )
}

fn message(chat: ChatId, sender: UserId) -> NewMessage {
    let now = now();
    NewMessage {
        chat_id: chat,
        id: MessageId::new_v7(),
        sender,
        epoch: 1,
        nonce: vec![1; 12],
        ciphertext: vec![2; 272],
        signature: vec![3; 64],
        now,
        expires_at: now + 3_600_000,
        blobs: Vec::new(),
        kind: Default::default(),
        target: None,
    }
}

fn append_batch(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = rt.block_on(async {
        Db::Sqlite(Arc::new(
            SqliteStore::open(
                &dir.path().join("bench.db"),
                messgo_server::store::Schema::Main,
            )
            .await
            .unwrap(),
        ))
    });
    let chats: Vec<(ChatId, UserId)> = rt.block_on(async {
        let mut out = Vec::new();
        for n in 0..100 {
            out.push(pair(&store, n).await);
        }
        out
    });
    // The pipeline keeps one cache of the chats' state between batches.
    let cache: Arc<Mutex<ChatCache>> = Arc::default();
    let mut g = c.benchmark_group("store");
    for size in [1usize, 64, 512] {
        g.throughput(Throughput::Elements(size as u64));
        g.bench_function(format!("append batch of {size} (SQLite, fsynced)"), |b| {
            b.to_async(&rt).iter_batched(
                || {
                    (0..size)
                        .map(|i| message(chats[i % chats.len()].0, chats[i % chats.len()].1))
                        .collect::<Vec<_>>()
                },
                |batch| {
                    let (store, cache) = (store.clone(), cache.clone());
                    async move {
                        let verdicts = pipeline::append_batch(&store, &cache, batch).await.unwrap();
                        assert!(verdicts.iter().all(Result::is_ok));
                    }
                },
                BatchSize::SmallInput,
            )
        });
    }
    // A reconnect asks for what came after the last message it saw: at the end of a
    // long chat that must cost the few rows it returns, not the chat's length.
    let (chat, sender) = chats[0];
    let last = rt.block_on(async {
        let mut last = 0;
        for _ in 0..40 {
            let batch = (0..512).map(|_| message(chat, sender)).collect();
            let verdicts = pipeline::append_batch(&store, &cache, batch).await.unwrap();
            last = verdicts.last().unwrap().as_ref().unwrap().row.seq;
        }
        last
    });
    g.throughput(Throughput::Elements(10));
    g.bench_function(format!("resume the last 10 of {last} messages"), |b| {
        b.to_async(&rt).iter(|| {
            let store = store.clone();
            async move {
                let rows = db_run!(
                    store,
                    read,
                    messages::messages(chat, sender, Page::After(last - 10), 500, now())
                )
                .unwrap();
                // With their sealed parts, from the message log, as a page is served.
                let rows = messgo_server::messages::sealed::fill(&store, rows)
                    .await
                    .unwrap();
                assert_eq!(rows.len(), 10);
                assert!(rows.iter().all(|r| r.ciphertext.is_some()));
            }
        })
    });
    g.finish();
    rt.block_on(store.close());
}

fn fan_out(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut g = c.benchmark_group("fan-out");
    for members in [10usize, 1000] {
        let bus = LocalBus::new();
        let users: Vec<UserId> = (0..members).map(|_| UserId::random()).collect();
        let mut subs: Vec<_> = rt.block_on(async {
            users
                .iter()
                .map(|u| bus.subscribe(*u, SessionId::random()))
                .collect()
        });
        let frame = messgo_server::bus::frame(&messgo_proto::ServerEvent::Pong);
        g.throughput(Throughput::Elements(members as u64));
        g.bench_function(format!("publish to {members} sockets and drain"), |b| {
            b.iter(|| {
                for u in &users {
                    bus.publish(*u, frame.clone());
                }
                for s in &mut subs {
                    s.try_recv().unwrap();
                }
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(4));
    targets = append_batch, fan_out
}
criterion_main!(benches);

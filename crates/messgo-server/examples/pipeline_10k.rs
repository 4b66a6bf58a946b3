//! A fixed workload for before/after comparisons of the send pipeline: two connected
//! users with an open epoch on their direct chat, one socket of the receiver on the
//! in-process bus, and N sends (10,000 unless the first argument says otherwise)
//! through `Pipeline::send`, one after another, each awaited and each frame drained.
//!
//! Deterministic as far as it can be: a single-threaded runtime, a ManualClock that
//! moves 1 ms per send, fixed-size payloads and message ids derived from the count.
//! (SQLite's worker threads, fsync timing and the OS still add a little jitter.)
//!
//! Under callgrind, `--dump-before=*pipeline_mark*` splits the profile into
//! setup / the N sends / teardown; `scripts/bench-instructions` does that and prints
//! the instructions the sends took (compare two commits with it: counts, unlike
//! times, do not move with the machine's load).
//!
//!     cargo build --release -p messgo-server --example pipeline_10k
//!     target/release/examples/pipeline_10k [N]

// A measuring harness: a failed step panics and that panic is the report; any other
// event than the expected one is a failure.
#![allow(clippy::unwrap_used, clippy::wildcard_enum_match_arm)]

use std::sync::Arc;
use std::time::Instant;

use messgo_proto::{
    Bytes, ChatId, ConnectionRequestBody, KdfParams, MessageId, OpenEpoch, SendMessage,
    ServerEvent, SessionId, UserId, WrappedKey,
};
use messgo_server::service::{AuthContext, NewAccount, Services};
use messgo_server::{Config, ManualClock, Server};

/// 2027-01-15T08:00:00Z; moves 1 ms per send (under the send limit's 60 s window).
const START_MS: i64 = 1_800_000_000_000;
const CIPHERTEXT: usize = 272;
const NONCE: usize = 12;
const SIGNATURE: usize = 64;

/// Callgrind boundary markers: never inlined, distinct bodies so they cannot be
/// folded into one symbol.
#[inline(never)]
fn pipeline_mark_sends_begin(n: u64) {
    std::hint::black_box(n);
}
#[inline(never)]
fn pipeline_mark_sends_end(n: u64) {
    std::hint::black_box(n.wrapping_add(1));
}

/// A registration that passes the service's checks, deterministic per `seed`.
fn account(seed: u8, username: &str) -> NewAccount {
    let ed = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]).verifying_key();
    NewAccount {
        user_id: UserId(uuid::Builder::from_random_bytes([seed; 16]).into_uuid()),
        username: username.to_owned(),
        auth_key: vec![seed; 32],
        kdf: KdfParams::default(),
        key_bundle: vec![seed; 92],
        x25519_public: vec![seed; 32],
        ed25519_public: ed.to_bytes().to_vec(),
        invite: None,
    }
}

async fn sign_up(s: &Services, seed: u8, username: &str) -> AuthContext {
    let user = s
        .accounts
        .register(account(seed, username), "127.0.0.1")
        .await
        .expect("registers");
    let session = s.sessions.create(user.id, None).await.expect("session");
    AuthContext {
        user_id: user.id,
        session_id: session.id,
    }
}

/// Two connected users with an open epoch (1) on their direct chat.
async fn pair(s: &Services) -> (AuthContext, AuthContext, ChatId) {
    let alice = sign_up(s, 1, "bench_alice").await;
    let bob = sign_up(s, 2, "bench_bob").await;
    s.connections
        .send(
            alice,
            ConnectionRequestBody {
                username: Some("bench_bob".into()),
                connect_key: None,
            },
        )
        .await
        .expect("request");
    let incoming = s
        .connections
        .requests(bob)
        .await
        .expect("requests")
        .incoming;
    let contact = s
        .connections
        .accept(bob, incoming[0].id)
        .await
        .expect("accept");
    let chat = contact.chat_id;
    let keys = [alice.user_id, bob.user_id]
        .into_iter()
        .map(|user_id| WrappedKey {
            user_id,
            wrapped: Bytes(vec![7; 80]),
        })
        .collect();
    s.chats
        .open_epoch(
            alice,
            chat,
            OpenEpoch {
                epoch: 1,
                keys,
                meta: None,
            },
        )
        .await
        .expect("epoch");
    (alice, bob, chat)
}

/// A v7 id whose time is the clock's and whose "random" bits are the count.
fn message_id(now_ms: i64, i: u64) -> MessageId {
    let mut tail = [0u8; 10];
    tail[2..].copy_from_slice(&i.to_be_bytes());
    MessageId(uuid::Builder::from_unix_timestamp_millis(now_ms as u64, &tail).into_uuid())
}

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("N is a number"))
        .unwrap_or(10_000);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run(n));
}

async fn run(n: u64) {
    let dir = tempfile::Builder::new()
        .prefix("pipeline_10k")
        .tempdir()
        .expect("temp dir");
    let config = Config {
        data_dir: dir.path().to_path_buf(),
        messages_per_minute: 1_000_000,
        ..Config::default()
    };
    let clock = Arc::new(ManualClock::new(START_MS));
    let server = Server::build(config, clock.clone())
        .await
        .expect("server builds");
    let s = server.services();
    let (alice, bob, chat) = pair(&s).await;

    // One socket of the receiver, so every send is serialized and delivered.
    let mut socket = s
        .bus
        .open(bob.user_id, SessionId::random(), Box::pin(async {}))
        .await;
    while socket.try_recv().is_some() {}

    let payload = |len: usize, byte: u8| Bytes(vec![byte; len]);
    let (mut acked, mut frames, mut frame_bytes) = (0u64, 0u64, 0u64);
    let mut last_seq = None;

    pipeline_mark_sends_begin(n);
    let started = Instant::now();
    for i in 0..n {
        clock.advance(1);
        let sent_id = message_id(START_MS + i as i64 + 1, i);
        let m = SendMessage {
            chat_id: chat,
            id: sent_id,
            epoch: 1,
            nonce: payload(NONCE, 1),
            ciphertext: payload(CIPHERTEXT, 2),
            signature: payload(SIGNATURE, 3),
            blobs: Vec::new(),
            kind: Default::default(),
            target: None,
        };
        let sent = s
            .pipeline
            .send(alice, m, None)
            .await
            .expect("send is acked");
        if let Some(prev) = last_seq {
            assert_eq!(sent.ack.seq, prev + 1, "sequence numbers are consecutive");
        }
        last_seq = Some(sent.ack.seq);
        acked += 1;
        while let Some(frame) = socket.try_recv() {
            if frames == 0 {
                // The frames are the messages, not errors or other events.
                match serde_json::from_str::<ServerEvent>(&frame.text).expect("a server event") {
                    ServerEvent::Message { message } => assert_eq!(message.id, sent_id),
                    other => panic!("expected the message, got {other:?}"),
                }
            }
            frames += 1;
            frame_bytes += frame.text.len() as u64;
        }
    }
    let elapsed = started.elapsed();
    pipeline_mark_sends_end(n);

    assert_eq!(acked, n, "every send acked");
    assert_eq!(frames, n, "the receiver got one frame per send");
    println!(
        "sends={n} acked={acked} frames={frames} frame_bytes={frame_bytes} last_seq={last_seq:?} \
         send_loop_ms={} sends_per_s={:.0}",
        elapsed.as_millis(),
        n as f64 / elapsed.as_secs_f64().max(1e-9),
    );
    s.db.close().await;
    drop(server);
}

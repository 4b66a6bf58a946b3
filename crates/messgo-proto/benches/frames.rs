//! Frame encode/decode: every message is decoded once (the sender's `send`) and
//! encoded once per fan-out (the shared `message` frame), so these bound the
//! server's per-message JSON cost.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use messgo_proto::{
    Bytes, ChatId, ClientFrame, Message, MessageId, MessageKind, SendMessage, ServerEvent, UserId,
};

/// A typical text message: 256 bytes of padded plaintext plus the GCM tag.
fn send() -> SendMessage {
    SendMessage {
        chat_id: ChatId::random(),
        id: MessageId::random(),
        epoch: 3,
        nonce: Bytes(vec![7; 12]),
        ciphertext: Bytes(vec![9; 272]),
        signature: Bytes(vec![5; 64]),
        blobs: Vec::new(),
        kind: Default::default(),
        target: None,
    }
}

fn frames(c: &mut Criterion) {
    let m = send();
    let text = serde_json::to_string(&ClientFrame::Send(m.clone())).expect("frames serialize");
    let event = ServerEvent::Message {
        message: Message {
            chat_id: m.chat_id,
            seq: 12_345,
            id: m.id,
            sender: Some(UserId::random()),
            epoch: m.epoch,
            kind: MessageKind::Message,
            nonce: Some(m.nonce.clone()),
            ciphertext: Some(m.ciphertext.clone()),
            signature: Some(m.signature.clone()),
            system: None,
            created_at: 1_764_000_000_000,
            expires_at: 1_764_259_200_000,
            deleted: false,
            target: None,
            edited: false,
        },
    };
    let mut g = c.benchmark_group("frames");
    g.throughput(Throughput::Elements(1));
    g.bench_function("decode client send", |b| {
        b.iter(|| {
            serde_json::from_str::<ClientFrame>(black_box(&text)).expect("a frame we encoded")
        })
    });
    g.bench_function("encode message event", |b| {
        b.iter(|| serde_json::to_string(black_box(&event)).expect("events serialize"))
    });
    let ack = ServerEvent::Ack(messgo_proto::Ack {
        chat_id: m.chat_id,
        id: m.id,
        seq: 12_345,
        created_at: 1_700_000_000_000,
        expires_at: 1_700_259_200_000,
    });
    g.bench_function("encode ack", |b| {
        b.iter(|| serde_json::to_string(black_box(&ack)).expect("events serialize"))
    });
    g.finish();
}

criterion_group!(benches, frames);
criterion_main!(benches);

//! "Nothing lost": a message acknowledged to its sender survives the server being
//! killed (SIGKILL, no shutdown) in the middle of a burst, keeps its sequence number,
//! and the database files never contain a plaintext.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use messgo_client::{Client, Keyring};
use messgo_proto::{ChatKind, ClientFrame, MessageId, ServerEvent};

mod common;

use common::BIN;
const PASSWORD: &str = "correct horse battery staple";

fn start(data: &Path) -> (Child, String) {
    let mut cmd = Command::new(BIN);
    cmd.args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .env("MESSGO_MESSAGES_PER_MINUTE", "100000")
        .stderr(Stdio::null());
    common::start(cmd)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is past 1970")
        .as_millis()
        .try_into()
        .expect("now in milliseconds fits an i64")
}

fn contains(path: &Path, needle: &[u8]) -> bool {
    std::fs::read(path).is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle))
}

#[tokio::test]
async fn acknowledged_messages_survive_a_kill_mid_burst() {
    let data = tempfile::tempdir().unwrap();
    let (mut server, url) = start(data.path());
    let a = Client::new(&url).unwrap();
    let b = Client::new(&url).unwrap();
    let a_name = format!("durable_a{}", std::process::id());
    let b_name = format!("durable_b{}", std::process::id());
    let a_id = a.register(&a_name, PASSWORD).await.unwrap();
    b.register(&b_name, PASSWORD).await.unwrap();
    a.request_by_username(&b_name).await.unwrap();
    b.accept(b.requests().await.unwrap().incoming[0].id)
        .await
        .unwrap();
    let chat = a
        .chats()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.kind == ChatKind::Direct)
        .unwrap();
    let mut keys = Keyring::new(&a_id);
    let epoch = keys.ensure_epoch(&a, &chat, now_ms()).await.unwrap();

    // Seal the whole burst first, then fire it down the socket.
    let mut texts = HashMap::new();
    let mut frames = Vec::new();
    for i in 0..400 {
        let text = format!("durable message {i} {}", uuid::Uuid::new_v4());
        let m = keys
            .seal(&a, chat.id, epoch, MessageId::random(), &text)
            .await
            .unwrap();
        texts.insert(m.id, text);
        frames.push(serde_json::to_string(&ClientFrame::Send(m)).unwrap());
    }
    let mut events = a.events().await.unwrap();
    for f in &frames {
        events.send_raw(f).await.unwrap();
    }
    let mut acked: HashMap<MessageId, i64> = HashMap::new();
    while acked.len() < 100 {
        if let ServerEvent::Ack(ack) = events.next().await.unwrap() {
            acked.insert(ack.id, ack.seq);
        }
    }
    // Kill without warning while the rest of the burst is in flight.
    server.kill().unwrap();
    server.wait().unwrap();
    // Acks that were already on the wire count too.
    while let Ok(Some(event)) = events.next_within(std::time::Duration::from_secs(2)).await {
        if let ServerEvent::Ack(ack) = event {
            acked.insert(ack.id, ack.seq);
        }
    }
    assert!(acked.len() >= 100 && acked.len() <= 400);

    let (mut server, url) = start(data.path());
    let b = Client::new(&url).unwrap();
    let b_id = b.login(&b_name, PASSWORD).await.unwrap();
    let stored = b.messages(chat.id, None, Some(0), 200).await.unwrap();
    let mut all = stored.clone();
    let mut after = stored.last().map_or(0, |m| m.seq);
    loop {
        let page = b.messages(chat.id, None, Some(after), 200).await.unwrap();
        if page.is_empty() {
            break;
        }
        after = page.last().unwrap().seq;
        all.extend(page);
    }
    let seqs: Vec<i64> = all.iter().map(|m| m.seq).collect();
    assert_eq!(
        seqs,
        (1..=all.len() as i64).collect::<Vec<_>>(),
        "gap-free and without duplicates"
    );
    let by_id: HashMap<MessageId, i64> = all.iter().map(|m| (m.id, m.seq)).collect();
    for (id, seq) in &acked {
        assert_eq!(
            by_id.get(id),
            Some(seq),
            "an acknowledged message is there, with its seq"
        );
    }
    // And B can read every one of them.
    let chat = b.chat(chat.id).await.unwrap();
    let mut b_keys = Keyring::new(&b_id);
    for m in &all {
        let opened = b_keys.open(&b, &chat, m).await.unwrap();
        assert_eq!(Some(&opened.text), texts.get(&m.id));
    }

    server.kill().unwrap();
    server.wait().unwrap();
    for entry in std::fs::read_dir(data.path()).unwrap() {
        let path = entry.unwrap().path();
        for text in texts.values() {
            assert!(
                !contains(&path, text.as_bytes()),
                "plaintext in {}",
                path.display()
            );
        }
        assert!(
            !contains(&path, PASSWORD.as_bytes()),
            "password in {}",
            path.display()
        );
    }
}

//! One trial's load: every person sends sealed messages into their chat over their
//! own socket at a steady pace (first again whatever went unanswered last time),
//! until the server is killed at a random moment. Every ack and nack goes into the
//! ledger as it arrives.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use messgo_client::{Client, Identity, Keyring};
use messgo_proto::{ChatId, ClientFrame, MessageId, ServerEvent};
use tokio::sync::{watch, Barrier};
use tokio_tungstenite::tungstenite::Message;

use super::ledger::{Entry, Ledger, State};
use super::people::People;
use crate::bench::wire::socket_config;
use crate::bench::BenchError;

/// After the kill, how long a reader may wait for its socket to close.
const DRAIN_DEADLINE: Duration = Duration::from_secs(10);

/// What one trial's load did.
#[derive(Default, Debug, Clone, Copy)]
pub struct Load {
    pub sent: u64,
    pub resent: u64,
}

/// One sender's part, owned, for its task.
struct Sender {
    who: usize,
    client: Client,
    identity: Arc<Identity>,
    room: usize,
    chat: ChatId,
    epoch: u32,
    pending: Vec<(MessageId, String)>,
}

/// Runs the load from everyone until `kill_after` has passed since all sockets
/// were open, then calls `kill` and waits for every socket to end.
pub async fn drive(
    people: &People,
    ledger: &Arc<Mutex<Ledger>>,
    rate: f64,
    label: &str,
    kill_after: Duration,
    kill: impl FnOnce() -> anyhow::Result<()>,
) -> anyhow::Result<Load> {
    let n = people.people.len();
    let period = Duration::from_secs_f64(n as f64 / rate.max(0.001));
    let (stop_tx, stop_rx) = watch::channel(false);
    let ready = Arc::new(Barrier::new(n + 1));
    let mut tasks = Vec::with_capacity(n);
    {
        let book = lock(ledger);
        for (who, p) in people.people.iter().enumerate() {
            let room = &people.rooms[p.room];
            let sender = Sender {
                who,
                client: p.client.clone(),
                identity: p.identity.clone(),
                room: p.room,
                chat: room.id,
                epoch: room.epoch,
                pending: book.pending(who),
            };
            tasks.push(tokio::spawn(send_loop(
                sender,
                ledger.clone(),
                period,
                format!("{label}/{who}"),
                ready.clone(),
                stop_rx.clone(),
            )));
        }
    }
    ready.wait().await;
    // The kill's moment is the point of the trial, chosen at random by the caller.
    tokio::time::sleep(kill_after).await;
    kill()?;
    let _ = stop_tx.send(true);
    let mut load = Load::default();
    for t in tasks {
        let part = t.await??;
        load.sent += part.sent;
        load.resent += part.resent;
    }
    Ok(load)
}

/// One sender: opens its socket and fetches its chat's key, waits on `ready` (so
/// the kill's moment counts from a load that is under way), sends again what went
/// unanswered, then one new message per `period` until `stop`.
async fn send_loop(
    s: Sender,
    ledger: Arc<Mutex<Ledger>>,
    period: Duration,
    label: String,
    ready: Arc<Barrier>,
    mut stop: watch::Receiver<bool>,
) -> Result<Load, BenchError> {
    let mut keys = Keyring::new(&s.identity);
    let opened = open(&s, &mut keys).await;
    // Everyone reaches the barrier, ready or not, so no trial hangs on one sender.
    ready.wait().await;
    let (mut tx, rx) = opened?.split();
    let reader = tokio::spawn(read_answers(rx, ledger.clone()));
    let mut load = Load::default();
    for (id, frame) in &s.pending {
        lock(&ledger).resent(*id);
        if tx.send(Message::Text(frame.clone().into())).await.is_err() {
            break;
        }
        load.resent += 1;
    }
    let mut tick = tokio::time::interval(period);
    for n in 0.. {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => break,
        }
        let id = MessageId::new_v7();
        let text = format!("crash-soak {label}/{n} {}", uuid::Uuid::new_v4());
        let m = keys.seal(&s.client, s.chat, s.epoch, id, &text).await?;
        let frame = serde_json::to_string(&ClientFrame::Send(m))
            .map_err(|e| BenchError::Protocol(e.to_string()))?;
        lock(&ledger).sent(id, entry(&s, text, frame.clone()));
        if tx.send(Message::Text(frame.into())).await.is_err() {
            break;
        }
        load.sent += 1;
    }
    // The server is dead by now: acks it wrote before dying still count.
    let _ = tokio::time::timeout(DRAIN_DEADLINE, reader).await;
    Ok(load)
}

/// The sender's socket, with the chat's key already in `keys`, so that sealing
/// during the load asks the server nothing.
async fn open(s: &Sender, keys: &mut Keyring<'_>) -> Result<messgo_client::Socket, BenchError> {
    let mut ws = s.client.socket(None, Some(socket_config())).await?;
    // Any first frame but a resume starts each chat from now: nobody reads history here.
    ws.send(Message::Text(r#"{"type":"ping"}"#.into()))
        .await
        .map_err(BenchError::socket)?;
    keys.key(&s.client, s.chat, s.epoch).await?;
    Ok(ws)
}

fn entry(s: &Sender, text: String, frame: String) -> Entry {
    Entry {
        room: s.room,
        sender: s.who,
        text,
        frame,
        sent_at: Instant::now(),
        state: State::Sent,
        stored_seq: None,
        judged: false,
        counted_unacked: false,
    }
}

fn lock(ledger: &Mutex<Ledger>) -> std::sync::MutexGuard<'_, Ledger> {
    // A panic elsewhere poisons it; the data is still what the clients saw.
    ledger
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Reads the socket until it ends, noting acks and nacks; other frames (the other
/// members' messages) are not what is measured here.
async fn read_answers(
    mut rx: futures_util::stream::SplitStream<messgo_client::Socket>,
    ledger: Arc<Mutex<Ledger>>,
) {
    while let Some(Ok(frame)) = rx.next().await {
        let Message::Text(text) = frame else { continue };
        if !(text.starts_with(r#"{"type":"ack""#) || text.starts_with(r#"{"type":"nack""#)) {
            continue;
        }
        match serde_json::from_str::<ServerEvent>(&text) {
            Ok(ServerEvent::Ack(ack)) => lock(&ledger).acked(ack.id, ack.seq),
            Ok(ServerEvent::Nack { id, code, .. }) => lock(&ledger).nacked(id, code),
            _ => {}
        }
    }
}

//! The bus across server nodes. Each node delivers to its own sockets at once,
//! through its [`LocalBus`], and sends the same event over NATS for the other nodes,
//! which hand it to theirs. So this node's sockets, and the acks of what they send,
//! never wait on NATS, nor stop when it is down.
//!
//! Subjects: `messgo.u.<user>` carries frames for a user, `messgo.end.<user>` the
//! sessions to end. Every node listens to both wildcards; a node without sockets of
//! that user simply drops the frame, and a node drops what it published itself (the
//! `Messgo-Node` header names the sender). NATS keeps each publisher's order, and the
//! per-chat sequencer runs before publishing, so a chat's messages stay in order.
//!
//! The socket a message came from is always on the node that publishes it, so the
//! ack that socket gets in the message's place never crosses NATS.

use std::sync::Arc;

use async_nats::HeaderMap;
use futures_util::StreamExt;
use messgo_proto::{SessionId, UserId};
use tokio::sync::{mpsc, watch};

use super::{Bus, Ending, LocalBus, Origin, Subscription};

const USER_PREFIX: &str = "messgo.u.";
const END_PREFIX: &str = "messgo.end.";
/// The node that published an event, so it can skip its own echo.
const NODE: &str = "Messgo-Node";

/// Publishes waiting to go out; past this, NATS is not keeping up and frames are
/// dropped (clients resync on their next reconnect or gap).
const OUTBOX: usize = 65_536;

type Outgoing = (String, Vec<u8>);

pub struct NatsBus {
    outbox: mpsc::Sender<Outgoing>,
    local: Arc<LocalBus>,
    /// Whether NATS is connected, as its connection events say.
    connected: watch::Receiver<bool>,
}

/// While NATS was down, events from other nodes did not reach this node's sockets.
/// When it is back, every local socket is cut off ("reconnect and resync"), so each
/// client resumes from the database: nothing stays missed.
fn catch_up_after_outage(
    local: Arc<LocalBus>,
    connected: watch::Sender<bool>,
) -> impl Fn(async_nats::Event) -> std::future::Ready<()> + Send + Sync + 'static {
    move |event| {
        match event {
            async_nats::Event::Disconnected => {
                tracing::warn!("lost NATS: other nodes' events stop until it is back");
                connected.send_replace(false);
            }
            async_nats::Event::Connected => {
                // Marked connected first: whoever sees a socket cut off sees NATS up.
                if !connected.send_replace(true) {
                    tracing::info!("NATS is back: this node's sockets resync from the database");
                    local.cut_off_all();
                }
            }
            async_nats::Event::LameDuckMode
            | async_nats::Event::Draining
            | async_nats::Event::Closed
            | async_nats::Event::SlowConsumer(_)
            | async_nats::Event::ServerError(_)
            | async_nats::Event::ClientError(_) => {}
        }
        std::future::ready(())
    }
}

impl NatsBus {
    /// Connects and starts relaying what other nodes publish to this node's sockets.
    pub async fn connect(url: &str) -> anyhow::Result<NatsBus> {
        let local = Arc::new(LocalBus::new());
        let (up, connected) = watch::channel(true);
        let client = async_nats::ConnectOptions::new()
            .event_callback(catch_up_after_outage(local.clone(), up))
            .connect(url)
            .await?;
        let node = rand::random::<u64>().to_string();
        let mut frames = client.subscribe(format!("{USER_PREFIX}*")).await?;
        let mut endings = client.subscribe(format!("{END_PREFIX}*")).await?;
        // Subscriptions are live once the server has seen them: flush before serving.
        client.flush().await?;
        let (sink, me) = (local.clone(), node.clone());
        tokio::spawn(async move {
            while let Some(msg) = frames.next().await {
                let Some(user) = from_another_node(&msg, &me, USER_PREFIX) else {
                    continue;
                };
                let Ok(text) = std::str::from_utf8(&msg.payload) else {
                    tracing::warn!("a non-UTF-8 frame arrived over NATS; dropped");
                    continue;
                };
                sink.deliver(user, &text.into(), None);
            }
        });
        let (sink, me) = (local.clone(), node.clone());
        tokio::spawn(async move {
            while let Some(msg) = endings.next().await {
                let Some(user) = from_another_node(&msg, &me, END_PREFIX) else {
                    continue;
                };
                if let Ok(ending) = serde_json::from_slice::<Ending>(&msg.payload) {
                    sink.end_sessions(user, ending);
                }
            }
        });
        // One publisher task, so events leave in the order they were published.
        let (outbox, mut pending) = mpsc::channel::<Outgoing>(OUTBOX);
        tokio::spawn(async move {
            let mut headers = HeaderMap::new();
            headers.insert(NODE, node.as_str());
            while let Some((subject, payload)) = pending.recv().await {
                let sent = client
                    .publish_with_headers(subject, headers.clone(), payload.into())
                    .await;
                if let Err(e) = sent {
                    tracing::warn!(error = %e, "publishing to NATS failed");
                }
            }
        });
        Ok(NatsBus {
            outbox,
            local,
            connected,
        })
    }

    /// Queues an event for the other nodes; this node has already delivered it.
    fn send(&self, subject: String, payload: Vec<u8>) {
        if self.outbox.try_send((subject, payload)).is_err() {
            tracing::warn!("the NATS outbox is full; an event for other nodes was dropped");
        }
    }
}

/// The user an event is for, unless this node published it (it delivered it then).
fn from_another_node(msg: &async_nats::Message, me: &str, prefix: &str) -> Option<UserId> {
    let sender = msg.headers.as_ref().and_then(|h| h.get(NODE));
    if sender.is_some_and(|n| n.as_str() == me) {
        return None;
    }
    msg.subject.strip_prefix(prefix)?.parse().ok()
}

impl Bus for NatsBus {
    fn publish(&self, to: UserId, frame: Arc<str>) {
        self.local.publish(to, frame.clone());
        self.send(format!("{USER_PREFIX}{to}"), frame.as_bytes().to_vec());
    }

    fn publish_from(&self, to: UserId, frame: Arc<str>, origin: &Origin) {
        // The origin socket is on this node: it gets its own frame here, and the
        // other nodes the plain one.
        self.local.publish_from(to, frame.clone(), origin);
        self.send(format!("{USER_PREFIX}{to}"), frame.as_bytes().to_vec());
    }

    fn subscribe(&self, user: UserId, session: SessionId) -> Subscription {
        self.local.subscribe(user, session)
    }

    fn connected(&self) -> watch::Receiver<bool> {
        self.connected.clone()
    }

    fn end_sessions(&self, user: UserId, ending: Ending) {
        self.local.end_sessions(user, ending);
        let payload = serde_json::to_vec(&ending).expect("Ending serializes");
        self.send(format!("{END_PREFIX}{user}"), payload);
    }
}

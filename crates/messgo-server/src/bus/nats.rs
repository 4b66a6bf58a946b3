//! The bus across server nodes: every event goes through NATS, and each node hands
//! what arrives to its own sockets through a [`LocalBus`].
//!
//! Subjects: `messgo.u.<user>` carries frames for a user, `messgo.end.<user>` the
//! sessions to end. Every node listens to both wildcards; a node without sockets of
//! that user simply drops the frame. NATS keeps each publisher's order, and the
//! per-chat sequencer runs before publishing, so a chat's messages stay in order.

use std::sync::Arc;

use futures_util::StreamExt;
use messgo_proto::{SessionId, UserId};
use tokio::sync::mpsc;

use super::{Bus, Ending, LocalBus, Subscription};

const USER_PREFIX: &str = "messgo.u.";
const END_PREFIX: &str = "messgo.end.";

/// Publishes waiting to go out; past this, NATS is not keeping up and frames are
/// dropped (clients resync on their next reconnect or gap).
const OUTBOX: usize = 65_536;

pub struct NatsBus {
    outbox: mpsc::Sender<(String, Vec<u8>)>,
    local: Arc<LocalBus>,
}

impl NatsBus {
    /// Connects and starts relaying what other nodes publish to this node's sockets.
    pub async fn connect(url: &str) -> anyhow::Result<NatsBus> {
        let client = async_nats::connect(url).await?;
        let local = Arc::new(LocalBus::new());
        let mut frames = client.subscribe(format!("{USER_PREFIX}*")).await?;
        let mut endings = client.subscribe(format!("{END_PREFIX}*")).await?;
        // Subscriptions are live once the server has seen them: flush before serving.
        client.flush().await?;
        let sink = local.clone();
        tokio::spawn(async move {
            while let Some(msg) = frames.next().await {
                let Some(user) = user_of(&msg.subject, USER_PREFIX) else {
                    continue;
                };
                match std::str::from_utf8(&msg.payload) {
                    Ok(text) => sink.publish(user, text.into()),
                    Err(_) => tracing::warn!("a non-UTF-8 frame arrived over NATS; dropped"),
                }
            }
        });
        let sink = local.clone();
        tokio::spawn(async move {
            while let Some(msg) = endings.next().await {
                let Some(user) = user_of(&msg.subject, END_PREFIX) else {
                    continue;
                };
                if let Ok(ending) = serde_json::from_slice::<Ending>(&msg.payload) {
                    sink.end_sessions(user, ending);
                }
            }
        });
        // One publisher task, so frames leave in the order they were published.
        let (outbox, mut pending) = mpsc::channel::<(String, Vec<u8>)>(OUTBOX);
        tokio::spawn(async move {
            while let Some((subject, payload)) = pending.recv().await {
                if let Err(e) = client.publish(subject, payload.into()).await {
                    tracing::warn!(error = %e, "publishing to NATS failed");
                }
            }
        });
        Ok(NatsBus { outbox, local })
    }

    fn send(&self, subject: String, payload: Vec<u8>) {
        if self.outbox.try_send((subject, payload)).is_err() {
            tracing::warn!("the NATS outbox is full; a frame was dropped");
        }
    }
}

fn user_of(subject: &str, prefix: &str) -> Option<UserId> {
    subject.strip_prefix(prefix)?.parse().ok()
}

impl Bus for NatsBus {
    fn publish(&self, to: UserId, frame: Arc<str>) {
        self.send(format!("{USER_PREFIX}{to}"), frame.as_bytes().to_vec());
    }

    fn subscribe(&self, user: UserId, session: SessionId) -> Subscription {
        self.local.subscribe(user, session)
    }

    fn end_sessions(&self, user: UserId, ending: Ending) {
        let payload = serde_json::to_vec(&ending).expect("Ending serializes");
        self.send(format!("{END_PREFIX}{user}"), payload);
    }
}

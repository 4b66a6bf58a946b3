//! The bus across server nodes: every event goes through NATS, and each node hands
//! what arrives to its own sockets through a [`LocalBus`].
//!
//! Subjects: `messgo.u.<user>` carries frames for a user, `messgo.end.<user>` the
//! sessions to end. Every node listens to both wildcards; a node without sockets of
//! that user simply drops the frame. NATS keeps each publisher's order, and the
//! per-chat sequencer runs before publishing, so a chat's messages stay in order.
//!
//! A frame published from a socket carries that socket in headers: `Messgo-Origin`
//! names the node and the socket, `Messgo-Origin-Frame` what that socket gets instead.
//! Only the node that names itself there applies it.

use std::sync::Arc;

use async_nats::HeaderMap;
use futures_util::StreamExt;
use messgo_proto::{SessionId, UserId};
use tokio::sync::mpsc;

use super::{Bus, Ending, LocalBus, Origin, SocketId, Subscription};

const USER_PREFIX: &str = "messgo.u.";
const END_PREFIX: &str = "messgo.end.";
const ORIGIN: &str = "Messgo-Origin";
const ORIGIN_FRAME: &str = "Messgo-Origin-Frame";

/// Publishes waiting to go out; past this, NATS is not keeping up and frames are
/// dropped (clients resync on their next reconnect or gap).
const OUTBOX: usize = 65_536;

type Outgoing = (String, Option<HeaderMap>, Vec<u8>);

pub struct NatsBus {
    outbox: mpsc::Sender<Outgoing>,
    local: Arc<LocalBus>,
    /// Tells this node's origins from other nodes': socket ids are only unique per node.
    node: u64,
}

impl NatsBus {
    /// Connects and starts relaying what other nodes publish to this node's sockets.
    pub async fn connect(url: &str) -> anyhow::Result<NatsBus> {
        let client = async_nats::connect(url).await?;
        let local = Arc::new(LocalBus::new());
        let node: u64 = rand::random();
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
                let Ok(text) = std::str::from_utf8(&msg.payload) else {
                    tracing::warn!("a non-UTF-8 frame arrived over NATS; dropped");
                    continue;
                };
                let origin = msg.headers.as_ref().and_then(|h| origin_of(h, node));
                sink.deliver(user, &text.into(), origin.as_ref());
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
        let (outbox, mut pending) = mpsc::channel::<Outgoing>(OUTBOX);
        tokio::spawn(async move {
            while let Some((subject, headers, payload)) = pending.recv().await {
                let sent = match headers {
                    Some(h) => {
                        client
                            .publish_with_headers(subject, h, payload.into())
                            .await
                    }
                    None => client.publish(subject, payload.into()).await,
                };
                if let Err(e) = sent {
                    tracing::warn!(error = %e, "publishing to NATS failed");
                }
            }
        });
        Ok(NatsBus {
            outbox,
            local,
            node,
        })
    }

    fn send(&self, subject: String, headers: Option<HeaderMap>, payload: Vec<u8>) {
        if self.outbox.try_send((subject, headers, payload)).is_err() {
            tracing::warn!("the NATS outbox is full; a frame was dropped");
        }
    }
}

fn user_of(subject: &str, prefix: &str) -> Option<UserId> {
    subject.strip_prefix(prefix)?.parse().ok()
}

/// The origin a frame names, if it names a socket of `node`.
fn origin_of(headers: &HeaderMap, node: u64) -> Option<Origin> {
    let (at, socket) = headers.get(ORIGIN)?.as_str().split_once('.')?;
    if at.parse::<u64>().ok()? != node {
        return None;
    }
    Some(Origin {
        socket: SocketId(socket.parse().ok()?),
        frame: headers.get(ORIGIN_FRAME)?.as_str().into(),
    })
}

impl Bus for NatsBus {
    fn publish(&self, to: UserId, frame: Arc<str>) {
        self.send(
            format!("{USER_PREFIX}{to}"),
            None,
            frame.as_bytes().to_vec(),
        );
    }

    fn publish_from(&self, to: UserId, frame: Arc<str>, origin: &Origin) {
        let mut headers = HeaderMap::new();
        headers.insert(
            ORIGIN,
            format!("{}.{}", self.node, origin.socket.0).as_str(),
        );
        // Frames are JSON on one line, which a header value may hold.
        headers.insert(ORIGIN_FRAME, &*origin.frame);
        self.send(
            format!("{USER_PREFIX}{to}"),
            Some(headers),
            frame.as_bytes().to_vec(),
        );
    }

    fn subscribe(&self, user: UserId, session: SessionId) -> Subscription {
        self.local.subscribe(user, session)
    }

    fn end_sessions(&self, user: UserId, ending: Ending) {
        let payload = serde_json::to_vec(&ending).expect("Ending serializes");
        self.send(format!("{END_PREFIX}{user}"), None, payload);
    }
}

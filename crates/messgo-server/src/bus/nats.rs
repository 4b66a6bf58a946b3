//! The bus across server nodes. Each node delivers to its own sockets at once,
//! through its [`LocalBus`], and sends the same event over NATS for the other nodes,
//! which hand it to theirs. So this node's sockets, and the acks of what they send,
//! never wait on NATS, nor stop when it is down.
//!
//! Events are routed by interest (subjects in `wire.rs`): a node subscribes to a
//! user's events while that user has a socket on it (`interest.rs`), so a node hears
//! only what its own sockets need, and adding nodes adds capacity. Large chats'
//! messages still go to every node once. NATS is asked not to echo a node's own
//! events back to it.
//!
//! The socket a message came from is always on the node that publishes it, so the
//! ack that socket gets in the message's place never crosses NATS.

mod intake;
mod interest;
mod wire;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use async_nats::HeaderMap;
use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::StreamExt;
use messgo_proto::{SessionId, UserId};
use tokio::sync::{mpsc, watch};

use super::{Bus, ChatMessage, Counts, Ending, LocalBus, Origin, Shared, Subscription};
use intake::{Intake, NODE};
use interest::Interests;

/// Publishes waiting to go out; past this, NATS is not keeping up and frames are
/// dropped (clients resync on their next reconnect or gap).
const OUTBOX: usize = 65_536;
/// Chat messages from other nodes waiting for this node's order stage; past this,
/// they are dropped, and the sockets that miss one fill the gap from the database.
const INBOX: usize = 65_536;

type Outgoing = (String, Bytes);

pub struct NatsBus {
    outbox: mpsc::Sender<Outgoing>,
    local: Arc<LocalBus>,
    /// Whether NATS is connected, as its connection events say.
    connected: watch::Receiver<bool>,
    /// Other nodes' chat messages, until the order stage takes them.
    inbox: std::sync::Mutex<Option<mpsc::Receiver<ChatMessage>>>,
    intake: Arc<Intake>,
    interests: Arc<Interests>,
    /// NATS messages published so far.
    sent: AtomicU64,
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
            .no_echo()
            .connect(url)
            .await?;
        let node = rand::random::<u64>().to_string();
        let (inbox_tx, inbox) = mpsc::channel(INBOX);
        let intake = Arc::new(Intake {
            local: local.clone(),
            inbox: inbox_tx,
            me: node.clone(),
            received: AtomicU64::new(0),
        });
        let mut everyone = client.subscribe(wire::MESSAGES).await?;
        // Subscriptions are live once the server has seen them: flush before serving.
        client.flush().await?;
        let take = intake.clone();
        tokio::spawn(async move {
            while let Some(msg) = everyone.next().await {
                take.take(&msg);
            }
        });
        let interests = Interests::new(client.clone(), intake.clone());
        // One publisher task, so events leave in the order they were published.
        let (outbox, mut pending) = mpsc::channel::<Outgoing>(OUTBOX);
        tokio::spawn(async move {
            let mut headers = HeaderMap::new();
            headers.insert(NODE, node.as_str());
            while let Some((subject, payload)) = pending.recv().await {
                let sent = client
                    .publish_with_headers(subject, headers.clone(), payload)
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
            inbox: std::sync::Mutex::new(Some(inbox)),
            intake,
            interests,
            sent: AtomicU64::new(0),
        })
    }

    /// Queues an event for the other nodes; this node has already delivered it.
    fn send(&self, subject: String, payload: Bytes) {
        self.sent.fetch_add(1, Ordering::Relaxed);
        if self.outbox.try_send((subject, payload)).is_err() {
            tracing::warn!("the NATS outbox is full; an event for other nodes was dropped");
        }
    }
}

impl Bus for NatsBus {
    fn publish(&self, to: UserId, frame: Shared) {
        self.local.publish(to, frame.clone());
        let payload = Bytes::copy_from_slice(frame.text.as_bytes());
        self.send(wire::frame_subject(to), payload);
    }

    fn deliver(&self, to: UserId, frame: &Shared, origin: Option<&Origin>) {
        self.local.deliver(to, frame, origin);
    }

    fn share(&self, message: &ChatMessage) {
        let payload = Bytes::from(wire::encode_message(message));
        for subject in wire::message_subjects(message) {
            self.send(subject, payload.clone());
        }
    }

    fn shared_with_us(&self) -> Option<mpsc::Receiver<ChatMessage>> {
        self.inbox.lock().ok()?.take()
    }

    fn open(
        &self,
        user: UserId,
        session: SessionId,
        first: BoxFuture<'static, ()>,
    ) -> BoxFuture<'_, Subscription> {
        Box::pin(async move {
            let hold = self.interests.hold(user, first).await;
            let Subscription {
                id,
                rx,
                queue,
                _guard,
            } = self.local.subscribe(user, session);
            Subscription {
                id,
                rx,
                queue,
                // Dropped after the local feed's guard: the interest outlives it.
                _guard: Box::new((_guard, hold)),
            }
        })
    }

    fn connected(&self) -> watch::Receiver<bool> {
        self.connected.clone()
    }

    fn end_sessions(&self, user: UserId, ending: Ending) {
        self.local.end_sessions(user, ending);
        let payload = serde_json::to_vec(&ending).expect("Ending serializes");
        self.send(wire::end_subject(user), payload.into());
    }

    fn counts(&self) -> Counts {
        Counts {
            received: self.intake.received.load(Ordering::Relaxed),
            sent: self.sent.load(Ordering::Relaxed),
            queued: self.local.queued(),
            interests: self.interests.present() as u64,
            sockets: self.local.sockets(),
        }
    }
}

//! Fan-out of events to every open session of a user.
//!
//! Events are serialized once and shared (`Arc<str>`), so a fan-out costs a pointer
//! per socket. The in-process [`LocalBus`] serves one node; a NATS implementation of
//! the same trait ([`NatsBus`]) carries events between nodes that share one PostgreSQL.

mod local;
mod nats;

use std::sync::Arc;

pub use local::LocalBus;
use messgo_proto::{ServerEvent, SessionId, UserId};
pub use nats::NatsBus;
use tokio::sync::{mpsc, watch};

/// Frames queued per socket before it counts as too slow and is cut off.
/// Tokio's channel allocates its slots in blocks as they fill, so an idle socket
/// pays nothing for the depth; a busy one rides out bursts of a large group.
pub const SOCKET_QUEUE: usize = 1024;

pub trait Bus: Send + Sync + 'static {
    /// Delivers `frame` to every subscription of `to`, never waiting on a slow one.
    fn publish(&self, to: UserId, frame: Arc<str>);
    /// Like [`publish`](Self::publish), but the socket `origin` names gets its own
    /// frame in `frame`'s place: the sender's ack instead of its own message back,
    /// in the same order as everything else that socket receives.
    fn publish_from(&self, to: UserId, frame: Arc<str>, origin: &Origin);
    /// A feed for one socket of `session`.
    fn subscribe(&self, user: UserId, session: SessionId) -> Subscription;
    /// Tells the sockets of the sessions of `user` that `ending` picks that their
    /// session is over, then cuts them off (logout, revocation, password change).
    fn end_sessions(&self, user: UserId, ending: Ending);
    /// Whether events reach the other nodes, now and as it changes (always, for a
    /// single node): readiness reads it, and a caller can wait for a change.
    fn connected(&self) -> watch::Receiver<bool> {
        watch::channel(true).1
    }
}

/// Which of a user's sessions end. Plain data, so it can cross to other nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Ending {
    Only(SessionId),
    AllBut(SessionId),
    All,
}

impl Ending {
    pub fn covers(self, session: SessionId) -> bool {
        match self {
            Ending::Only(s) => s == session,
            Ending::AllBut(s) => s != session,
            Ending::All => true,
        }
    }
}

/// One socket's subscription, unique within its node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SocketId(pub u64);

/// The socket a message came from, and what it gets instead of the message.
#[derive(Debug, Clone)]
pub struct Origin {
    pub socket: SocketId,
    pub frame: Arc<str>,
}

/// One socket's feed. When the bus drops a subscriber for being too slow, `recv`
/// returns `None` after the frames already queued, and the socket should close so
/// the client resyncs.
pub struct Subscription {
    pub id: SocketId,
    pub rx: mpsc::Receiver<Arc<str>>,
    pub(crate) _guard: Box<dyn Send + Sync>,
}

/// An event as the text frame every socket it goes to shares.
pub fn frame(event: &ServerEvent) -> Arc<str> {
    serde_json::to_string(event)
        .expect("events always serialize")
        .into()
}

/// Serializes once and publishes to each of `to`.
pub fn notify(bus: &dyn Bus, to: impl IntoIterator<Item = UserId>, event: &ServerEvent) {
    let frame = frame(event);
    for user in to {
        bus.publish(user, frame.clone());
    }
}

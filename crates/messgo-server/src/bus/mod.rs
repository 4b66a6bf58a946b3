//! Fan-out of events to every open session of a user.
//!
//! Events are serialized once and shared ([`Shared`]), so a fan-out costs a pointer
//! per socket. The in-process [`LocalBus`] serves one node; a NATS implementation of
//! the same trait ([`NatsBus`]) carries events between nodes that share one PostgreSQL.
//!
//! A chat's messages take their own way: the order stage (`messages/pipeline/order.rs`)
//! of the node that committed one [`share`](Bus::share)s it with the other nodes
//! once, whoever its members are, and each node's order stage puts it in its place
//! among the chat's messages before [`deliver`](Bus::deliver)ing it to its own
//! sockets. Ordering comes from the committed sequence number, not from what one
//! node happened to see first.
//!
//! Across nodes, events are routed by interest: a node hears a user's events only
//! while that user has a socket on it ([`open`](Bus::open) registers the interest
//! before the socket's feed opens), so adding nodes adds capacity.

mod local;
mod nats;

use std::sync::Arc;

use futures_util::future::BoxFuture;
pub use local::LocalBus;
use messgo_proto::{ChatId, ServerEvent, SessionId, UserId};
pub use nats::NatsBus;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use tokio::sync::{mpsc, watch};

/// Frames queued per socket before it counts as too slow and is cut off.
/// Tokio's channel allocates its slots in blocks as they fill, so an idle socket
/// pays nothing for the depth; a busy one rides out bursts of a large group.
pub const SOCKET_QUEUE: usize = 1024;
/// Bytes of frames queued per socket before it counts as too slow and is cut off,
/// whatever their number: a socket that stops reading holds at most this much (its
/// frames are shared with the other sockets they go to, but kept alive by its queue).
pub const SOCKET_BYTES: usize = 1 << 20;

pub trait Bus: Send + Sync + 'static {
    /// Delivers `frame` to every subscription of `to` on every node, never waiting on
    /// a slow one. For events outside a chat's order (a chat's messages go through
    /// the order stage: [`share`](Self::share), then [`deliver`](Self::deliver)).
    fn publish(&self, to: UserId, frame: Shared);
    /// Delivers `frame` to this node's sockets of `to` only, except that the socket
    /// `origin` names (if any) gets its own frame in `frame`'s place: the sender's
    /// ack instead of its own message back, in the same order as everything else
    /// that socket receives.
    fn deliver(&self, to: UserId, frame: &Shared, origin: Option<&Origin>);
    /// Hands a chat's committed message (or a number with nothing to deliver) to the
    /// other nodes' order stages. Nothing to do on a single node.
    fn share(&self, _message: &ChatMessage) {}
    /// Chat messages other nodes committed, for this node's order stage. Given out
    /// once; `None` on a single node.
    fn shared_with_us(&self) -> Option<mpsc::Receiver<ChatMessage>> {
        None
    }
    /// A feed for one socket of `session`, opened once `user`'s events reach this
    /// node: whatever is committed after it returns reaches the feed. When they did
    /// not reach it before (the user's first socket here, across nodes), `first` runs
    /// before the feed opens: the order stage reads where the user's chats stand, as
    /// what was committed before is this node's to learn from the database, not the
    /// bus. A single node hears everything anyway and never runs it.
    fn open(
        &self,
        user: UserId,
        session: SessionId,
        first: BoxFuture<'static, ()>,
    ) -> BoxFuture<'_, Subscription>;
    /// Tells the sockets of the sessions of `user` that `ending` picks that their
    /// session is over, then cuts them off (logout, revocation, password change).
    fn end_sessions(&self, user: UserId, ending: Ending);
    /// Whether events reach the other nodes, now and as it changes (always, for a
    /// single node): readiness reads it, and a caller can wait for a change.
    fn connected(&self) -> watch::Receiver<bool> {
        watch::channel(true).1
    }
    /// What this node's bus has done so far, as plain counts (nothing about whom).
    fn counts(&self) -> Counts;
}

/// A node's bus traffic since it started: totals only, for `/metrics` and the
/// cluster bench (bus events received per node, work per delivered message).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    /// Events this node took in from other nodes (NATS messages received).
    pub received: u64,
    /// Events this node sent to other nodes (NATS messages published).
    pub sent: u64,
    /// Frames queued on this node's sockets.
    pub queued: u64,
    /// Users with a socket on this node (whose events it hears).
    pub interests: u64,
    /// Sockets open on this node now.
    pub sockets: u64,
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
    pub frame: Shared,
}

/// One socket's feed. When the bus drops a subscriber for being too slow, or its
/// session ends, `recv` returns `None` after the frames already queued, and the
/// socket should close: [`ended`](Self::ended) says which, so the client knows
/// whether to reconnect and resync or to sign in again.
pub struct Subscription {
    pub id: SocketId,
    pub(crate) rx: mpsc::Receiver<Shared>,
    pub(crate) queue: Arc<Queue>,
    pub(crate) _guard: Box<dyn Send + Sync>,
}

impl Subscription {
    pub async fn recv(&mut self) -> Option<Shared> {
        let frame = self.rx.recv().await?;
        self.queue.taken(&frame);
        Some(frame)
    }

    pub fn try_recv(&mut self) -> Option<Shared> {
        let frame = self.rx.try_recv().ok()?;
        self.queue.taken(&frame);
        Some(frame)
    }

    /// Whether the feed was ended because its session ended.
    pub fn ended(&self) -> bool {
        self.queue.ended.load(Ordering::Relaxed)
    }
}

/// What a socket's queue holds, shared by the bus (which adds) and the socket
/// (which takes).
#[derive(Debug, Default)]
pub struct Queue {
    pub(crate) bytes: AtomicUsize,
    /// Set before the bus lets go of a socket whose session ended.
    pub(crate) ended: AtomicBool,
}

impl Queue {
    /// Counts `frame` in, unless it would take the queue past [`SOCKET_BYTES`].
    pub(crate) fn room_for(&self, frame: &Frame) -> bool {
        let len = frame.text.len();
        let before = self.bytes.fetch_add(len, Ordering::Relaxed);
        if before.saturating_add(len) > SOCKET_BYTES {
            self.bytes.fetch_sub(len, Ordering::Relaxed);
            return false;
        }
        true
    }

    /// Counts `frame` out again (taken by the socket, or never queued).
    pub(crate) fn taken(&self, frame: &Frame) {
        self.bytes.fetch_sub(frame.text.len(), Ordering::Relaxed);
    }
}

/// An event as the text every socket it goes to is sent, and, for a chat's message
/// or the ack in its place, which step of the chat it is: a socket delivers each
/// chat's steps strictly in order and once, filling gaps from the database.
#[derive(Debug)]
pub struct Frame {
    pub text: Box<str>,
    pub step: Option<Step>,
}

/// Shared by every socket a frame goes to; a thin pointer, so an idle socket's queue
/// stays small.
pub type Shared = Arc<Frame>;

/// Message `seq` of `chat`: the message itself, or (`ack`) its sender's ack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub chat: ChatId,
    pub seq: i64,
    pub ack: bool,
}

/// A chat's committed message as the order stages of all nodes see it: `frame` for
/// each of `to`, or `None` for a number that has nothing to deliver.
#[derive(Debug, Clone)]
pub struct ChatMessage {
    pub chat: ChatId,
    pub seq: i64,
    pub to: Vec<UserId>,
    pub frame: Option<Shared>,
}

/// An event outside any chat's order, as the frame every socket it goes to shares.
pub fn frame(event: &ServerEvent) -> Shared {
    Arc::new(Frame {
        text: text(event),
        step: None,
    })
}

/// A chat's message (or its ack) as the frame every socket it goes to shares.
pub fn step_frame(event: &ServerEvent, step: Step) -> Shared {
    Arc::new(Frame {
        text: text(event),
        step: Some(step),
    })
}

/// A frame from text already serialized (an event from another node).
pub(crate) fn frame_of_text(text: &str, step: Option<Step>) -> Shared {
    Arc::new(Frame {
        text: text.into(),
        step,
    })
}

fn text(event: &ServerEvent) -> Box<str> {
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

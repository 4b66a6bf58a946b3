//! What this node does with an event from another node: a chat message goes to the
//! order stage, a frame to the user's sockets here, an ending to the sessions here.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::mpsc;

use super::super::{Bus, ChatMessage, LocalBus};
use super::wire::{self, Incoming};

/// The node that published an event, so it can skip its own echo (NATS is asked
/// not to send them back; this holds if it does anyway).
pub const NODE: &str = "Messgo-Node";

pub struct Intake {
    pub local: Arc<LocalBus>,
    /// Chat messages for this node's order stage.
    pub inbox: mpsc::Sender<ChatMessage>,
    /// This node's name in the `Messgo-Node` header.
    pub me: String,
    /// NATS messages taken in so far.
    pub received: AtomicU64,
}

impl Intake {
    pub fn take(&self, msg: &async_nats::Message) {
        self.received.fetch_add(1, Ordering::Relaxed);
        let sender = msg.headers.as_ref().and_then(|h| h.get(NODE));
        if sender.is_some_and(|n| n.as_str() == self.me) {
            return;
        }
        match wire::incoming(msg.subject.as_str(), &msg.payload) {
            Some(Incoming::Message(message)) => {
                if self.inbox.try_send(message).is_err() {
                    tracing::warn!("this node's order stage is behind; a message from another node was dropped");
                }
            }
            Some(Incoming::Frame(user, frame)) => self.local.publish(user, frame),
            Some(Incoming::End(user, ending)) => self.local.end_sessions(user, ending),
            None => tracing::warn!("a malformed event arrived over NATS; dropped"),
        }
    }
}

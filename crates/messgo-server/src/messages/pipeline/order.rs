//! The pipeline's "order" stage: each chat's messages go out in sequence order.
//!
//! Messages of one chat commit in sequence order, but not all on one task: batches
//! complete on the appender's task, while system messages (chats/) and messages
//! with attachments complete on their own, so they may reach this stage in any
//! order; with several nodes, a chat's messages commit on all of them. The
//! sequencer holds a message back until every earlier one of its chat has gone out
//! to this node's sockets, whichever node committed it: each node shares what it
//! commits with the others at once ([`Bus::share`]), and theirs arrive here
//! ([`Sequencer::arrive`]). A committed sequence number means every earlier one is
//! committed too (numbers are taken in the commit's transaction), so a hole waits
//! only for a message already on its way. One that does not come (a publisher that
//! failed between commit and fan-out, a bus outage) is given up on after a short
//! while; each socket then fills the gap from the database (`messages/feed.rs`).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use messgo_proto::{ChatId, UserId};

use tokio::sync::watch;

use crate::bus::{Bus, ChatMessage, Origin, Shared};
use crate::chats::sql as chat_sql;
use crate::clock::Clock;
use crate::store::Db;

/// How long a later message waits for an earlier one before going out anyway.
const HOLD_MS: i64 = 2_000;

/// The sender and the socket a message came from, which gets its ack in the
/// message's place.
pub type SentFrom = (UserId, Origin);

struct Pending {
    to: Vec<UserId>,
    frame: Option<Shared>,
    from: Option<SentFrom>,
    since: i64,
}

struct Queue {
    next: i64,
    pending: BTreeMap<i64, Pending>,
}

pub struct Sequencer {
    bus: Arc<dyn Bus>,
    clock: Arc<dyn Clock>,
    chats: Mutex<HashMap<ChatId, Queue>>,
    /// Holes given up on so far: each costs the sockets of its chat a read.
    given_up: AtomicU64,
}

impl Sequencer {
    pub fn new(bus: Arc<dyn Bus>, clock: Arc<dyn Clock>) -> Self {
        Sequencer {
            bus,
            clock,
            chats: Mutex::new(HashMap::new()),
            given_up: AtomicU64::new(0),
        }
    }

    /// How many holes in a chat's order were given up on since the start (a message
    /// that never reached this node's order stage in time).
    pub fn holes_given_up(&self) -> u64 {
        self.given_up.load(Ordering::Relaxed)
    }

    /// Whether the chat's next sequence number is known.
    pub fn tracks(&self, chat: ChatId) -> bool {
        self.chats
            .lock()
            .expect("sequencer lock")
            .contains_key(&chat)
    }

    /// Makes sure the chat's next sequence number is known before a write takes it
    /// (`who` must be a member for the chat to be read; otherwise the write that
    /// follows refuses anyway).
    pub async fn track(&self, db: &Db, who: UserId, chat: ChatId) {
        if !self.tracks(chat) {
            if let Ok(row) = db_run!(db, read, chat_sql::chat_for(who, chat)) {
                self.start(chat, row.seq + 1);
            }
        }
    }

    /// Starts tracking a chat whose next message will be `next` (read before the
    /// write that takes it, so no message can slip in first). Keeps what is known.
    pub fn start(&self, chat: ChatId, next: i64) {
        self.chats
            .lock()
            .expect("sequencer lock")
            .entry(chat)
            .or_insert(Queue {
                next,
                pending: BTreeMap::new(),
            });
    }

    /// Sends whatever waited too long for a hole to fill.
    pub fn flush_stale(&self) {
        let now = self.clock.now_ms();
        let mut chats = self.chats.lock().expect("sequencer lock");
        for queue in chats.values_mut() {
            while let Some((&first, p)) = queue.pending.first_key_value() {
                if first != queue.next && now - p.since <= HOLD_MS {
                    break;
                }
                if first != queue.next {
                    self.given_up.fetch_add(1, Ordering::Relaxed);
                }
                let p = queue.pending.remove(&first).expect("present");
                self.send(p);
                queue.next = first.saturating_add(1);
            }
        }
        // Idle chats are forgotten; they are re-read when they speak again.
        if chats.len() > 10_000 {
            chats.retain(|_, q| !q.pending.is_empty());
        }
    }

    /// Publishes `frame` for message `seq` (committed on this node) once all earlier
    /// messages of the chat went; the socket `from` names gets its own frame instead.
    pub fn publish(
        &self,
        chat: ChatId,
        seq: i64,
        to: Vec<UserId>,
        frame: Shared,
        from: Option<SentFrom>,
    ) {
        let message = ChatMessage {
            chat,
            seq,
            to,
            frame: Some(frame),
        };
        self.bus.share(&message);
        self.enqueue(message, from);
    }

    /// Marks `seq` as having nothing to publish, so later messages need not wait.
    pub fn skip(&self, chat: ChatId, seq: i64) {
        let message = ChatMessage {
            chat,
            seq,
            to: Vec::new(),
            frame: None,
        };
        self.bus.share(&message);
        self.enqueue(message, None);
    }

    /// Takes a message another node committed (and shared) into this node's order.
    pub fn arrive(&self, message: ChatMessage) {
        self.enqueue(message, None);
    }

    fn enqueue(&self, message: ChatMessage, from: Option<SentFrom>) {
        let ChatMessage {
            chat,
            seq,
            to,
            frame,
        } = message;
        let now = self.clock.now_ms();
        let pending = Pending {
            to,
            frame,
            from,
            since: now,
        };
        let mut chats = self.chats.lock().expect("sequencer lock");
        let queue = chats.entry(chat).or_insert(Queue {
            next: seq,
            pending: BTreeMap::new(),
        });
        if seq < queue.next {
            // Late (its hole was given up on): better out of order than never.
            self.send(pending);
            return;
        }
        queue.pending.insert(seq, pending);
        loop {
            if let Some(p) = queue.pending.remove(&queue.next) {
                self.send(p);
                queue.next = queue.next.saturating_add(1);
                continue;
            }
            // A hole: wait for it, unless the oldest waiting message waited too long.
            match queue.pending.first_key_value() {
                Some((&first, p)) if now - p.since > HOLD_MS => {
                    self.given_up.fetch_add(1, Ordering::Relaxed);
                    queue.next = first;
                }
                _ => break,
            }
        }
    }

    fn send(&self, p: Pending) {
        let Some(frame) = p.frame else {
            return;
        };
        for user in p.to {
            let origin = match &p.from {
                Some((sender, origin)) if *sender == user => Some(origin),
                _ => None,
            };
            self.bus.deliver(user, &frame, origin);
        }
    }
}

/// Feeds the messages other nodes commit into this node's order stage, for as long
/// as the bus hands them over.
pub fn take_shared(bus: &dyn Bus, order: Arc<Sequencer>) {
    if let Some(mut inbox) = bus.shared_with_us() {
        tokio::spawn(async move {
            while let Some(message) = inbox.recv().await {
                order.arrive(message);
            }
        });
    }
}

/// Lets held-back messages go once the hole before them is given up on: the
/// pipeline's timer, run beside the server until `stop`.
pub async fn flush_stale_holds(order: Arc<Sequencer>, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(500));
    loop {
        tokio::select! {
            _ = tick.tick() => order.flush_stale(),
            _ = stop.changed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::{frame_of_text, LocalBus, Subscription};
    use crate::clock::ManualClock;

    fn text(s: &str) -> Shared {
        frame_of_text(s, None)
    }

    async fn next(sub: &mut Subscription) -> String {
        sub.recv().await.unwrap().text.to_string()
    }

    /// A sequencer on a local bus with its clock, one chat, and one member's socket.
    fn one_chat() -> (Sequencer, Arc<ManualClock>, ChatId, UserId, Subscription) {
        let bus = Arc::new(LocalBus::new());
        let clock = Arc::new(ManualClock::new(0));
        let seq = Sequencer::new(bus.clone(), clock.clone());
        let user = UserId::random();
        let sub = bus.subscribe(user, messgo_proto::SessionId::random());
        (seq, clock, ChatId::random(), user, sub)
    }

    #[tokio::test]
    async fn holds_later_messages_until_earlier_ones_went() {
        let (seq, _clock, chat, user, mut sub) = one_chat();
        seq.publish(chat, 1, vec![user], text("1"), None);
        seq.publish(chat, 3, vec![user], text("3"), None);
        seq.publish(chat, 4, vec![user], text("4"), None);
        assert_eq!(next(&mut sub).await, "1");
        assert!(sub.try_recv().is_none(), "3 waits for 2");
        seq.publish(chat, 2, vec![user], text("2"), None);
        for want in ["2", "3", "4"] {
            assert_eq!(next(&mut sub).await, want);
        }
        seq.skip(chat, 5);
        seq.publish(chat, 6, vec![user], text("6"), None);
        assert_eq!(next(&mut sub).await, "6", "a skipped number does not block");
    }

    #[tokio::test]
    async fn a_hole_that_never_fills_is_given_up_on() {
        let (seq, clock, chat, user, mut sub) = one_chat();
        seq.publish(chat, 1, vec![user], text("1"), None);
        seq.publish(chat, 3, vec![user], text("3"), None);
        clock.advance(HOLD_MS + 1);
        seq.publish(chat, 4, vec![user], text("4"), None);
        for want in ["1", "3", "4"] {
            assert_eq!(next(&mut sub).await, want);
        }
        assert_eq!(seq.holes_given_up(), 1);
        seq.publish(chat, 2, vec![user], text("2"), None);
        assert_eq!(next(&mut sub).await, "2", "late, but delivered");
    }

    #[tokio::test]
    async fn another_nodes_message_fills_the_hole_it_left() {
        let (seq, _clock, chat, user, mut sub) = one_chat();
        seq.publish(chat, 1, vec![user], text("1"), None);
        seq.publish(chat, 3, vec![user], text("3"), None);
        assert_eq!(next(&mut sub).await, "1");
        assert!(sub.try_recv().is_none(), "3 waits for 2");
        seq.arrive(ChatMessage {
            chat,
            seq: 2,
            to: vec![user],
            frame: Some(text("2")),
        });
        for want in ["2", "3"] {
            assert_eq!(next(&mut sub).await, want);
        }
        assert_eq!(seq.holes_given_up(), 0);
    }
}

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
//!
//! Across nodes, a node hears a chat's messages only while one of their recipients
//! has a socket on it, and a small chat's message once for each such recipient
//! (`bus/nats/wire.rs`): the first copy goes out to all of them, the others are
//! dropped. When a node starts hearing a user, it reads where the user's chats stand
//! ([`Sequencer::rebase_for`]) before the user's socket opens, so the numbers it did
//! not hear before are not taken for holes.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use messgo_proto::{ChatId, UserId};
use std::collections::btree_map::Entry as Waiting;
use std::collections::hash_map::Entry;

use tokio::sync::watch;

use crate::bus::{Bus, ChatMessage, Origin, Shared};
use crate::chats::sql as chat_sql;
use crate::clock::Clock;
use crate::store::Db;

/// How long a later message waits for an earlier one before going out anyway.
const HOLD_MS: i64 = 2_000;
/// Chats known past which idle ones are forgotten (re-read when they speak again):
/// a node knows each chat of each user with a socket on it, about 100 bytes each.
const FORGET_PAST: usize = 250_000;

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
    /// Numbers from `base` up to `next` went out from here, so another copy of one
    /// is a duplicate. Below `base` a number may never have come (it was before this
    /// node heard the chat, or its hole was given up on): it goes out late.
    base: i64,
    pending: BTreeMap<i64, Pending>,
}

impl Queue {
    fn at(next: i64) -> Queue {
        Queue {
            next,
            base: next,
            pending: BTreeMap::new(),
        }
    }
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
            .or_insert(Queue::at(next));
    }

    /// Before a socket of `user` opens on a node that was not hearing the user's
    /// messages: where each of the user's chats stands, so the numbers this node did
    /// not hear are not taken for holes, and everything after it is in order (it is
    /// committed after this read, so published after the node started hearing it).
    pub async fn rebase_for(&self, db: &Db, user: UserId) {
        match db_run!(db, read, chat_sql::chat_seqs_of(user)) {
            Ok(chats) => {
                for (chat, seq) in chats {
                    self.rebase(ChatId(chat), seq.saturating_add(1));
                }
            }
            // The feed's gap detection still fills what this costs: a hole waits
            // out its hold, then the sockets read it.
            Err(e) => tracing::warn!(error = %e, "could not read where a user's chats stand"),
        }
    }

    /// Every message of `chat` before `next` is committed: those waiting go out now,
    /// the others, should they still come, late. Never moves a chat back.
    pub fn rebase(&self, chat: ChatId, next: i64) {
        let mut chats = self.chats.lock().expect("sequencer lock");
        let queue = match chats.entry(chat) {
            Entry::Vacant(v) => {
                v.insert(Queue::at(next));
                return;
            }
            Entry::Occupied(o) if o.get().next < next => o.into_mut(),
            Entry::Occupied(_) => return,
        };
        let later = queue.pending.split_off(&next);
        for (_, p) in std::mem::replace(&mut queue.pending, later) {
            self.send(p);
        }
        queue.next = next;
        queue.base = next;
        self.release(queue, self.clock.now_ms());
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
                    queue.base = first;
                }
                let p = queue.pending.remove(&first).expect("present");
                self.send(p);
                queue.next = first.saturating_add(1);
            }
        }
        // Idle chats are forgotten; they are re-read when they speak again.
        if chats.len() > FORGET_PAST {
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
        let queue = chats.entry(chat).or_insert(Queue::at(seq));
        if seq < queue.next {
            if seq < queue.base {
                // Late (its hole was given up on): better out of order than never.
                self.send(pending);
            }
            // Otherwise another copy of one that went out.
            return;
        }
        match queue.pending.entry(seq) {
            Waiting::Vacant(v) => {
                v.insert(pending);
            }
            // Another copy of one waiting.
            Waiting::Occupied(_) => return,
        }
        self.release(queue, now);
    }

    /// Sends what waited for the messages before it, and gives up on a hole whose
    /// next message waited too long.
    fn release(&self, queue: &mut Queue, now: i64) {
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
                    queue.base = first;
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
#[path = "order_tests.rs"]
mod tests;

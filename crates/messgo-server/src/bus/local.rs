use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use messgo_proto::{ServerEvent, SessionId, UserId};
use tokio::sync::mpsc;

use futures_util::future::BoxFuture;

use super::{
    frame, Bus, Counts, Ending, Origin, Queue, Shared, SocketId, Subscription, SOCKET_QUEUE,
};

/// One socket as the bus holds it.
struct Socket {
    id: u64,
    session: SessionId,
    tx: mpsc::Sender<Shared>,
    queue: Arc<Queue>,
}

impl Socket {
    /// Queues `frame`; false if the socket is gone or too far behind (by frames or
    /// by bytes), and should be let go.
    fn offer(&self, frame: Shared) -> bool {
        if !self.queue.room_for(&frame) {
            tracing::debug!(subscription = self.id, "slow socket dropped");
            return false;
        }
        match self.tx.try_send(frame) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(frame)) => {
                self.queue.taken(&frame);
                tracing::debug!(subscription = self.id, "slow socket dropped");
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }
}

type Senders = HashMap<UserId, Vec<Socket>>;

#[derive(Default)]
pub struct LocalBus {
    senders: Arc<Mutex<Senders>>,
    next_id: AtomicU64,
    /// Frames queued on sockets so far.
    queued: AtomicU64,
}

impl LocalBus {
    pub fn new() -> Self {
        Self::default()
    }

    /// Cuts every socket of this node off (they close with "reconnect and resync"),
    /// for when events may have been missed: each client then resumes from the
    /// database.
    pub fn cut_off_all(&self) {
        self.senders.lock().expect("bus lock").clear();
    }

    /// A feed for one socket of `session` on this node.
    pub fn subscribe(&self, user: UserId, session: SessionId) -> Subscription {
        let (tx, rx) = mpsc::channel(SOCKET_QUEUE);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let queue = Arc::new(Queue::default());
        self.senders
            .lock()
            .expect("bus lock")
            .entry(user)
            .or_default()
            .push(Socket {
                id,
                session,
                tx,
                queue: queue.clone(),
            });
        Subscription {
            id: SocketId(id),
            rx,
            queue,
            _guard: Box::new(Unsubscribe {
                senders: self.senders.clone(),
                user,
                id,
            }),
        }
    }

    /// Frames queued on this node's sockets so far.
    pub fn queued(&self) -> u64 {
        self.queued.load(Ordering::Relaxed)
    }

    /// Sockets open on this node now, everyone's.
    pub fn sockets(&self) -> u64 {
        let senders = self.senders.lock().expect("bus lock");
        senders.values().map(|list| list.len() as u64).sum()
    }

    /// Open subscriptions of `user` (for tests and metrics).
    pub fn subscribers(&self, user: UserId) -> usize {
        self.senders
            .lock()
            .expect("bus lock")
            .get(&user)
            .map_or(0, Vec::len)
    }
}

impl Bus for LocalBus {
    fn publish(&self, to: UserId, frame: Shared) {
        self.deliver(to, &frame, None);
    }

    /// Hands each socket of `to` its frame: `frame`, or `origin`'s for the socket
    /// `origin` names (a socket of another node is never named here).
    fn deliver(&self, to: UserId, frame: &Shared, origin: Option<&Origin>) {
        let mut senders = self.senders.lock().expect("bus lock");
        let Some(list) = senders.get_mut(&to) else {
            return;
        };
        let frame_for = |id: u64| match origin {
            Some(o) if o.socket.0 == id => o.frame.clone(),
            _ => frame.clone(),
        };
        // A full queue means the socket is not keeping up: drop it (it will
        // reconnect and resync) rather than block everyone else or skip silently.
        list.retain(|socket| socket.offer(frame_for(socket.id)));
        self.queued.fetch_add(list.len() as u64, Ordering::Relaxed);
        if list.is_empty() {
            senders.remove(&to);
        }
    }

    fn open(
        &self,
        user: UserId,
        session: SessionId,
        _first: BoxFuture<'static, ()>,
    ) -> BoxFuture<'_, Subscription> {
        // One node's order stage sees every message: nothing to learn first.
        Box::pin(std::future::ready(self.subscribe(user, session)))
    }

    fn counts(&self) -> Counts {
        Counts {
            queued: self.queued(),
            sockets: self.sockets(),
            ..Counts::default()
        }
    }

    fn end_sessions(&self, user: UserId, ending: Ending) {
        let mut senders = self.senders.lock().expect("bus lock");
        if let Some(list) = senders.get_mut(&user) {
            list.retain(|socket| {
                if ending.covers(socket.session) {
                    socket.queue.ended.store(true, Ordering::Relaxed);
                    // Best effort: a full queue is cut off all the same, and the
                    // socket's close says why.
                    socket.offer(frame(&ServerEvent::SessionEnded));
                    return false;
                }
                true
            });
            if list.is_empty() {
                senders.remove(&user);
            }
        }
    }
}

struct Unsubscribe {
    senders: Arc<Mutex<Senders>>,
    user: UserId,
    id: u64,
}

impl Drop for Unsubscribe {
    fn drop(&mut self) {
        let mut senders = self.senders.lock().expect("bus lock");
        if let Some(list) = senders.get_mut(&self.user) {
            list.retain(|socket| socket.id != self.id);
            if list.is_empty() {
                senders.remove(&self.user);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Shared {
        Arc::new(super::super::Frame {
            text: s.into(),
            step: None,
        })
    }

    async fn next(sub: &mut Subscription) -> String {
        sub.recv().await.unwrap().text.to_string()
    }

    #[tokio::test]
    async fn every_session_of_a_user_gets_each_frame() {
        let bus = LocalBus::new();
        let u = UserId::random();
        let mut a = bus.subscribe(u, SessionId::random());
        let mut b = bus.subscribe(u, SessionId::random());
        let mut other = bus.subscribe(UserId::random(), SessionId::random());
        bus.publish(u, text("x"));
        assert_eq!(next(&mut a).await, "x");
        assert_eq!(next(&mut b).await, "x");
        assert!(other.try_recv().is_none());
        drop(a);
        assert_eq!(bus.subscribers(u), 1);
    }

    #[tokio::test]
    async fn the_origin_socket_gets_its_own_frame_in_the_same_place() {
        let bus = LocalBus::new();
        let u = UserId::random();
        let mut sender = bus.subscribe(u, SessionId::random());
        let mut other_tab = bus.subscribe(u, SessionId::random());
        let origin = Origin {
            socket: sender.id,
            frame: text("ack"),
        };
        bus.publish(u, text("before"));
        bus.deliver(u, &text("message"), Some(&origin));
        bus.publish(u, text("after"));
        for want in ["before", "ack", "after"] {
            assert_eq!(next(&mut sender).await, want);
        }
        for want in ["before", "message", "after"] {
            assert_eq!(next(&mut other_tab).await, want);
        }
    }

    #[tokio::test]
    async fn ending_a_session_cuts_off_only_its_sockets() {
        let bus = LocalBus::new();
        let u = UserId::random();
        let (gone, stays) = (SessionId::random(), SessionId::random());
        let mut a = bus.subscribe(u, gone);
        let mut b = bus.subscribe(u, stays);
        bus.end_sessions(u, Ending::Only(gone));
        assert!(next(&mut a).await.contains("session.ended"));
        assert!(a.recv().await.is_none(), "then the feed ends");
        bus.publish(u, text("x"));
        assert_eq!(next(&mut b).await, "x");
    }

    #[tokio::test]
    async fn a_slow_subscriber_is_cut_off_not_starved_silently() {
        let bus = LocalBus::new();
        let u = UserId::random();
        let mut slow = bus.subscribe(u, SessionId::random());
        for i in 0..=SOCKET_QUEUE {
            bus.publish(u, text(&i.to_string()));
        }
        assert_eq!(bus.subscribers(u), 0, "dropped once its queue overflowed");
        let mut got = 0;
        while slow.recv().await.is_some() {
            got += 1;
        }
        assert_eq!(
            got, SOCKET_QUEUE,
            "what was queued still arrives, then the feed ends"
        );
        assert!(!slow.ended(), "too slow, not ended");
    }

    #[tokio::test]
    async fn a_socket_is_bounded_by_bytes_too() {
        let bus = LocalBus::new();
        let u = UserId::random();
        let mut slow = bus.subscribe(u, SessionId::random());
        let big = "x".repeat(100 * 1024);
        let fit = super::super::SOCKET_BYTES / big.len();
        for _ in 0..fit {
            bus.publish(u, text(&big));
        }
        assert_eq!(bus.subscribers(u), 1, "{fit} frames of 100 KiB fit");
        bus.publish(u, text(&big));
        assert_eq!(bus.subscribers(u), 0, "one more is past the bound");
        let mut got = 0;
        while slow.recv().await.is_some() {
            got += 1;
        }
        assert_eq!(got, fit);
        assert_eq!(
            slow.queue.bytes.load(Ordering::Relaxed),
            0,
            "all counted out"
        );
    }

    #[tokio::test]
    async fn a_feed_ended_with_its_session_says_so() {
        let bus = LocalBus::new();
        let u = UserId::random();
        let s = SessionId::random();
        let mut sub = bus.subscribe(u, s);
        bus.end_sessions(u, Ending::All);
        assert!(next(&mut sub).await.contains("session.ended"));
        assert!(sub.recv().await.is_none());
        assert!(sub.ended());
    }
}

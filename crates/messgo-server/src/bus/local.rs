use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use messgo_proto::{ServerEvent, SessionId, UserId};
use tokio::sync::mpsc;

use super::{frame, Bus, Ending, Origin, Shared, SocketId, Subscription, SOCKET_QUEUE};

type Senders = HashMap<UserId, Vec<(u64, SessionId, mpsc::Sender<Shared>)>>;

#[derive(Default)]
pub struct LocalBus {
    senders: Arc<Mutex<Senders>>,
    next_id: AtomicU64,
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
        list.retain(|(id, _, tx)| match tx.try_send(frame_for(*id)) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                tracing::debug!(subscription = id, "slow socket dropped");
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        });
        if list.is_empty() {
            senders.remove(&to);
        }
    }

    fn subscribe(&self, user: UserId, session: SessionId) -> Subscription {
        let (tx, rx) = mpsc::channel(SOCKET_QUEUE);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.senders
            .lock()
            .expect("bus lock")
            .entry(user)
            .or_default()
            .push((id, session, tx));
        Subscription {
            id: SocketId(id),
            rx,
            _guard: Box::new(Unsubscribe {
                senders: self.senders.clone(),
                user,
                id,
            }),
        }
    }

    fn end_sessions(&self, user: UserId, ending: Ending) {
        let mut senders = self.senders.lock().expect("bus lock");
        if let Some(list) = senders.get_mut(&user) {
            list.retain(|(_, session, tx)| {
                if ending.covers(*session) {
                    // Best effort: a full queue is cut off all the same.
                    let _ = tx.try_send(frame(&ServerEvent::SessionEnded));
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
            list.retain(|(id, _, _)| *id != self.id);
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
        sub.rx.recv().await.unwrap().text.to_string()
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
        assert!(other.rx.try_recv().is_err());
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
        assert!(a.rx.recv().await.is_none(), "then the feed ends");
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
        while slow.rx.recv().await.is_some() {
            got += 1;
        }
        assert_eq!(
            got, SOCKET_QUEUE,
            "what was queued still arrives, then the feed ends"
        );
    }
}

//! Which users' events this node hears: one NATS subscription per user with a socket
//! here, taken before that user's first socket opens and dropped with the last.
//!
//! NATS routes a subject to a connection once the server has seen its
//! subscription, which a flush (a ping answered after it) confirms. So a socket's
//! feed opens only after that: anything committed later is published later, and
//! reaches it. What was committed before, this node learns from the database (the
//! `first` step, the order stage's read) and each socket from its resume.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::StreamExt;
use messgo_proto::UserId;
use tokio::task::JoinHandle;

use super::intake::Intake;
use super::wire;

/// How long a socket waits for NATS to confirm its user's subscription. Past it the
/// socket opens all the same: NATS is not answering, and when it is back every
/// socket here is cut off to resync (`catch_up_after_outage`).
const CONFIRM_WAIT: Duration = Duration::from_secs(2);

pub struct Interests {
    client: async_nats::Client,
    intake: Arc<Intake>,
    /// Each present user's sockets (those holding the interest) and its subscription.
    users: Mutex<HashMap<UserId, (usize, Arc<Interest>)>>,
}

/// One user's subscription, set up by whichever socket comes first.
#[derive(Default)]
struct Interest {
    listening: tokio::sync::Mutex<Option<Listener>>,
}

/// The task that hands a user's events to the intake; ending it unsubscribes.
struct Listener(JoinHandle<()>);

impl Drop for Listener {
    fn drop(&mut self) {
        // Dropping the task drops its subscriber, which unsubscribes.
        self.0.abort();
    }
}

/// A socket's hold on its user's interest; the last one dropped ends it.
pub struct Hold {
    interests: Arc<Interests>,
    user: UserId,
    interest: Arc<Interest>,
}

impl Drop for Hold {
    fn drop(&mut self) {
        let mut users = self.interests.users.lock().expect("interests lock");
        if let Some((holders, interest)) = users.get_mut(&self.user) {
            if Arc::ptr_eq(interest, &self.interest) {
                *holders -= 1;
                if *holders == 0 {
                    users.remove(&self.user);
                }
            }
        }
    }
}

impl Interests {
    pub fn new(client: async_nats::Client, intake: Arc<Intake>) -> Arc<Interests> {
        Arc::new(Interests {
            client,
            intake,
            users: Mutex::new(HashMap::new()),
        })
    }

    /// Users whose events this node hears.
    pub fn present(&self) -> usize {
        self.users.lock().expect("interests lock").len()
    }

    /// Holds `user`'s interest for one socket, once NATS routes the user's events
    /// here; `first` runs after that when this node was not hearing them before.
    pub async fn hold(self: &Arc<Self>, user: UserId, first: BoxFuture<'static, ()>) -> Hold {
        let interest = {
            let mut users = self.users.lock().expect("interests lock");
            let (holders, interest) = users.entry(user).or_default();
            *holders += 1;
            interest.clone()
        };
        let hold = Hold {
            interests: self.clone(),
            user,
            interest: interest.clone(),
        };
        // Sockets of the same user wait for the first one's setup; if that socket
        // goes away midway, the next one does it.
        let mut listening = interest.listening.lock().await;
        if listening.is_none() {
            if let Some(listener) = self.listen(user).await {
                *listening = Some(listener);
                first.await;
            }
        }
        hold
    }

    async fn listen(&self, user: UserId) -> Option<Listener> {
        let mut events = match self.client.subscribe(wire::interest(user)).await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "could not subscribe to a user's events on NATS");
                return None;
            }
        };
        let intake = self.intake.clone();
        let listener = Listener(tokio::spawn(async move {
            while let Some(msg) = events.next().await {
                intake.take(&msg);
            }
        }));
        match tokio::time::timeout(CONFIRM_WAIT, self.client.flush()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "NATS did not confirm a subscription"),
            Err(_) => tracing::warn!("NATS did not confirm a subscription in time"),
        }
        Some(listener)
    }
}

//! A tab that reads chats the way the delivery promise is stated: each socket sends
//! each chat's messages one after another, with no gap, repeat or step back, and in
//! the end all of them.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use messgo_client::Client;
use messgo_proto::{MessageId, ResumePoints, ServerEvent};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::sync::watch;

pub struct Reader {
    pub client: Client,
    /// Where each chat starts (the tab has everything up to it); other chats are
    /// not checked.
    pub have: ResumePoints,
    /// Sockets dropped and reopened while messages flow, each after a random number
    /// of messages (`seed` picks them); none keeps one socket throughout.
    pub reconnects: usize,
    pub seed: u64,
}

/// What a reader saw: how often it reconnected while messages flowed, what it has
/// in the end, and when each message arrived.
pub struct Read {
    pub reconnects: usize,
    pub have: ResumePoints,
    pub arrived: HashMap<MessageId, Instant>,
}

impl Reader {
    /// Reads until `done` names the last message of each chat and the tab has them.
    pub async fn run(mut self, mut done: watch::Receiver<Option<ResumePoints>>) -> Read {
        let mut rng = StdRng::seed_from_u64(self.seed);
        let (mut reconnects, mut arrived) = (0, HashMap::new());
        loop {
            let mut socket = self.client.events_resuming(&self.have).await.unwrap();
            let mut budget = if reconnects < self.reconnects {
                rng.gen_range(1..40)
            } else {
                usize::MAX
            };
            while budget > 0 {
                if done.borrow().as_ref() == Some(&self.have) {
                    return Read {
                        reconnects,
                        have: self.have,
                        arrived,
                    };
                }
                let event = tokio::select! {
                    event = socket.next_within(Duration::from_secs(10)) => event.unwrap(),
                    // The last message may be here already: look again at what to wait for.
                    _ = done.changed() => continue,
                };
                let Some(event) = event else {
                    break; // cut off as too slow: resume like any client
                };
                let ServerEvent::Message { message } = event else {
                    continue;
                };
                let Some(had) = self.have.get_mut(&message.chat_id) else {
                    continue;
                };
                assert_eq!(
                    message.seq,
                    *had + 1,
                    "socket {reconnects} of tab {}: chat {} went from {had} to {}",
                    self.seed,
                    message.chat_id,
                    message.seq
                );
                *had = message.seq;
                arrived.insert(message.id, Instant::now());
                budget -= 1;
            }
            if done.borrow().is_none() {
                reconnects += 1;
            }
        }
    }
}

//! What the clients know: every message they sent, when, and what the server
//! answered. The read-back is judged against this and nothing else.

use std::collections::HashMap;
use std::time::Instant;

use messgo_proto::MessageId;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    /// On the wire, no answer yet (or the server died first).
    Sent,
    /// The server acknowledged it: it promised the message is durable, with this seq.
    Acked { seq: i64, at: Instant },
    /// Refused; not stored, so a later send of the same id is a first send.
    Nacked(String),
}

pub struct Entry {
    pub room: usize,
    /// Index of the sender in `People::people`.
    pub sender: usize,
    pub text: String,
    /// The sealed `send` frame, kept while unacknowledged: a client that never got
    /// an answer sends the very same bytes again after reconnecting.
    pub frame: String,
    /// When it last went on the wire.
    pub sent_at: Instant,
    pub state: State,
    /// The seq it was read back with, once it was.
    pub stored_seq: Option<i64>,
    /// Counted in a trial's totals already (acked and judged, or stored unacked).
    pub judged: bool,
    /// Counted as stored though unacknowledged already.
    pub counted_unacked: bool,
}

#[derive(Default)]
pub struct Ledger {
    pub entries: HashMap<MessageId, Entry>,
}

impl Ledger {
    pub fn sent(&mut self, id: MessageId, entry: Entry) {
        self.entries.insert(id, entry);
    }

    /// Marks a resend going out again now.
    pub fn resent(&mut self, id: MessageId) {
        if let Some(e) = self.entries.get_mut(&id) {
            e.sent_at = Instant::now();
            e.state = State::Sent;
        }
    }

    pub fn acked(&mut self, id: MessageId, seq: i64) {
        if let Some(e) = self.entries.get_mut(&id) {
            e.state = State::Acked {
                seq,
                at: Instant::now(),
            };
        }
    }

    pub fn nacked(&mut self, id: MessageId, code: String) {
        if let Some(e) = self.entries.get_mut(&id) {
            e.state = State::Nacked(code);
        }
    }

    /// The unanswered messages of `sender`, oldest first: what it sends again.
    pub fn pending(&self, sender: usize) -> Vec<(MessageId, String)> {
        let mut v: Vec<_> = self
            .entries
            .iter()
            .filter(|(_, e)| e.sender == sender && !matches!(e.state, State::Acked { .. }))
            .map(|(id, e)| (*id, e.frame.clone(), e.sent_at))
            .collect();
        v.sort_by_key(|x| x.2);
        v.into_iter().map(|(id, f, _)| (id, f)).collect()
    }
}

//! What a torn-write trial asserts once the server is up again on the cut files.
//!
//! A log cut short loses a suffix of its commits: the commit the cut falls in and
//! every later one. So the test does not ask that everything acknowledged is there
//! (acknowledged messages after the cut are lost by the cut itself: that is the
//! premise). It asks that what is there is a state the server really passed
//! through, and is whole:
//! - the server starts on the cut files, and every message it returns opens and
//!   verifies end to end, and is the text that was sent;
//! - each chat's seqs run 1, 2, 3… with no duplicate and no hole, and no message id
//!   or content is there twice; an acknowledged message that survived has its seq;
//! - what is lost is a suffix of the commit order: no message survived that was
//!   sent after an acknowledged message that is lost had been acknowledged (its
//!   commit came later in the log, so the cut must have taken it too);
//! - a cut that removed nothing lost nothing acknowledged;
//! - a cut of a message log segment (`<bucket>.seg`, cut anywhere: see `cut.rs`)
//!   leaves the database whole, so every acknowledged message is still there under
//!   its seq; those whose record the cut took are served as deleted (the flag set,
//!   no sealed parts), which is how the server serves a row without its record. They
//!   count as lost by the cut, and must be of the cut bucket and a suffix of its
//!   commit order (the suffix rule above, over that bucket's messages); nothing may
//!   be served as deleted after any other cut, the load deleting nothing;
//! - the server takes new messages again, each chat continuing after its last
//!   surviving seq, and they read back. Continuing right after it is not required:
//!   members may have received the lost messages before the cut, and a store that
//!   skips their seqs keeps those members' resume points meaningful.

use std::time::Instant;

use messgo_client::Keyring;
use serde::Serialize;

use super::check::{judge, read_room, Seen, Tally};
use super::cut::{seg_bucket, Cut};
use super::ledger::{Ledger, State};
use super::people::People;
use crate::bench::BenchError;

#[derive(Clone, Debug, Serialize)]
pub struct TornTrial {
    pub cut: Cut,
    /// Seconds from the load's start to the kill.
    pub kill_after_secs: f64,
    /// The start on the cut files failed: why (nothing else was checked).
    pub start_failed: Option<String>,
    pub restart_ms: f64,
    /// The read-back: `lost` here is what the cut took (not a failure).
    pub tally: Tally,
    /// Survivors sent after a lost message's ack: a hole in the commit order (for a
    /// segment's cut, among that bucket's messages).
    pub out_of_order: u64,
    /// Served as deleted, though the cut could not have taken their record (not a
    /// segment's cut, or another bucket's message).
    pub stray_deleted: u64,
    /// After a segment's cut: acknowledged, and not there at all (the database,
    /// which was not cut, must still have every row).
    pub vanished: u64,
    /// Chats that did not take a new message right after, after their last seq.
    pub not_writable: u64,
    pub secs: f64,
}

impl TornTrial {
    /// Every assertion above holds.
    pub fn holds(&self) -> bool {
        let t = &self.tally;
        self.start_failed.is_none()
            && t.duplicated + t.holes + t.corrupt + t.seq_mismatch + t.unknown + t.nacked_stored
                == 0
            && self.out_of_order + self.stray_deleted + self.vanished == 0
            && self.not_writable == 0
            && !(self.cut.is_noop() && t.lost + t.deleted > 0)
    }
}

/// Reads everything back after the restart and judges it (fills `tally`,
/// `out_of_order` and `not_writable`).
pub async fn judge_torn(
    people: &People,
    ledger: &mut Ledger,
    trial: &mut TornTrial,
) -> Result<(), BenchError> {
    let mut seen = Seen::new(people.rooms.len());
    let mut t = Tally::default();
    for r in 0..people.rooms.len() {
        let found = read_room(people, r, 0).await?;
        seen.take(r, &found, ledger, &mut t);
    }
    judge(ledger, &mut t);
    trial.tally = t;
    order(ledger, &seen, trial);
    for (r, room) in people.rooms.iter().enumerate() {
        let sender = &people.people[room.members[0]];
        let mut keys = Keyring::new(&sender.identity);
        let text = format!("after the cut {r} {}", uuid::Uuid::new_v4());
        let ack = keys
            .send_text(&sender.client, room.id, &text, now_ms())
            .await?;
        let back = read_room(people, r, seen.last_seq[r]).await?;
        let whole = ack.seq > seen.last_seq[r]
            && back.len() == 1
            && back[0].id == ack.id
            && back[0].text.as_ref().and_then(|t| t.as_ref().ok()) == Some(&text);
        trial.not_writable += u64::from(!whole);
    }
    Ok(())
}

/// Fills `out_of_order`, `stray_deleted` and `vanished` from what was read back.
fn order(ledger: &Ledger, seen: &Seen, trial: &mut TornTrial) {
    let cut = seg_bucket(&trial.cut.file);
    let in_scope = |id| cut.is_none() || seen.bucket.get(id) == cut.as_ref();
    trial.stray_deleted = seen.deleted.iter().filter(|id| !in_scope(id)).count() as u64;
    let acked_at = |e: &super::ledger::Entry| match e.state {
        State::Acked { at, .. } => Some(at),
        State::Sent | State::Nacked(_) => None,
    };
    let lost = || {
        ledger
            .entries
            .iter()
            .filter(|(_, e)| e.stored_seq.is_none())
            .filter_map(|(id, e)| acked_at(e).map(|at| (id, at)))
    };
    if cut.is_some() {
        trial.vanished = lost().filter(|(id, _)| !seen.deleted.contains(id)).count() as u64;
    }
    let first_lost_ack: Option<Instant> = lost().map(|(_, at)| at).min();
    trial.out_of_order = first_lost_ack.map_or(0, |lost| {
        ledger
            .entries
            .iter()
            .filter(|(id, e)| e.stored_seq.is_some() && e.sent_at > lost && in_scope(id))
            .count() as u64
    });
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

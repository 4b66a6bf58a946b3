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
    /// A trial of `cut`, killed `kill_after_secs` into its load, not judged yet.
    pub fn new(cut: Cut, kill_after_secs: f64) -> TornTrial {
        TornTrial {
            cut,
            kill_after_secs,
            start_failed: None,
            restart_ms: 0.0,
            tally: Tally::default(),
            out_of_order: 0,
            stray_deleted: 0,
            vanished: 0,
            not_writable: 0,
            secs: 0.0,
        }
    }

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
    // Of the cut segment's bucket (nothing is, when the cut was not a segment's).
    let of_cut = |id| cut.is_some() && seen.bucket.get(id) == cut.as_ref();
    trial.stray_deleted = seen.deleted.iter().filter(|id| !of_cut(id)).count() as u64;
    // Where the suffix rule applies: the cut bucket's messages, or all of them.
    let in_scope = |id| cut.is_none() || of_cut(id);
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use messgo_proto::MessageId;

    use super::super::ledger::Entry;
    use super::*;

    /// An acked message of bucket `bucket`, sent `at` ms in; stored whole, served as
    /// deleted, or not there.
    fn add(ledger: &mut Ledger, seen: &mut Seen, at: u64, bucket: u64, there: Option<bool>) {
        let id = MessageId::new_v7();
        let t0 = Instant::now() - Duration::from_secs(1);
        let sent_at = t0 + Duration::from_millis(at);
        let state = State::Acked {
            seq: 1,
            at: sent_at + Duration::from_millis(1),
        };
        let stored_seq = (there == Some(true)).then_some(1);
        let (room, sender, text, frame) = (0, 0, String::new(), String::new());
        let entry = Entry {
            room,
            sender,
            text,
            frame,
            sent_at,
            state,
            stored_seq,
            judged: true,
            counted_unacked: false,
        };
        ledger.entries.insert(id, entry);
        if there.is_some() {
            seen.bucket.insert(id, bucket);
        }
        if there == Some(false) {
            seen.deleted.insert(id);
        }
    }

    fn judged(file: &str, ledger: &Ledger, seen: &Seen) -> (u64, u64, u64) {
        let cut = Cut {
            file: file.to_string(),
            len: 10,
            floor: 0,
            at: 5,
        };
        let mut trial = TornTrial::new(cut, 0.0);
        order(ledger, seen, &mut trial);
        (trial.out_of_order, trial.stray_deleted, trial.vanished)
    }

    #[test]
    fn a_segment_cut_may_take_only_a_suffix_of_its_own_bucket() {
        let (mut ledger, mut seen) = (Ledger::default(), Seen::new(1));
        add(&mut ledger, &mut seen, 10, 7, Some(true));
        add(&mut ledger, &mut seen, 20, 7, Some(false));
        add(&mut ledger, &mut seen, 30, 8, Some(true));
        let seg = "messgo-log/7.seg";
        assert_eq!(
            judged(seg, &ledger, &seen),
            (0, 0, 0),
            "a suffix of bucket 7"
        );
        assert_eq!(
            judged("messgo.db-wal", &ledger, &seen),
            (1, 1, 0),
            "after a WAL cut nothing is served as deleted, and 8 came after"
        );
        assert_eq!(judged("messgo-log/8.seg", &ledger, &seen).1, 1);
        add(&mut ledger, &mut seen, 40, 7, Some(true));
        assert_eq!(judged(seg, &ledger, &seen), (1, 0, 0), "a hole in bucket 7");
        add(&mut ledger, &mut seen, 50, 7, None);
        assert_eq!(judged(seg, &ledger, &seen).2, 1, "a row gone");
    }
}

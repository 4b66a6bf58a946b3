//! Reading everything back after a restart, as a member would (history pages over
//! HTTP), opening and verifying every message end to end, and judging it against
//! the ledger.

use std::collections::{HashMap, HashSet};

use messgo_client::Keyring;
use messgo_proto::{MessageId, MessageKind};
use messgo_server::store::log::bucket_of;
use serde::Serialize;

use super::ledger::{Ledger, State};
use super::people::People;
use crate::bench::BenchError;

/// The history page size (the server's largest).
const PAGE: i64 = 200;

/// One stored message as read back.
pub struct Found {
    pub seq: i64,
    pub id: MessageId,
    /// The plaintext, if it opened and verified; `None` for system messages and
    /// deleted ones.
    pub text: Option<Result<String, String>>,
    /// Served as deleted: the flag set and no sealed parts.
    pub deleted: bool,
    /// Its message log bucket (from its expiry).
    pub bucket: u64,
}

/// Everything of room `r` after `after`, in seq order, each message opened with a
/// recipient's keys (the last member's: not the one who opened the epoch).
pub async fn read_room(people: &People, r: usize, after: i64) -> Result<Vec<Found>, BenchError> {
    let room = &people.rooms[r];
    let reader = &people.people[*room.members.last().unwrap_or(&room.members[0])];
    let chat = reader.client.chat(room.id).await?;
    let mut keys = Keyring::new(&reader.identity);
    let mut found = Vec::new();
    let mut cursor = after;
    loop {
        let page = reader
            .client
            .messages(room.id, None, Some(cursor), PAGE)
            .await?;
        let Some(last) = page.last() else { break };
        cursor = last.seq;
        for m in page {
            let sealed = m.nonce.is_some() || m.ciphertext.is_some() || m.signature.is_some();
            let text = match m.kind {
                MessageKind::Message if m.deleted && sealed => {
                    Some(Err("deleted, yet with its sealed parts".to_string()))
                }
                MessageKind::Message if m.deleted => None,
                MessageKind::Message => Some(
                    keys.open(&reader.client, &chat, &m)
                        .await
                        .map(|o| o.text)
                        .map_err(|e| e.to_string()),
                ),
                MessageKind::System | MessageKind::Reaction | MessageKind::Edit => None,
            };
            found.push(Found {
                seq: m.seq,
                id: m.id,
                deleted: m.deleted && !sealed,
                bucket: bucket_of(m.expires_at),
                text,
            });
        }
    }
    Ok(found)
}

/// What a read-back found, against what the clients were told.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Tally {
    /// Acknowledged to their sender (judged in this read-back).
    pub acked: u64,
    /// Acknowledged, and not there.
    pub lost: u64,
    /// The same id, the same content or the same seq more than once.
    pub duplicated: u64,
    /// There, though the sender never saw its ack (fine: the server died between
    /// the commit and the ack). Sent again later, it must keep its seq.
    pub unacked_stored: u64,
    /// There, but under another seq than the ack said.
    pub seq_mismatch: u64,
    /// A seq missing between two that are there.
    pub holes: u64,
    /// Did not open or verify, or opened to another text than was sent.
    pub corrupt: u64,
    /// Refused with a nack, yet stored.
    pub nacked_stored: u64,
    /// Nobody sent it.
    pub unknown: u64,
    /// There under its seq, but served as deleted, without its sealed parts (which
    /// the load never asks for): the message log lost its record. Acked ones are
    /// counted in `lost` too.
    pub deleted: u64,
}

impl Tally {
    pub fn add(&mut self, o: &Tally) {
        self.acked += o.acked;
        self.lost += o.lost;
        self.duplicated += o.duplicated;
        self.unacked_stored += o.unacked_stored;
        self.seq_mismatch += o.seq_mismatch;
        self.holes += o.holes;
        self.corrupt += o.corrupt;
        self.nacked_stored += o.nacked_stored;
        self.unknown += o.unknown;
        self.deleted += o.deleted;
    }

    /// Nothing the server promised was broken.
    pub fn clean(&self) -> bool {
        self.lost + self.duplicated + self.seq_mismatch + self.holes + self.corrupt == 0
            && self.nacked_stored + self.unknown + self.deleted == 0
    }
}

/// What has been read back so far, across read-backs of one data directory.
#[derive(Default)]
pub struct Seen {
    /// Per room, the last seq read.
    pub last_seq: Vec<i64>,
    ids: HashSet<MessageId>,
    texts: HashSet<String>,
    /// Every message taken in, with its log bucket.
    pub bucket: HashMap<MessageId, u64>,
    /// The messages served as deleted.
    pub deleted: HashSet<MessageId>,
}

impl Seen {
    pub fn new(rooms: usize) -> Seen {
        Seen {
            last_seq: vec![0; rooms],
            ..Seen::default()
        }
    }

    /// Takes in room `r`'s newly read messages: order, duplicates, integrity, and
    /// each one's stored seq into the ledger.
    pub fn take(&mut self, r: usize, found: &[Found], ledger: &mut Ledger, t: &mut Tally) {
        for f in found {
            let prev = self.last_seq[r];
            if f.seq <= prev {
                t.duplicated += 1;
                continue;
            }
            t.holes += u64::try_from(f.seq - prev - 1).unwrap_or(0);
            self.last_seq[r] = f.seq;
            self.bucket.insert(f.id, f.bucket);
            if f.deleted {
                self.take_deleted(f, ledger, t);
                continue;
            }
            let Some(text) = &f.text else { continue };
            let Ok(text) = text else {
                t.corrupt += 1;
                continue;
            };
            if !self.ids.insert(f.id) || !self.texts.insert(text.clone()) {
                t.duplicated += 1;
                continue;
            }
            match ledger.entries.get_mut(&f.id) {
                None => t.unknown += 1,
                Some(e) if e.text != *text || e.room != r => t.corrupt += 1,
                Some(e) => e.stored_seq = Some(f.seq),
            }
        }
    }
}

impl Seen {
    /// A message served as deleted: counted, and checked to be one that was sent,
    /// under its ack's seq; it is not stored (an acked one is lost).
    fn take_deleted(&mut self, f: &Found, ledger: &Ledger, t: &mut Tally) {
        t.deleted += 1;
        if !self.deleted.insert(f.id) {
            t.duplicated += 1;
            return;
        }
        match ledger.entries.get(&f.id).map(|e| &e.state) {
            None => t.unknown += 1,
            Some(State::Acked { seq, .. }) if *seq != f.seq => t.seq_mismatch += 1,
            Some(_) => {}
        }
    }
}

/// Judges every entry not judged yet, once everything stored has been taken in:
/// acked ones are there with their seq or lost; unacked ones that are there are
/// counted (once) and stay pending, to be sent again.
pub fn judge(ledger: &mut Ledger, t: &mut Tally) {
    for e in ledger.entries.values_mut().filter(|e| !e.judged) {
        match (&e.state, e.stored_seq) {
            (State::Acked { seq, .. }, stored) => {
                t.acked += 1;
                match stored {
                    None => t.lost += 1,
                    Some(s) if s != *seq => t.seq_mismatch += 1,
                    Some(_) => {}
                }
                e.judged = true;
                // Never sent again: the frame is no longer needed.
                e.frame = String::new();
            }
            (State::Nacked(_), Some(_)) => {
                t.nacked_stored += 1;
                e.judged = true;
            }
            (State::Sent, Some(_)) => {
                // Counted once; it stays pending, and its ack when it is sent again
                // is judged like any other.
                if !e.counted_unacked {
                    t.unacked_stored += 1;
                    e.counted_unacked = true;
                }
            }
            (State::Sent | State::Nacked(_), None) => {}
        }
    }
}

/// The last check of a data directory: everything read again from the start of
/// every chat. Whatever was there after an earlier crash must still be there, under
/// the same seq (`lost` and `seq_mismatch` here count what a later crash undid).
pub async fn read_all_again(people: &People, ledger: &mut Ledger) -> Result<Tally, BenchError> {
    let before: Vec<(MessageId, i64)> = ledger
        .entries
        .iter_mut()
        .filter_map(|(id, e)| e.stored_seq.take().map(|s| (*id, s)))
        .collect();
    let mut seen = Seen::new(people.rooms.len());
    let mut t = Tally::default();
    for r in 0..people.rooms.len() {
        let found = read_room(people, r, 0).await?;
        seen.take(r, &found, ledger, &mut t);
    }
    for (id, seq) in before {
        t.acked += 1;
        match ledger.entries.get(&id).and_then(|e| e.stored_seq) {
            None => t.lost += 1,
            Some(now) if now != seq => t.seq_mismatch += 1,
            Some(_) => {}
        }
    }
    Ok(t)
}

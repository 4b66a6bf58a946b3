//! The log's index, in memory: where each chat's messages are by sequence number,
//! and which chat and number each message id has (a resend finds its first copy).
//! Built from the segments at start; nothing of it is written anywhere.

use std::collections::{BTreeMap, HashMap};
use std::ops::RangeBounds;

use uuid::Uuid;

use super::record::LogRow;
use super::segment::Loc;

/// foldhash, not SipHash: a quarter of a commit's time was hashing ids. It is
/// seeded per process, so ids chosen by clients cannot be aimed at one bucket.
type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

#[derive(Default)]
pub struct Index {
    chats: Map<Uuid, BTreeMap<i64, Loc>>,
    ids: Map<Uuid, (Uuid, i64)>,
    /// What each bucket holds, to forget it when the bucket goes.
    buckets: Map<u64, Vec<(Uuid, i64, Uuid)>>,
    /// Each chat's highest sequence number ever indexed (kept when its messages go,
    /// so numbers are never given twice).
    last: Map<Uuid, i64>,
}

impl Index {
    pub fn insert(&mut self, loc: Loc, row: &LogRow) {
        self.chats
            .entry(row.chat_id)
            .or_default()
            .insert(row.seq, loc);
        self.ids.insert(row.id, (row.chat_id, row.seq));
        self.buckets
            .entry(loc.bucket)
            .or_default()
            .push((row.chat_id, row.seq, row.id));
        let last = self.last.entry(row.chat_id).or_default();
        *last = (*last).max(row.seq);
    }

    pub fn by_id(&self, id: Uuid) -> Option<(Uuid, i64, Loc)> {
        let &(chat, seq) = self.ids.get(&id)?;
        Some((chat, seq, *self.chats.get(&chat)?.get(&seq)?))
    }

    /// The places of `chat`'s messages with numbers in `range`, in order (newest
    /// first if `back`).
    pub fn range(
        &self,
        chat: Uuid,
        range: impl RangeBounds<i64>,
        back: bool,
    ) -> Box<dyn Iterator<Item = Loc> + '_> {
        match self.chats.get(&chat) {
            None => Box::new(std::iter::empty()),
            Some(m) if back => Box::new(m.range(range).rev().map(|(_, &l)| l)),
            Some(m) => Box::new(m.range(range).map(|(_, &l)| l)),
        }
    }

    /// The highest number `chat` has had in the log (0 if none).
    pub fn last_seq(&self, chat: Uuid) -> i64 {
        self.last.get(&chat).copied().unwrap_or(0)
    }

    /// Every chat's highest number.
    pub fn last_seqs(&self) -> &Map<Uuid, i64> {
        &self.last
    }

    /// Forgets everything `bucket` held.
    pub fn forget_bucket(&mut self, bucket: u64) {
        for (chat, seq, id) in self.buckets.remove(&bucket).unwrap_or_default() {
            self.ids.remove(&id);
            if let Some(m) = self.chats.get_mut(&chat) {
                m.remove(&seq);
                if m.is_empty() {
                    self.chats.remove(&chat);
                }
            }
        }
    }

    /// Messages indexed.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

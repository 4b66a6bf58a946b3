//! The log's index, in memory: where each chat's messages are by sequence number.
//! Built from the segments at start; nothing of it is written anywhere. Message ids
//! are the database's to look up (its unique index), so the log keeps none.

use std::collections::{BTreeMap, HashMap};
use std::ops::RangeBounds;

use uuid::Uuid;

use super::record::LogRow;
use super::segment::Loc;

/// foldhash, not SipHash: a quarter of a commit's time was hashing ids. It is
/// seeded per process, so ids chosen by clients cannot be aimed at one bucket.
type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// One indexed record: where it is, when it was written and whether it is a
/// tombstone (of two records for one number, see [`Index::insert`]).
#[derive(Debug, Clone, Copy)]
struct Entry {
    loc: Loc,
    created_at: i64,
    deleted: bool,
}

impl Entry {
    /// Whether this record holds over `other` for the same number: a live message
    /// over a tombstone (what a start erased of a commit cut short), then the later.
    fn beats(&self, other: &Entry) -> bool {
        (!self.deleted, self.created_at) >= (!other.deleted, other.created_at)
    }
}

#[derive(Default)]
pub struct Index {
    chats: Map<Uuid, BTreeMap<i64, Entry>>,
    /// What each bucket holds, to forget it when the bucket goes.
    buckets: Map<u64, Vec<(Uuid, i64)>>,
    /// Each chat's highest sequence number ever indexed (kept when its messages go,
    /// so numbers are never given twice).
    last: Map<Uuid, i64>,
    len: usize,
}

impl Index {
    /// Indexes `row` at `loc`. A number can be written twice: a commit the database
    /// never took leaves its records in the log (erased at the next start, or right
    /// away if the database refused it), and the number goes to the next message.
    /// The live record holds, then the later one (a start reads buckets in their
    /// order, not the order they were written in, so "later" is the row's time).
    pub fn insert(&mut self, loc: Loc, row: &LogRow) {
        let entry = Entry {
            loc,
            created_at: row.created_at,
            deleted: row.deleted,
        };
        let chat = self.chats.entry(row.chat_id).or_default();
        match chat.get_mut(&row.seq) {
            Some(old) if !entry.beats(old) => return,
            Some(old) => *old = entry,
            None => {
                chat.insert(row.seq, entry);
                self.len += 1;
            }
        }
        self.buckets
            .entry(loc.bucket)
            .or_default()
            .push((row.chat_id, row.seq));
        let last = self.last.entry(row.chat_id).or_default();
        *last = (*last).max(row.seq);
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
            Some(m) if back => Box::new(m.range(range).rev().map(|(_, e)| e.loc)),
            Some(m) => Box::new(m.range(range).map(|(_, e)| e.loc)),
        }
    }

    /// Where message `seq` of `chat` is.
    pub fn get(&self, chat: Uuid, seq: i64) -> Option<Loc> {
        Some(self.chats.get(&chat)?.get(&seq)?.loc)
    }

    /// The numbers of `chat`'s messages in the log.
    pub fn seqs(&self, chat: Uuid) -> Vec<i64> {
        self.chats
            .get(&chat)
            .map(|m| m.keys().copied().collect())
            .unwrap_or_default()
    }

    /// The highest number `chat` has had in the log (0 if none).
    pub fn last_seq(&self, chat: Uuid) -> i64 {
        self.last.get(&chat).copied().unwrap_or(0)
    }

    /// Every chat's highest number.
    pub fn last_seqs(&self) -> &Map<Uuid, i64> {
        &self.last
    }

    /// Forgets everything `bucket` held (a number rewritten into another bucket
    /// stays).
    pub fn forget_bucket(&mut self, bucket: u64) {
        for (chat, seq) in self.buckets.remove(&bucket).unwrap_or_default() {
            if let Some(m) = self.chats.get_mut(&chat) {
                if m.get(&seq).is_some_and(|e| e.loc.bucket == bucket) {
                    m.remove(&seq);
                    self.len -= 1;
                }
                if m.is_empty() {
                    self.chats.remove(&chat);
                }
            }
        }
    }

    /// Messages indexed.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::super::record::tests::row;
    use super::*;

    fn at(bucket: u64) -> Loc {
        Loc {
            bucket,
            offset: 0,
            len: 1,
        }
    }

    #[test]
    fn of_two_records_for_one_number_the_later_holds_whatever_the_buckets_order() {
        let chat = Uuid::new_v4();
        let early = LogRow {
            chat_id: chat,
            created_at: 10,
            ..row(5)
        };
        let late = LogRow {
            created_at: 20,
            ..early.clone()
        };
        // The later record is in the earlier bucket (the chat's timer shortened),
        // so a start reads it first.
        let mut index = Index::default();
        index.insert(at(3), &late);
        index.insert(at(9), &early);
        assert_eq!(index.get(chat, 5), Some(at(3)));
        assert_eq!(index.len(), 1);
        index.forget_bucket(9);
        assert_eq!(
            index.get(chat, 5),
            Some(at(3)),
            "the rolled-back one's bucket goes, the number stays"
        );
        let stone = LogRow {
            created_at: 30,
            ..late.tombstone()
        };
        index.insert(at(4), &stone);
        assert_eq!(
            index.get(chat, 5),
            Some(at(3)),
            "a live record over a later tombstone"
        );
        index.forget_bucket(3);
        assert!(index.is_empty());
        assert_eq!(index.last_seq(chat), 5, "numbers are never given twice");
    }
}

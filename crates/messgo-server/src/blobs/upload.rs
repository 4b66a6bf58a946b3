//! One upload under way: its bytes are sealed and stored a few chunks at a time as
//! they arrive, so memory holds at most [`FLUSH_CHUNKS`] chunks per upload; its row
//! in the main database is written last, when everything is stored. An upload that
//! does not finish deletes what it stored.

use std::sync::Arc;

use messgo_proto::{BlobId, BlobUploaded, ChatId, UserId};

use super::seal::{StoreKey, CHUNK};
use super::{chunks_sql, sql, Chunks, UnderWay, UploadLimits};
use crate::service::{rule, Limit, ServiceError, ServiceResult};
use crate::store::Db;

/// Chunks sealed and written together: a few, so a 10 MiB upload is 40 writes of
/// the attachments' store (each durable, with its own disk sync), not 160.
pub(super) const FLUSH_CHUNKS: usize = 4;

/// Where an upload goes and what it may take.
pub(super) struct Target {
    pub id: BlobId,
    pub chat: ChatId,
    pub user: UserId,
    /// Bytes the quota leaves this upload.
    pub room: u64,
    pub limits: UploadLimits,
    pub db: Db,
    pub chunks: Chunks,
    pub now: i64,
    pub expires_at: i64,
    /// Held until the upload ends, for the limit on uploads at once.
    pub _slot: Slot,
}

pub struct Upload {
    t: Target,
    key: StoreKey,
    pending: Vec<u8>,
    /// Chunks stored so far.
    stored: u32,
    size: u64,
    started: bool,
    finished: bool,
}

impl Upload {
    pub(super) fn new(t: Target) -> Self {
        Upload {
            t,
            key: StoreKey::random(),
            pending: Vec::new(),
            stored: 0,
            size: 0,
            started: false,
            finished: false,
        }
    }

    /// Takes the next bytes of the upload, storing full chunks as they fill.
    pub async fn push(&mut self, bytes: &[u8]) -> ServiceResult<()> {
        self.size += bytes.len() as u64;
        if self.size > self.t.limits.max_bytes {
            return Err(ServiceError::OverLimit(Limit::AttachmentSize(
                self.t.limits.max_bytes,
            )));
        }
        if self.size > self.t.room {
            return Err(ServiceError::OverLimit(Limit::Quota(
                self.t.limits.quota_bytes,
            )));
        }
        // A frame may be larger than the rest of a batch: taken a batch at a time, so
        // what is held never passes one batch.
        let mut rest = bytes;
        while !rest.is_empty() {
            let room = FLUSH_CHUNKS * CHUNK - self.pending.len();
            let (now, later) = rest.split_at(room.min(rest.len()));
            self.pending.extend_from_slice(now);
            rest = later;
            if self.pending.len() >= FLUSH_CHUNKS * CHUNK {
                self.store(false).await?;
            }
        }
        Ok(())
    }

    /// Seals and stores the pending whole chunks (and, at the end, the last part).
    async fn store(&mut self, last: bool) -> ServiceResult<()> {
        let whole = if last {
            self.pending.len()
        } else {
            self.pending.len() / CHUNK * CHUNK
        };
        if whole == 0 {
            return Ok(());
        }
        let (id, store, now) = (self.t.id, self.t.chunks.store.clone(), self.t.now);
        if !self.started {
            db_run!(store, write, chunks_sql::start_blob(id, now)).map_err(rule)?;
            self.started = true;
        }
        let first = self.stored;
        let sealed: Vec<Vec<u8>> = (first..)
            .zip(self.pending[..whole].chunks(CHUNK))
            .map(|(idx, part)| self.key.seal(id, idx, part))
            .collect();
        self.stored += u32::try_from(sealed.len()).unwrap_or(u32::MAX);
        self.pending.drain(..whole);
        db_run!(store, write, chunks_sql::put_chunks(id, first, sealed)).map_err(rule)
    }

    /// Stores the rest and the blob's row (the uploader still a member), then marks
    /// it finished.
    pub async fn finish(mut self) -> ServiceResult<BlobUploaded> {
        if self.size == 0 {
            return Err(ServiceError::InvalidField {
                field: "body",
                problem: "is empty",
            });
        }
        self.store(true).await?;
        let t = &self.t;
        let row = sql::NewBlob {
            id: t.id,
            chat: t.chat,
            uploader: t.user,
            size: i64::try_from(self.size).unwrap_or(i64::MAX),
            store_key: self.key.0.to_vec(),
            now: t.now,
            expires_at: t.expires_at,
            pending: false,
        };
        db_run!(t.db, write, sql::insert_blob(row)).map_err(rule)?;
        // From here the row owns the chunks: deleting it deletes them.
        self.finished = true;
        let (store, id) = (t.chunks.store.clone(), t.id);
        if let Err(e) = db_run!(store, write, chunks_sql::complete_blob(id)) {
            // The collector marks it when it finds the row.
            tracing::warn!(error = %e, "marking an upload finished failed");
        }
        Ok(BlobUploaded {
            id: t.id,
            size: i64::try_from(self.size).unwrap_or(i64::MAX),
            expires_at: t.expires_at,
        })
    }
}

impl Drop for Upload {
    /// An upload that did not finish (refused, broken off, timed out) deletes the
    /// chunks it stored.
    fn drop(&mut self) {
        if self.started && !self.finished {
            let (store, id) = (self.t.chunks.store.clone(), self.t.id);
            tokio::spawn(async move {
                if let Err(e) = db_run!(store, write, chunks_sql::delete_blobs(vec![id])) {
                    tracing::warn!(error = %e, "deleting an unfinished upload failed; the collector retries");
                }
            });
        }
    }
}

/// How many one-shot uploads `user` has under way on this node, and how many bytes
/// they may still store.
pub(super) fn under_way_of(under_way: &UnderWay, user: UserId) -> (usize, u64) {
    let map = under_way.lock().expect("uploads lock");
    map.get(&user).map_or((0, 0), |mine| {
        (mine.len(), mine.iter().map(|(_, n)| n).sum())
    })
}

/// An account's place among its uploads under way; given back when dropped.
pub(super) struct Slot {
    under_way: UnderWay,
    user: UserId,
    id: BlobId,
}

impl Slot {
    /// Takes one of `user`'s `at_once` places (`pending` are taken by resumable
    /// uploads), or refuses.
    pub fn take(
        under_way: &UnderWay,
        user: UserId,
        id: BlobId,
        pending: usize,
        at_once: usize,
    ) -> ServiceResult<Slot> {
        let mut map = under_way.lock().expect("uploads lock");
        let mine = map.entry(user).or_default();
        if mine.len().saturating_add(pending) >= at_once {
            if mine.is_empty() {
                map.remove(&user);
            }
            return Err(ServiceError::OverLimit(Limit::UploadsAtOnce(at_once)));
        }
        mine.push((id, 0));
        Ok(Slot {
            under_way: Arc::clone(under_way),
            user,
            id,
        })
    }

    /// Bytes the account's other uploads under way may still store.
    pub fn others_may_take(&self) -> u64 {
        let map = self.under_way.lock().expect("uploads lock");
        map.get(&self.user).map_or(0, |mine| {
            mine.iter()
                .filter(|(id, _)| *id != self.id)
                .map(|(_, n)| n)
                .sum()
        })
    }

    /// Notes how many bytes this upload may store, for the others' quota.
    pub fn may_take(&self, bytes: u64) {
        let mut map = self.under_way.lock().expect("uploads lock");
        if let Some(mine) = map.get_mut(&self.user) {
            for entry in mine.iter_mut().filter(|(id, _)| *id == self.id) {
                entry.1 = bytes;
            }
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut map = self.under_way.lock().expect("uploads lock");
        if let Some(mine) = map.get_mut(&self.user) {
            mine.retain(|(id, _)| *id != self.id);
            if mine.is_empty() {
                map.remove(&self.user);
            }
        }
    }
}

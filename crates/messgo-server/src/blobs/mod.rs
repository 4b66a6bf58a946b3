//! Encrypted attachments: the server stores bytes it cannot read, for members only.
//!
//! A blob's row (chat, uploader, size, expiry, at-rest key) lives in the main
//! database with everything else; its bytes are sealed 64 KiB chunks in the
//! attachments' own store (`chunks_sql.rs`, `seal.rs`), written as they arrive and
//! read one at a time as the answer is sent, so neither an upload nor a download
//! holds a whole file in memory. Every deleted row leaves its id in a graveyard
//! (a trigger, so no deleting path has to know), and [`Chunks::collect`] deletes
//! those blobs' chunks.

pub mod chunks_sql;
mod resumable;
pub mod seal;
pub mod sql;
mod upload;
pub mod uploads_sql;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use messgo_proto::{BlobId, ChatId, UserId};

use crate::chats::sql as chat_sql;
use crate::clock::Clock;
use crate::config::Config;
use crate::ratelimit::RateLimiter;
use crate::service::{rule, Limit, ServiceError, ServiceResult};
use crate::sessions::AuthContext;
use crate::store::Db;
pub use resumable::{Piece, PieceError};
use seal::StoreKey;
pub use upload::Upload;

/// An upload no message has taken is deleted after this long.
const UNCLAIMED_BLOB_MS: i64 = 3_600_000;
/// An upload must finish within this long of its start; an unfinished one older
/// than [`UNFINISHED_KEPT_MS`] is deleted (its upload cannot still be going on).
pub const UPLOAD_LIFETIME: std::time::Duration = std::time::Duration::from_secs(30 * 60);
const UNFINISHED_KEPT_MS: i64 = 3_600_000;
/// Blobs whose chunks are deleted per round of [`Chunks::collect`].
const COLLECT_BATCH: i64 = 256;

/// What an operator limits about uploads.
#[derive(Debug, Clone, Copy)]
pub struct UploadLimits {
    pub max_bytes: u64,
    pub quota_bytes: u64,
    pub at_once: usize,
    pub per_hour: u32,
}

/// Uploads under way per account: how many, and how many bytes each may still take.
type UnderWay = Arc<Mutex<HashMap<UserId, Vec<(BlobId, u64)>>>>;

pub struct Blobs {
    db: Db,
    chunks: Chunks,
    clock: Arc<dyn Clock>,
    retention_ms: i64,
    limits: UploadLimits,
    per_hour: RateLimiter,
    under_way: UnderWay,
    /// Resumable uploads with a piece under way on this node.
    patching: resumable::Patching,
    /// Downloads being sent now (a reader lives as long as its answer).
    reading: Arc<AtomicUsize>,
}

impl Blobs {
    pub fn new(
        db: Db,
        chunks: Chunks,
        clock: Arc<dyn Clock>,
        config: &Config,
        metrics: &crate::metrics::Metrics,
    ) -> Self {
        Blobs {
            db,
            chunks,
            per_hour: RateLimiter::new(config.uploads_per_hour, 3_600_000, clock.clone())
                .counting(metrics, crate::metrics::Refused::Uploads),
            clock,
            retention_ms: crate::clock::millis(config.retention),
            limits: UploadLimits {
                max_bytes: u64::try_from(config.max_blob_bytes).unwrap_or(u64::MAX),
                quota_bytes: config.upload_quota_bytes,
                at_once: config.uploads_at_once,
                per_hour: config.uploads_per_hour,
            },
            under_way: UnderWay::default(),
            patching: resumable::Patching::default(),
            reading: Arc::default(),
        }
    }

    /// How many downloads are being sent now.
    pub fn downloads_under_way(&self) -> usize {
        self.reading.load(Ordering::Relaxed)
    }

    pub fn limits(&self) -> UploadLimits {
        self.limits
    }

    /// Counts an upload started against `--uploads-per-hour`.
    fn hit_per_hour(&self, user: UserId) -> ServiceResult<()> {
        self.per_hour.hit(&user.to_string()).map_err(|after| {
            ServiceError::OverLimit(Limit::UploadsPerHour(self.limits.per_hour, after.0))
        })
    }

    /// How long an upload no message has taken lives after its last stored piece.
    fn unclaimed_ms(&self) -> i64 {
        UNCLAIMED_BLOB_MS.min(self.retention_ms)
    }

    /// Starts an upload of `declared` bytes (if the client said) into a chat you are
    /// in, before a byte of it is read: refused if you are not a member, have
    /// [`UploadLimits::at_once`] uploads under way, have uploaded too much this hour,
    /// or it would take you past your quota. It lives an hour unless a message takes
    /// it.
    pub async fn start_upload(
        &self,
        who: AuthContext,
        chat: ChatId,
        declared: Option<u64>,
    ) -> ServiceResult<Upload> {
        let user = who.user_id;
        let id = BlobId::random();
        let now = self.clock.now_ms();
        // Resumable uploads not yet complete are under way too, on any node.
        let pending = db_run!(self.db, read, uploads_sql::pending_of(user, now)).map_err(rule)?;
        let pending = usize::try_from(pending).unwrap_or(usize::MAX);
        let slot = upload::Slot::take(&self.under_way, user, id, pending, self.limits.at_once)?;
        db_run!(self.db, read, chat_sql::chat_for(user, chat)).map_err(rule)?;
        self.hit_per_hour(user)?;
        let stored = db_run!(self.db, read, sql::stored_by(user, now)).map_err(rule)?;
        let stored = u64::try_from(stored).unwrap_or(0) + slot.others_may_take();
        let room = self.limits.quota_bytes.saturating_sub(stored);
        if declared.is_some_and(|n| n > room) || room == 0 {
            return Err(ServiceError::OverLimit(Limit::Quota(
                self.limits.quota_bytes,
            )));
        }
        slot.may_take(room.min(declared.unwrap_or(self.limits.max_bytes)));
        Ok(Upload::new(upload::Target {
            id,
            chat,
            user,
            room,
            limits: self.limits,
            db: self.db.clone(),
            chunks: self.chunks.clone(),
            now,
            expires_at: now + self.unclaimed_ms(),
            _slot: slot,
        }))
    }

    /// A blob you may read, to be sent a chunk at a time.
    pub async fn open(&self, who: AuthContext, id: BlobId) -> ServiceResult<BlobReader> {
        let now = self.clock.now_ms();
        let row = db_run!(self.db, read, sql::blob_for(who.user_id, id, now)).map_err(rule)?;
        let key = row
            .store_key
            .as_deref()
            .and_then(StoreKey::from_stored)
            .ok_or(ServiceError::NotFound)?;
        self.reading.fetch_add(1, Ordering::Relaxed);
        Ok(BlobReader {
            id,
            key,
            size: u64::try_from(row.size).unwrap_or(0),
            store: self.chunks.store.clone(),
            reading: self.reading.clone(),
        })
    }

    /// Moves blobs stored whole in the main database (before chunks) into chunks,
    /// one at a time; run once at start.
    pub async fn adopt_inline(&self) -> ServiceResult<u64> {
        let mut moved = 0;
        while let Some((id, data)) = db_run!(self.db, read, sql::inline_blob()).map_err(rule)? {
            let mine = StoreKey::random().0.to_vec();
            let key = db_run!(self.db, write, sql::key_for_inline(id, mine)).map_err(rule)?;
            let key = StoreKey::from_stored(&key).ok_or_else(|| {
                ServiceError::Internal("a stored at-rest key is not 32 bytes".into())
            })?;
            let now = self.clock.now_ms();
            self.chunks.put(id, &key, now, &data).await?;
            db_run!(self.db, write, sql::moved_to_chunks(id)).map_err(rule)?;
            db_run!(self.chunks.store, write, chunks_sql::complete_blob(id)).map_err(rule)?;
            moved += 1;
        }
        Ok(moved)
    }
}

/// A blob being read: its size, and its chunks one at a time.
pub struct BlobReader {
    id: BlobId,
    key: StoreKey,
    size: u64,
    store: Db,
    reading: Arc<AtomicUsize>,
}

impl Drop for BlobReader {
    fn drop(&mut self) {
        self.reading.fetch_sub(1, Ordering::Relaxed);
    }
}

impl BlobReader {
    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn chunks(&self) -> u32 {
        seal::chunks(self.size)
    }

    /// Chunk `idx`, opened. NotFound if the blob was deleted meanwhile.
    pub async fn chunk(&self, idx: u32) -> ServiceResult<Vec<u8>> {
        let sealed = db_run!(self.store, read, chunks_sql::chunk(self.id, idx)).map_err(rule)?;
        self.key
            .open(self.id, idx, &sealed)
            .ok_or_else(|| ServiceError::Internal(format!("chunk {idx} of a blob does not open")))
    }
}

/// The attachments' store, and what deletes chunks nobody can read any more.
#[derive(Clone)]
pub struct Chunks {
    db: Db,
    pub store: Db,
    clock: Arc<dyn Clock>,
}

impl Chunks {
    pub fn new(db: Db, store: Db, clock: Arc<dyn Clock>) -> Self {
        Chunks { db, store, clock }
    }

    /// Stores a whole blob's bytes as sealed chunks (a started blob's are replaced).
    async fn put(&self, id: BlobId, key: &StoreKey, now: i64, data: &[u8]) -> ServiceResult<()> {
        db_run!(self.store, write, chunks_sql::start_blob(id, now)).map_err(rule)?;
        let sealed: Vec<Vec<u8>> = (0u32..)
            .zip(data.chunks(seal::CHUNK))
            .map(|(idx, part)| key.seal(id, idx, part))
            .collect();
        db_run!(self.store, write, chunks_sql::put_chunks(id, 0, sealed)).map_err(rule)
    }

    /// Deletes the chunks of deleted blobs, and of uploads that never finished;
    /// how many blobs' chunks went.
    pub async fn collect(&self) -> ServiceResult<u64> {
        let mut deleted = 0;
        loop {
            let graves = db_run!(self.db, read, sql::graves(COLLECT_BATCH)).map_err(rule)?;
            let full = i64::try_from(graves.len()).unwrap_or(i64::MAX) >= COLLECT_BATCH;
            if graves.is_empty() {
                break;
            }
            let ids = graves.clone();
            deleted += db_run!(self.store, write, chunks_sql::delete_blobs(ids)).map_err(rule)?;
            db_run!(self.db, write, sql::forget_graves(graves)).map_err(rule)?;
            if !full {
                break;
            }
        }
        let before = self.clock.now_ms() - UNFINISHED_KEPT_MS;
        let stale = db_run!(
            self.store,
            read,
            chunks_sql::unfinished_before(before, COLLECT_BATCH)
        )
        .map_err(rule)?;
        let mut gone = Vec::new();
        for id in stale {
            // Its row exists: the upload finished but was not marked (a crash between).
            if db_run!(self.db, read, sql::blob_exists(id)).map_err(rule)? {
                db_run!(self.store, write, chunks_sql::complete_blob(id)).map_err(rule)?;
            } else {
                gone.push(id);
            }
        }
        if !gone.is_empty() {
            deleted += db_run!(self.store, write, chunks_sql::delete_blobs(gone)).map_err(rule)?;
        }
        Ok(deleted)
    }

    /// Makes deleted chunks physically go, when they have a file of their own.
    pub async fn compact(&self) -> crate::store::StoreResult<()> {
        match (&self.store, &self.db) {
            (Db::Sqlite(store), Db::Sqlite(db)) if Arc::ptr_eq(store, db) => Ok(()),
            (store, _) => store.compact().await,
        }
    }
}

//! Resumable uploads (docs/protocol.md, "Resumable uploads"): the blob's row is
//! written `pending` when the upload is created, so the quota, the expiry, the
//! graveyard and every cascade cover it from the start; each piece (`PATCH`) is
//! appended where the stored chunks end, sealed and stored a few chunks at a time as
//! it arrives, like a one-shot upload. The offset is never kept apart from the bytes:
//! it is how many chunks are stored, so a piece cut off anywhere leaves a true one.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use messgo_proto::{BlobId, ChatId, UploadStatus};

use super::seal::{StoreKey, CHUNK};
use super::upload::{self, FLUSH_CHUNKS};
use super::{chunks_sql, sql, uploads_sql, Blobs};
use crate::chats::sql as chat_sql;
use crate::clock::Clock;
use crate::service::{rule, Limit, ServiceError, ServiceResult};
use crate::sessions::AuthContext;
use crate::store::Db;

/// Uploads with a piece under way on this node.
pub(super) type Patching = Arc<Mutex<HashSet<BlobId>>>;

/// What refuses a piece, beside the service's usual answers.
#[derive(Debug)]
pub enum PieceError {
    Service(ServiceError),
    /// Another piece of this upload is under way.
    Busy,
    /// The piece does not start at the stored offset, which this is.
    OffsetMismatch(u64),
    /// The piece would pass the declared size, which this is.
    PastSize(u64),
    /// Nothing arrived for the stall timeout (this), or the piece took too long.
    Stalled(std::time::Duration),
    /// The body broke off.
    BrokenOff,
}

impl From<ServiceError> for PieceError {
    fn from(e: ServiceError) -> Self {
        PieceError::Service(e)
    }
}

impl Blobs {
    /// Creates an upload of `size` bytes into a chat you are in; refused (before
    /// anything is stored) as a one-shot upload is. The declared size counts against
    /// the quota from now on.
    pub async fn create_upload(
        &self,
        who: AuthContext,
        chat: ChatId,
        size: u64,
    ) -> ServiceResult<UploadStatus> {
        let user = who.user_id;
        if size == 0 {
            return Err(ServiceError::InvalidField {
                field: "size",
                problem: "must be at least 1",
            });
        }
        if size > self.limits.max_bytes {
            return Err(ServiceError::OverLimit(Limit::AttachmentSize(
                self.limits.max_bytes,
            )));
        }
        db_run!(self.db, read, chat_sql::chat_for(user, chat)).map_err(rule)?;
        let now = self.clock.now_ms();
        let pending = db_run!(self.db, read, uploads_sql::pending_of(user, now)).map_err(rule)?;
        let (streaming, streaming_bytes) = upload::under_way_of(&self.under_way, user);
        let pending = usize::try_from(pending).unwrap_or(usize::MAX);
        if pending.saturating_add(streaming) >= self.limits.at_once {
            return Err(ServiceError::OverLimit(Limit::UploadsAtOnce(
                self.limits.at_once,
            )));
        }
        self.hit_per_hour(user)?;
        let stored = db_run!(self.db, read, sql::stored_by(user, now)).map_err(rule)?;
        let stored = u64::try_from(stored).unwrap_or(0) + streaming_bytes;
        if stored.saturating_add(size) > self.limits.quota_bytes {
            return Err(ServiceError::OverLimit(Limit::Quota(
                self.limits.quota_bytes,
            )));
        }
        let id = BlobId::random();
        let expires_at = now + self.unclaimed_ms();
        let row = sql::NewBlob {
            id,
            chat,
            uploader: user,
            size: i64::try_from(size).unwrap_or(i64::MAX),
            store_key: StoreKey::random().0.to_vec(),
            now,
            expires_at,
            pending: true,
        };
        db_run!(self.db, write, sql::insert_blob(row)).map_err(rule)?;
        Ok(UploadStatus {
            id,
            size,
            offset: 0,
            expires_at,
        })
    }

    /// Where your upload stands (until a message takes it).
    pub async fn upload_status(&self, who: AuthContext, id: BlobId) -> ServiceResult<UploadStatus> {
        let now = self.clock.now_ms();
        let row =
            db_run!(self.db, read, uploads_sql::upload_of(who.user_id, id, now)).map_err(rule)?;
        let offset = self.stored_offset(id, &row).await?;
        Ok(UploadStatus {
            id,
            size: u64::try_from(row.size).unwrap_or(0),
            offset,
            expires_at: row.expires_at,
        })
    }

    /// Bytes of the upload stored for good: whole chunks until it is complete.
    async fn stored_offset(&self, id: BlobId, row: &uploads_sql::UploadRow) -> ServiceResult<u64> {
        let size = u64::try_from(row.size).unwrap_or(0);
        if !row.pending {
            return Ok(size);
        }
        let n = db_run!(self.chunks.store, read, chunks_sql::stored_chunks(id)).map_err(rule)?;
        Ok((u64::try_from(n).unwrap_or(0) * CHUNK as u64).min(size))
    }

    /// Starts the next piece of your upload, which must begin at offset `at`.
    pub async fn resume_upload(
        &self,
        who: AuthContext,
        id: BlobId,
        at: u64,
    ) -> Result<Piece, PieceError> {
        let now = self.clock.now_ms();
        let row =
            db_run!(self.db, read, uploads_sql::upload_of(who.user_id, id, now)).map_err(rule)?;
        // Taken once the upload is known to be yours (nobody else can hold it up),
        // and before the offset is read (so no other piece moves it meanwhile).
        let busy = Busy::take(&self.patching, id).ok_or(PieceError::Busy)?;
        let offset = self.stored_offset(id, &row).await?;
        if at != offset {
            return Err(PieceError::OffsetMismatch(offset));
        }
        let key = row
            .store_key
            .as_deref()
            .and_then(StoreKey::from_stored)
            .ok_or(ServiceError::NotFound)?;
        // The upload lives an hour from its last piece: this one may take a while.
        let expires_at = now + self.unclaimed_ms();
        db_run!(
            self.db,
            write,
            uploads_sql::touch_upload(id, expires_at, false, now)
        )
        .map_err(rule)?;
        Ok(Piece {
            id,
            key,
            size: u64::try_from(row.size).unwrap_or(0),
            offset,
            pending: Vec::with_capacity(FLUSH_CHUNKS * CHUNK),
            started: false,
            db: self.db.clone(),
            store: self.chunks.store.clone(),
            clock: self.clock.clone(),
            unclaimed_ms: self.unclaimed_ms(),
            _busy: busy,
        })
    }

    /// Cancels your upload that no message has taken, finished or not; its row goes
    /// now (its chunks are unreadable from here), and the caller erases the chunks.
    pub async fn cancel_upload(&self, who: AuthContext, id: BlobId) -> ServiceResult<()> {
        db_run!(self.db, write, uploads_sql::cancel_upload(who.user_id, id)).map_err(rule)
    }
}

/// One piece of an upload being stored.
pub struct Piece {
    id: BlobId,
    key: StoreKey,
    size: u64,
    /// Bytes stored, this piece's included.
    offset: u64,
    pending: Vec<u8>,
    started: bool,
    db: Db,
    store: Db,
    clock: Arc<dyn Clock>,
    unclaimed_ms: i64,
    _busy: Busy,
}

impl Piece {
    /// The declared size.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Bytes the upload may still take.
    pub fn room(&self) -> u64 {
        self.size - self.offset - self.pending.len() as u64
    }

    /// Takes the next bytes, storing whole chunks as they fill; refused past the
    /// declared size.
    pub async fn push(&mut self, bytes: &[u8]) -> Result<(), PieceError> {
        let end = self.offset + self.pending.len() as u64 + bytes.len() as u64;
        if end > self.size {
            return Err(PieceError::PastSize(self.size));
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

    /// Stores the whole chunks received so far: what a piece cut off keeps (all of
    /// the upload, when its size is whole chunks and they all came).
    pub async fn keep(&mut self) -> ServiceResult<()> {
        self.store(false).await?;
        if self.offset == self.size {
            self.settle(true).await?;
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
        let (id, store) = (self.id, self.store.clone());
        if !self.started {
            let now = self.clock.now_ms();
            db_run!(store, write, chunks_sql::start_blob(id, now)).map_err(rule)?;
            self.started = true;
        }
        let first = u32::try_from(self.offset / CHUNK as u64).unwrap_or(u32::MAX);
        let sealed: Vec<Vec<u8>> = (first..)
            .zip(self.pending[..whole].chunks(CHUNK))
            .map(|(idx, part)| self.key.seal(id, idx, part))
            .collect();
        db_run!(store, write, chunks_sql::put_chunks(id, first, sealed)).map_err(rule)?;
        self.offset += whole as u64;
        self.pending.drain(..whole);
        Ok(())
    }

    /// Ends the piece: stores its whole chunks, and its tail when it is the last
    /// piece (the upload is then complete); a tail that is not is dropped, and the
    /// offset answered says where to go on.
    pub async fn finish(mut self) -> ServiceResult<UploadStatus> {
        let done = self.offset + self.pending.len() as u64 == self.size;
        self.store(done).await?;
        let expires_at = self.settle(done).await?;
        Ok(UploadStatus {
            id: self.id,
            size: self.size,
            offset: self.offset,
            expires_at,
        })
    }

    /// Moves the upload's expiry to an hour from now and, when `done`, marks it
    /// complete; the new expiry.
    async fn settle(&self, done: bool) -> ServiceResult<i64> {
        let now = self.clock.now_ms();
        let expires_at = now + self.unclaimed_ms;
        let id = self.id;
        db_run!(
            self.db,
            write,
            uploads_sql::touch_upload(id, expires_at, done, now)
        )
        .map_err(rule)?;
        if done {
            // From here the row owns the chunks (the collector marks it otherwise).
            if let Err(e) = db_run!(self.store, write, chunks_sql::complete_blob(id)) {
                tracing::warn!(error = %e, "marking an upload finished failed");
            }
        }
        Ok(expires_at)
    }
}

/// An upload's place as the one piece under way; given back when dropped.
struct Busy {
    patching: Patching,
    id: BlobId,
}

impl Busy {
    fn take(patching: &Patching, id: BlobId) -> Option<Busy> {
        let fresh = patching.lock().expect("patching lock").insert(id);
        fresh.then(|| Busy {
            patching: Arc::clone(patching),
            id,
        })
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.patching
            .lock()
            .expect("patching lock")
            .remove(&self.id);
    }
}

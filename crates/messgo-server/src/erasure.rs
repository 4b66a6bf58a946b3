//! Erasure: when conversation data is deleted, its bytes leave the database files,
//! their WALs and their free pages at once, not at the next periodic compaction.
//! Every path that deletes conversation data calls [`Erasure::erase`] once its
//! delete has committed; `tests/erasure.rs` lists every such path and checks the
//! files after each.
//!
//! On SQLite this is the store's compaction (`secure_delete` has overwritten the
//! rows; an incremental vacuum gives the free pages back and a truncating checkpoint
//! empties the WAL), for the main file and the attachments' file, after the chunks
//! of deleted attachments are deleted (their at-rest keys went with their rows, so
//! they were unreadable already). PostgreSQL keeps old row versions until its vacuum
//! and its own WAL until a checkpoint recycles it; no query of ours can force either,
//! which the README's "Scaling out" section says.

use crate::blobs::Chunks;
use crate::store::Db;

/// What a deleting path calls; cheap to clone.
#[derive(Clone)]
pub struct Erasure {
    db: Db,
    chunks: Chunks,
}

impl Erasure {
    pub fn new(db: Db, chunks: Chunks) -> Self {
        Erasure { db, chunks }
    }

    /// Makes what was just deleted physically go. `what` names the path for the log.
    /// The data is gone for every reader either way; if this fails, the next sweep
    /// erases it.
    pub async fn erase(&self, what: &'static str) {
        if let Err(e) = self.chunks.collect().await {
            tracing::warn!(error = %e, what, "deleting attachments' chunks failed; the next sweep retries");
        }
        if let Err(e) = self.compact().await {
            tracing::warn!(error = %e, what, "erasing deleted data failed; the next sweep retries");
        }
    }

    /// Compacts the main store, then the attachments' store if it is another.
    pub async fn compact(&self) -> crate::store::StoreResult<()> {
        let main = self.db.compact().await;
        let chunks = self.chunks.compact().await;
        main.and(chunks)
    }
}

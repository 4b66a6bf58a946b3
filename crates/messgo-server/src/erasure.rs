//! Erasure: when conversation data is deleted, its bytes leave the database file, its
//! WAL and its free pages at once, not at the next periodic compaction. Every path
//! that deletes conversation data calls [`erase`] once its delete has committed;
//! `tests/erasure.rs` lists every such path and checks the files after each.
//!
//! On SQLite this is the store's compaction (`secure_delete` has overwritten the
//! rows; an incremental vacuum gives the free pages back and a truncating checkpoint
//! empties the WAL). PostgreSQL keeps old row versions until its vacuum and its own
//! WAL until a checkpoint recycles it; no query of ours can force either, which the
//! README's "Scaling out" section says.

use crate::store::Db;

/// Makes what was just deleted physically go. `what` names the path for the log.
/// The data is gone for every reader either way; if this fails, the next sweep's
/// compaction erases it.
pub async fn erase(db: &Db, what: &'static str) {
    if let Err(e) = db.compact().await {
        tracing::warn!(error = %e, what, "erasing deleted data failed; the next sweep retries");
    }
}

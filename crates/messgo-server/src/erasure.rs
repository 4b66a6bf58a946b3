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
//!
//! A compaction holds the single writer for a moment, so erasures are spaced: the
//! first after a quiet [`ERASE_GAP`] runs at once, and any asked for within the gap
//! after it run together once at its end. A burst of deletions costs one compaction
//! per gap, not one each, and nothing waits longer than the gap to be erased.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use crate::blobs::Chunks;
use crate::metrics::{Metrics, Reclaimed};
use crate::store::Db;

/// Least time between two erasures' compactions.
pub const ERASE_GAP: Duration = Duration::from_secs(1);

/// What a deleting path calls; cheap to clone.
#[derive(Clone)]
pub struct Erasure {
    db: Db,
    chunks: Chunks,
    spacing: Arc<Mutex<Spacing>>,
    runs: Arc<AtomicU64>,
    metrics: Metrics,
}

/// When the last erasure ran, and whether one is waiting for the gap to pass.
#[derive(Default)]
struct Spacing {
    last: Option<Instant>,
    waiting: bool,
    running: usize,
}

impl Erasure {
    pub fn new(db: Db, chunks: Chunks, metrics: Metrics) -> Self {
        Erasure {
            db,
            chunks,
            spacing: Arc::default(),
            runs: Arc::default(),
            metrics,
        }
    }

    /// Makes what was just deleted physically go: now, or with the others asked for
    /// within [`ERASE_GAP`] of the last, at its end. `what` names the path for the
    /// log. The data is gone for every reader either way; if this fails, the next
    /// sweep erases it.
    pub async fn erase(&self, what: &'static str) {
        let now = Instant::now();
        {
            let mut spacing = self.spacing.lock().expect("erasure lock");
            match spacing.last {
                Some(last) if now < last + ERASE_GAP => {
                    if !spacing.waiting {
                        spacing.waiting = true;
                        let later = self.clone();
                        tokio::spawn(async move {
                            tokio::time::sleep_until(last + ERASE_GAP).await;
                            later.run("deletions spaced by the erasure gap").await;
                        });
                    }
                    return;
                }
                Some(_) | None => spacing.last = Some(now),
            }
        }
        self.run(what).await;
    }

    async fn run(&self, what: &'static str) {
        {
            let mut spacing = self.spacing.lock().expect("erasure lock");
            spacing.waiting = false;
            spacing.running += 1;
            spacing.last = Some(Instant::now());
        }
        if let Err(e) = self.chunks.collect().await {
            tracing::warn!(error = %e, what, "deleting attachments' chunks failed; the next sweep retries");
        }
        if let Err(e) = self.compact(Reclaimed::Erasure).await {
            tracing::warn!(error = %e, what, "erasing deleted data failed; the next sweep retries");
        }
        self.runs.fetch_add(1, Ordering::Relaxed);
        self.spacing.lock().expect("erasure lock").running -= 1;
    }

    /// How many erasures have run (each one collection and compaction).
    pub fn runs(&self) -> u64 {
        self.runs.load(Ordering::Relaxed)
    }

    /// Whether every erasure asked for has run (none waits for the gap, none runs).
    pub fn settled(&self) -> bool {
        let spacing = self.spacing.lock().expect("erasure lock");
        !spacing.waiting && spacing.running == 0
    }

    /// Compacts the main store, then the attachments' store if it is another; what
    /// the files shrank by is counted as reclaimed `by` the sweep or an erasure.
    pub async fn compact(&self, by: Reclaimed) -> crate::store::StoreResult<()> {
        let before = self.disk_bytes();
        let main = self.db.compact().await;
        let chunks = self.chunks.compact().await;
        self.metrics
            .reclaimed(by, before.saturating_sub(self.disk_bytes()));
        main.and(chunks)
    }

    fn disk_bytes(&self) -> u64 {
        let chunks = match (&self.db, &self.chunks.store) {
            (Db::Sqlite(main), Db::Sqlite(store)) if Arc::ptr_eq(main, store) => 0,
            (_, store) => store.disk_bytes(),
        };
        self.db.disk_bytes() + chunks
    }
}

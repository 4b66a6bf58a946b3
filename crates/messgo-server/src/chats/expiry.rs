//! How long a chat keeps its messages, and the sweep that deletes what has expired.

use messgo_proto::ChatId;

use super::{epochs_sql, sql, Chats};
use crate::blobs::sql as blob_sql;
use crate::messages::sealed as message_sealed;
use crate::messages::sql as message_sql;
use crate::service::{rule, ServiceError, ServiceResult};
use crate::sessions::AuthContext;

impl Chats {
    /// Sets a chat's disappearing-message timer (a system event tells everyone).
    pub async fn set_timer(
        &self,
        who: AuthContext,
        chat: ChatId,
        seconds: i64,
    ) -> ServiceResult<()> {
        check_timer(seconds)?;
        let (now, expires_at) = self.before_change(who, chat).await;
        let by = who.user_id;
        let system = db_run!(
            self.db,
            write,
            sql::set_timer(chat, by, seconds, now, expires_at)
        )
        .map_err(rule)?;
        self.announce(chat, Some(system)).await
    }

    /// Deletes what a chat no longer needs: expired messages in bounded batches,
    /// keys of spent epochs, read state of emptied chats, expired attachments.
    /// Returns the rows deleted; the sweeper then compacts (sweeper.rs).
    pub async fn sweep(&self) -> ServiceResult<u64> {
        const BATCH: i64 = 1_000;
        let now = self.clock.now_ms();
        let mut total = 0;
        loop {
            let n = db_run!(
                self.db,
                write,
                message_sql::delete_expired_messages(now, BATCH)
            )?;
            total += n;
            if n < BATCH as u64 {
                break;
            }
        }
        // All of it counts: the sweeper compacts only after a sweep deleted something.
        total += db_run!(self.db, write, epochs_sql::delete_spent_epoch_keys())?;
        total += db_run!(self.db, write, sql::forget_read_state_of_empty_chats())?;
        total += db_run!(self.db, write, blob_sql::delete_expired_blobs(now))?;
        // The message log: expired buckets go whole (key first), and what was
        // deleted before it expired is erased in place, if an erasure missed it.
        if let Some(log) = message_sealed::log_of(&self.db) {
            total += log.drop_expired(now).await? as u64;
        }
        total += self.db.erase_from_log().await? as u64;
        Ok(total)
    }
}

pub(super) fn check_timer(seconds: i64) -> ServiceResult<()> {
    if !messgo_proto::TIMERS.contains(&seconds) {
        return Err(ServiceError::InvalidField {
            field: "seconds",
            problem: "must be one of 300, 3600, 28800, 86400 or 259200",
        });
    }
    Ok(())
}

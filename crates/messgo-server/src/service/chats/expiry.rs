//! How long a chat keeps its messages, and the sweep that deletes what has expired.

use messgo_proto::ChatId;

use super::Chats;
use crate::service::{AuthContext, ServiceError, ServiceResult};

impl Chats {
    /// Sets a chat's disappearing-message timer (a system event tells everyone).
    pub async fn set_timer(
        &self,
        who: AuthContext,
        chat: ChatId,
        seconds: i64,
    ) -> ServiceResult<()> {
        check_timer(seconds)?;
        self.system_change(who, chat, |s, now, exp| {
            Box::pin(async move {
                s.set_timer(chat, who.user_id, seconds, now, exp)
                    .await
                    .map(Some)
            })
        })
        .await
        .map(drop)
    }

    /// One sweep: expired messages in bounded batches, keys of spent epochs, then
    /// the bytes themselves (vacuum and WAL checkpoint). Returns messages deleted.
    pub async fn sweep(&self) -> ServiceResult<u64> {
        const BATCH: i64 = 1_000;
        let now = self.clock.now_ms();
        let mut total = 0;
        loop {
            let n = self.db.legacy().delete_expired_messages(now, BATCH).await?;
            total += n;
            if n < BATCH as u64 {
                break;
            }
        }
        // All of it counts: the sweeper compacts only after a sweep deleted something.
        total += self.db.legacy().delete_spent_epoch_keys().await?;
        total += self.db.legacy().forget_read_state_of_empty_chats().await?;
        total += self.db.legacy().delete_expired_blobs(now).await?;
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

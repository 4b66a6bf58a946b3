//! Encrypted attachments: the server stores bytes it cannot read, for members only.

use messgo_proto::{BlobId, BlobUploaded, ChatId};

use super::{rule, Chats};
use crate::service::{AuthContext, ServiceResult};

/// An upload no message has taken is deleted after this long.
const UNCLAIMED_BLOB_MS: i64 = 3_600_000;

impl Chats {
    /// Stores an encrypted upload for a chat you are in. It lives an hour unless a
    /// message takes it.
    pub async fn upload_blob(
        &self,
        who: AuthContext,
        chat: ChatId,
        data: Vec<u8>,
    ) -> ServiceResult<BlobUploaded> {
        let now = self.clock.now_ms();
        let expires_at = now + UNCLAIMED_BLOB_MS.min(self.retention_ms);
        let id = BlobId::random();
        let size = data.len() as i64;
        self.db
            .legacy()
            .insert_blob(id, chat, who.user_id, data, now, expires_at)
            .await
            .map_err(rule)?;
        Ok(BlobUploaded {
            id,
            size,
            expires_at,
        })
    }

    pub async fn download_blob(&self, who: AuthContext, id: BlobId) -> ServiceResult<Vec<u8>> {
        let now = self.clock.now_ms();
        self.db
            .legacy()
            .blob_for(who.user_id, id, now)
            .await
            .map_err(rule)
    }
}

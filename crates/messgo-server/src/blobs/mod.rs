//! Encrypted attachments: the server stores bytes it cannot read, for members only.

pub mod sql;

use std::sync::Arc;

use messgo_proto::{BlobId, BlobUploaded, ChatId};

use crate::clock::Clock;
use crate::service::{rule, ServiceResult};
use crate::sessions::AuthContext;
use crate::store::Db;

/// An upload no message has taken is deleted after this long.
const UNCLAIMED_BLOB_MS: i64 = 3_600_000;

pub struct Blobs {
    db: Db,
    clock: Arc<dyn Clock>,
    retention_ms: i64,
}

impl Blobs {
    pub fn new(db: Db, clock: Arc<dyn Clock>, retention_ms: i64) -> Self {
        Blobs {
            db,
            clock,
            retention_ms,
        }
    }

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
        db_run!(
            self.db,
            write,
            sql::insert_blob(id, chat, who.user_id, &data, now, expires_at)
        )
        .map_err(rule)?;
        Ok(BlobUploaded {
            id,
            size,
            expires_at,
        })
    }

    pub async fn download_blob(&self, who: AuthContext, id: BlobId) -> ServiceResult<Vec<u8>> {
        let now = self.clock.now_ms();
        db_run!(self.db, read, sql::blob_for(who.user_id, id, now)).map_err(rule)
    }
}

//! Resumable uploads' SQL in the main database: the blob's row, written when the
//! upload is created and `pending` until every declared byte is stored. Its bytes
//! are chunks in the attachments' store, as for any blob (`chunks_sql.rs`).

use messgo_proto::{BlobId, UserId};

use crate::store::{StoreError, StoreResult};

/// A pending or finished upload, as its uploader sees it before a message takes it.
#[derive(Debug, sqlx::FromRow)]
pub struct UploadRow {
    pub size: i64,
    pub store_key: Option<Vec<u8>>,
    pub pending: bool,
    pub expires_at: i64,
}

for_both_engines! {
    /// Unfinished uploads of `user` that have not expired.
    pub async fn pending_of(c: &mut Conn, user: UserId, now: i64) -> StoreResult<i64> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM blobs WHERE uploader = $1 AND pending AND expires_at > $2",
        )
        .bind(user.0)
        .bind(now)
        .fetch_one(&mut *c)
        .await?;
        Ok(n)
    }

    /// `user`'s upload no message has taken and that has not expired.
    pub async fn upload_of(c: &mut Conn, user: UserId, id: BlobId, now: i64) -> StoreResult<UploadRow> {
        let row: Option<UploadRow> = sqlx::query_as(
            "SELECT size, store_key, pending, expires_at FROM blobs \
             WHERE id = $1 AND uploader = $2 AND message_seq IS NULL AND expires_at > $3",
        )
        .bind(id.0)
        .bind(user.0)
        .bind(now)
        .fetch_optional(&mut *c)
        .await?;
        row.ok_or(StoreError::NotFound)
    }

    /// Moves an upload's expiry (a piece was stored) and, when `done`, marks it
    /// complete; NotFound when it is gone (cancelled, expired, or its chat left).
    pub async fn touch_upload(c: &mut Conn, id: BlobId, expires_at: i64, done: bool, now: i64) -> StoreResult<()> {
        let sql = if done {
            "UPDATE blobs SET expires_at = $1, pending = FALSE \
             WHERE id = $2 AND message_seq IS NULL AND expires_at > $3"
        } else {
            "UPDATE blobs SET expires_at = $1 \
             WHERE id = $2 AND message_seq IS NULL AND expires_at > $3"
        };
        let done = sqlx::query(sql).bind(expires_at).bind(id.0).bind(now).execute(&mut *c).await?;
        if done.rows_affected() == 1 { Ok(()) } else { Err(StoreError::NotFound) }
    }

    /// Deletes `user`'s upload no message has taken (the graveyard trigger notes it
    /// for its chunks); NotFound when there is none.
    pub async fn cancel_upload(c: &mut Conn, user: UserId, id: BlobId) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM blobs WHERE id = $1 AND uploader = $2 AND message_seq IS NULL")
            .bind(id.0)
            .bind(user.0)
            .execute(&mut *c)
            .await?;
        if done.rows_affected() == 1 { Ok(()) } else { Err(StoreError::NotFound) }
    }
}

//! Attachments' SQL: an encrypted blob, uploaded into a chat by a member, readable
//! by the chat's members until it expires.

use messgo_proto::{BlobId, ChatId, UserId};

use crate::store::{StoreError, StoreResult};

for_both_engines! {
    uses(crate::chats::sql as chat_sql);

    /// Stores an upload for a chat `uploader` is a member of.
    pub async fn insert_blob(
        c: &mut Conn, id: BlobId, chat: ChatId, uploader: UserId, data: &[u8], now: i64, expires_at: i64,
    ) -> StoreResult<()> {
        chat_sql::chat_for(&mut *c, uploader, chat).await?;
        sqlx::query(
            "INSERT INTO blobs (id, chat_id, uploader, size, data, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id.0)
        .bind(chat.0)
        .bind(uploader.0)
        .bind(data.len() as i64)
        .bind(data)
        .bind(now)
        .bind(expires_at)
        .execute(&mut *c)
        .await?;
        Ok(())
    }


    /// A blob's bytes, for a current member of its chat who may see its message
    /// (or its uploader, before a message takes it); NotFound otherwise.
    pub async fn blob_for(c: &mut Conn, user: UserId, id: BlobId, now: i64) -> StoreResult<Vec<u8>> {
        let row: Option<(Vec<u8>,)> = sqlx::query_as(
            "SELECT b.data FROM blobs b JOIN chat_members m ON m.chat_id = b.chat_id AND m.user_id = $1 \
             WHERE b.id = $2 AND b.expires_at > $3 \
               AND ((b.message_seq IS NOT NULL AND b.message_seq > m.joined_seq) OR b.uploader = $1)",
        )
        .bind(user.0)
        .bind(id.0)
        .bind(now)
        .fetch_optional(&mut *c)
        .await?;
        row.map(|(d,)| d).ok_or(StoreError::NotFound)
    }


    pub async fn delete_expired_blobs(c: &mut Conn, now: i64) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM blobs WHERE expires_at <= $1").bind(now).execute(&mut *c).await?;
        Ok(done.rows_affected())
    }
}

//! Attachments' SQL in the main database: which blob belongs to which chat, who
//! uploaded it, its size, expiry and at-rest key. Its bytes are chunks in the
//! attachments' own store (`chunks_sql.rs`).

use messgo_proto::{BlobId, ChatId, UserId};

use crate::store::{StoreError, StoreResult};

/// A blob as its reader needs it: its size and at-rest key.
#[derive(Debug, sqlx::FromRow)]
pub struct StoredBlob {
    pub size: i64,
    pub store_key: Option<Vec<u8>>,
}

/// Where a new blob goes and what it is.
#[derive(Debug)]
pub struct NewBlob {
    pub id: BlobId,
    pub chat: ChatId,
    pub uploader: UserId,
    pub size: i64,
    pub store_key: Vec<u8>,
    pub now: i64,
    pub expires_at: i64,
    /// Written when a resumable upload is created: not readable until complete.
    pub pending: bool,
}

for_both_engines! {
    uses(crate::chats::sql as chat_sql);

    /// Stores an upload's row for a chat `uploader` is (still) a member of; its
    /// bytes are already in the attachments' store.
    pub async fn insert_blob(c: &mut Conn, b: NewBlob) -> StoreResult<()> {
        chat_sql::chat_for(&mut *c, b.uploader, b.chat).await?;
        sqlx::query(
            "INSERT INTO blobs (id, chat_id, uploader, size, data, store_key, created_at, expires_at, pending) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(b.id.0)
        .bind(b.chat.0)
        .bind(b.uploader.0)
        .bind(b.size)
        .bind(&[][..] as &[u8])
        .bind(&b.store_key)
        .bind(b.now)
        .bind(b.expires_at)
        .bind(b.pending)
        .execute(&mut *c)
        .await?;
        Ok(())
    }

    /// A complete blob's size and key, for a current member of its chat who may see
    /// its message (or its uploader, before a message takes it); NotFound otherwise.
    pub async fn blob_for(c: &mut Conn, user: UserId, id: BlobId, now: i64) -> StoreResult<StoredBlob> {
        let row: Option<StoredBlob> = sqlx::query_as(
            "SELECT b.size, b.store_key FROM blobs b JOIN chat_members m ON m.chat_id = b.chat_id AND m.user_id = $1 \
             WHERE b.id = $2 AND b.expires_at > $3 AND NOT b.pending \
               AND ((b.message_seq IS NOT NULL AND b.message_seq > m.joined_seq) OR b.uploader = $1)",
        )
        .bind(user.0)
        .bind(id.0)
        .bind(now)
        .fetch_optional(&mut *c)
        .await?;
        row.ok_or(StoreError::NotFound)
    }

    /// Bytes `user` has stored in attachments that have not expired, counting an
    /// unfinished upload's declared size.
    pub async fn stored_by(c: &mut Conn, user: UserId, now: i64) -> StoreResult<i64> {
        let (sum,): (Option<i64>,) = sqlx::query_as(
            "SELECT CAST(SUM(size) AS BIGINT) FROM blobs WHERE uploader = $1 AND expires_at > $2",
        )
        .bind(user.0)
        .bind(now)
        .fetch_one(&mut *c)
        .await?;
        Ok(sum.unwrap_or(0))
    }

    /// Whether the blob's row exists with its chunks' key (its chunks are wanted).
    pub async fn blob_exists(c: &mut Conn, id: BlobId) -> StoreResult<bool> {
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT size FROM blobs WHERE id = $1 AND store_key IS NOT NULL")
            .bind(id.0)
            .fetch_optional(&mut *c)
            .await?;
        Ok(row.is_some())
    }

    pub async fn delete_expired_blobs(c: &mut Conn, now: i64) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM blobs WHERE expires_at <= $1").bind(now).execute(&mut *c).await?;
        Ok(done.rows_affected())
    }

    /// Up to `limit` deleted blobs whose chunks are still to be deleted.
    pub async fn graves(c: &mut Conn, limit: i64) -> StoreResult<Vec<BlobId>> {
        let rows: Vec<(uuid::Uuid,)> = sqlx::query_as("SELECT id FROM blob_graveyard LIMIT $1")
            .bind(limit)
            .fetch_all(&mut *c)
            .await?;
        Ok(rows.into_iter().map(|(id,)| BlobId(id)).collect())
    }

    /// Forgets deleted blobs whose chunks are gone.
    pub async fn forget_graves(c: &mut Conn, ids: Vec<BlobId>) -> StoreResult<()> {
        for id in ids {
            sqlx::query("DELETE FROM blob_graveyard WHERE id = $1").bind(id.0).execute(&mut *c).await?;
        }
        Ok(())
    }

    /// One blob stored whole in this database before chunks (`data` not empty).
    pub async fn inline_blob(c: &mut Conn) -> StoreResult<Option<(BlobId, Vec<u8>)>> {
        let row: Option<(uuid::Uuid, Vec<u8>)> =
            sqlx::query_as("SELECT id, data FROM blobs WHERE length(data) > 0 LIMIT 1")
                .fetch_optional(&mut *c)
                .await?;
        Ok(row.map(|(id, data)| (BlobId(id), data)))
    }

    /// The at-rest key an inline blob's chunks are sealed under: the one already
    /// chosen for it (by another node moving it at the same time, or a run that
    /// stopped half way), else `key`, which is then its key.
    pub async fn key_for_inline(c: &mut Conn, id: BlobId, key: Vec<u8>) -> StoreResult<Vec<u8>> {
        let (key,): (Vec<u8>,) = sqlx::query_as(
            "UPDATE blobs SET store_key = COALESCE(store_key, $1) WHERE id = $2 RETURNING store_key",
        )
        .bind(&key)
        .bind(id.0)
        .fetch_one(&mut *c)
        .await?;
        Ok(key)
    }

    /// Marks an inline blob moved into chunks, emptying its `data`.
    pub async fn moved_to_chunks(c: &mut Conn, id: BlobId) -> StoreResult<()> {
        sqlx::query("UPDATE blobs SET data = $1 WHERE id = $2")
            .bind(&[][..] as &[u8])
            .bind(id.0)
            .execute(&mut *c)
            .await?;
        Ok(())
    }
}

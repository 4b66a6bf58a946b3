//! The attachments' store: each blob's sealed chunks (`seal.rs`), and a head row per
//! blob that says when its upload started and whether it finished. On SQLite this is
//! a file of its own with its own writer (`Db::open_blobs`).

use messgo_proto::BlobId;

use crate::store::{StoreError, StoreResult};

for_both_engines! {
    /// Starts a blob: its head, with no chunks yet (a head already there stays).
    pub async fn start_blob(c: &mut Conn, id: BlobId, now: i64) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO blob_heads (id, created_at, complete) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO NOTHING",
        )
            .bind(id.0)
            .bind(now)
            .bind(false)
            .execute(&mut *c)
            .await?;
        Ok(())
    }

    /// Stores sealed chunks `first`, `first + 1`, … of a started blob (a chunk stored
    /// before under the same index is replaced).
    pub async fn put_chunks(c: &mut Conn, id: BlobId, first: u32, chunks: Vec<Vec<u8>>) -> StoreResult<()> {
        for (idx, data) in (first..).zip(chunks) {
            sqlx::query(
                "INSERT INTO blob_chunks (blob_id, idx, data) VALUES ($1, $2, $3) \
                 ON CONFLICT (blob_id, idx) DO UPDATE SET data = excluded.data",
            )
            .bind(id.0)
            .bind(i64::from(idx))
            .bind(&data)
            .execute(&mut *c)
            .await?;
        }
        Ok(())
    }

    /// Marks a blob's upload finished: its row in the main database exists, and its
    /// chunks go when that row does.
    pub async fn complete_blob(c: &mut Conn, id: BlobId) -> StoreResult<()> {
        sqlx::query("UPDATE blob_heads SET complete = $1 WHERE id = $2")
            .bind(true)
            .bind(id.0)
            .execute(&mut *c)
            .await?;
        Ok(())
    }

    /// Sealed chunk `idx` of a blob.
    pub async fn chunk(c: &mut Conn, id: BlobId, idx: u32) -> StoreResult<Vec<u8>> {
        let row: Option<(Vec<u8>,)> =
            sqlx::query_as("SELECT data FROM blob_chunks WHERE blob_id = $1 AND idx = $2")
                .bind(id.0)
                .bind(i64::from(idx))
                .fetch_optional(&mut *c)
                .await?;
        row.map(|(d,)| d).ok_or(StoreError::NotFound)
    }

    /// How many chunks of a blob are stored (a resumable upload's are contiguous from
    /// 0: each piece is appended where the last one ended).
    pub async fn stored_chunks(c: &mut Conn, id: BlobId) -> StoreResult<i64> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM blob_chunks WHERE blob_id = $1")
            .bind(id.0)
            .fetch_one(&mut *c)
            .await?;
        Ok(n)
    }

    /// Deletes blobs with their chunks; how many there were.
    pub async fn delete_blobs(c: &mut Conn, ids: Vec<BlobId>) -> StoreResult<u64> {
        let mut deleted = 0;
        for id in ids {
            sqlx::query("DELETE FROM blob_chunks WHERE blob_id = $1").bind(id.0).execute(&mut *c).await?;
            let done = sqlx::query("DELETE FROM blob_heads WHERE id = $1").bind(id.0).execute(&mut *c).await?;
            deleted += done.rows_affected();
        }
        Ok(deleted)
    }

    /// Up to `limit` blobs whose upload started before `before` and never finished.
    pub async fn unfinished_before(c: &mut Conn, before: i64, limit: i64) -> StoreResult<Vec<BlobId>> {
        let rows: Vec<(uuid::Uuid,)> = sqlx::query_as(
            "SELECT id FROM blob_heads WHERE complete = $1 AND created_at < $2 LIMIT $3",
        )
        .bind(false)
        .bind(before)
        .bind(limit)
        .fetch_all(&mut *c)
        .await?;
        Ok(rows.into_iter().map(|(id,)| BlobId(id)).collect())
    }
}

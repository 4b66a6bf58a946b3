//! Encrypted attachments' HTTP calls (docs/protocol.md, "Attachments"): whole blobs,
//! and the resumable uploads' create, state, append and cancel.

use messgo_proto::{BlobId, ChatId, NewUpload, UploadStatus, CSRF_HEADER, UPLOAD_OFFSET_HEADER};

use crate::{Client, Result};

impl Client {
    /// Uploads (already encrypted) bytes to a chat in one request.
    pub async fn upload_blob(
        &self,
        chat: ChatId,
        bytes: Vec<u8>,
    ) -> Result<messgo_proto::BlobUploaded> {
        let res = self
            .go(self
                .http
                .post(format!("{}/api/blobs?chat_id={chat}", self.base))
                .header(CSRF_HEADER, "1")
                .header("content-type", "application/octet-stream")
                .body(bytes))
            .await?;
        crate::decode(res).await
    }

    /// A whole blob, held in memory: for small ones (see `download_file` for files).
    pub async fn download_blob(&self, id: BlobId) -> Result<Vec<u8>> {
        let res = self
            .go(self.http.get(format!("{}/api/blobs/{id}", self.base)))
            .await?;
        if !res.status().is_success() {
            return Err(crate::api_error(res).await);
        }
        Ok(res.bytes().await?.to_vec())
    }

    /// Starts a resumable upload of a `size`-byte stream to a chat.
    pub async fn create_upload(&self, chat: ChatId, size: u64) -> Result<UploadStatus> {
        self.send(
            reqwest::Method::POST,
            &format!("/api/uploads?chat_id={chat}"),
            &NewUpload { size },
        )
        .await
    }

    pub async fn upload_state(&self, id: BlobId) -> Result<UploadStatus> {
        self.get(&format!("/api/uploads/{id}")).await
    }

    /// Appends `bytes` at stream offset `offset` (which must be the stored one).
    pub async fn append_upload(
        &self,
        id: BlobId,
        offset: u64,
        bytes: Vec<u8>,
    ) -> Result<UploadStatus> {
        let res = self
            .go(self
                .http
                .patch(format!("{}/api/uploads/{id}", self.base))
                .header(CSRF_HEADER, "1")
                .header("content-type", "application/octet-stream")
                .header(UPLOAD_OFFSET_HEADER, offset.to_string())
                .body(bytes))
            .await?;
        crate::decode(res).await
    }

    /// Cancels an upload (finished or not, until a message takes it); its chunks are
    /// erased.
    pub async fn cancel_upload(&self, id: BlobId) -> Result<()> {
        self.delete(&format!("/api/uploads/{id}")).await
    }
}

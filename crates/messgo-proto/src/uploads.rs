//! Resumable uploads (docs/protocol.md, "Resumable uploads"): a blob declared with
//! its size, then sent in pieces, each appended at the offset the server has stored.

use serde::{Deserialize, Serialize};

use crate::BlobId;

/// The header a `PATCH /api/uploads/{id}` names its offset in, and a
/// `409 offset_mismatch` answers the stored offset in.
pub const UPLOAD_OFFSET_HEADER: &str = "upload-offset";

/// `POST /api/uploads?chat_id=…`: the whole stream's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewUpload {
    /// Bytes of the whole (encrypted) stream: 1 to the server's largest attachment.
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub size: u64,
}

/// Where an upload stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UploadStatus {
    pub id: BlobId,
    /// The declared size.
    pub size: u64,
    /// Bytes stored for good: a multiple of 64 KiB until the upload is complete, then
    /// `size`. The next piece starts here.
    pub offset: u64,
    /// An hour after the last stored piece (or the server's retention, if shorter),
    /// unless a message takes the blob first.
    pub expires_at: i64,
}

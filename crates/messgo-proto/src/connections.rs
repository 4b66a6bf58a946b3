//! Bodies of the connection, contact and block endpoints, and the profile.

use serde::{Deserialize, Serialize};

use crate::{Bytes, ChatId, RequestId, UserId};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConnectKeyResponse {
    pub connect_key: String,
    pub display: String,
}

/// Exactly one of the two.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ConnectionRequestBody {
    #[cfg_attr(feature = "openapi", schema(max_length = 32))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_key: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestSent {
    pub status: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Requester {
    pub user_id: UserId,
    pub username: String,
    pub ed25519_public: Bytes,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IncomingRequest {
    pub id: RequestId,
    pub from: Requester,
    pub created_at: i64,
    pub expires_at: i64,
}

/// What the requester typed; kept as typed, whatever it turned out to be.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RequestTarget {
    Username(String),
    ConnectKey(String),
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutgoingRequest {
    pub id: RequestId,
    pub target: RequestTarget,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestsResponse {
    pub incoming: Vec<IncomingRequest>,
    pub outgoing: Vec<OutgoingRequest>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Contact {
    pub user_id: UserId,
    pub username: String,
    pub display_name: Option<String>,
    pub bio: Option<String>,
    /// When the avatar last changed (`GET /api/users/{id}/avatar`); `None`: no avatar.
    pub avatar_updated_at: Option<i64>,
    pub x25519_public: Bytes,
    pub ed25519_public: Bytes,
    pub connected_at: i64,
    pub chat_id: ChatId,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactsResponse {
    pub contacts: Vec<Contact>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BlockedUser {
    pub user_id: UserId,
    pub username: String,
    pub blocked_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BlocksResponse {
    pub blocked: Vec<BlockedUser>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BlockBody {
    pub user_id: UserId,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Profile {
    /// At most 64 characters (trimmed; empty is none).
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub display_name: Option<String>,
    /// A short bio, at most 160 characters.
    #[cfg_attr(feature = "openapi", schema(max_length = 160))]
    #[serde(default)]
    pub bio: Option<String>,
}

pub const BIO_MAX: usize = 160;
/// Largest avatar image (the client crops and resizes it first).
pub const AVATAR_MAX_BYTES: usize = 256 * 1024;

pub const DISPLAY_NAME_MAX: usize = 64;

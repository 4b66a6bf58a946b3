//! Bodies of the account and session endpoints (see docs/api.md).

use serde::{Deserialize, Serialize};

use crate::{Bytes, SessionId, UserId};

/// How a client turns the password into keys. Stored per account so it can be raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KdfParams {
    pub alg: KdfAlg,
    #[cfg_attr(feature = "openapi", schema(minimum = 100000, maximum = 10000000))]
    pub iterations: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum KdfAlg {
    #[serde(rename = "pbkdf2-sha256")]
    Pbkdf2Sha256,
}

impl KdfParams {
    /// Clients refuse anything weaker, so a malicious server cannot lower the cost of
    /// brute-forcing a password from the auth key it sees.
    pub const MIN_ITERATIONS: u32 = 100_000;
    pub const MAX_ITERATIONS: u32 = 10_000_000;
    pub const DEFAULT_ITERATIONS: u32 = 600_000;

    pub fn pbkdf2(iterations: u32) -> Self {
        KdfParams {
            alg: KdfAlg::Pbkdf2Sha256,
            iterations,
        }
    }

    pub fn is_acceptable(&self) -> bool {
        (Self::MIN_ITERATIONS..=Self::MAX_ITERATIONS).contains(&self.iterations)
    }
}

impl Default for KdfParams {
    fn default() -> Self {
        KdfParams::pbkdf2(Self::DEFAULT_ITERATIONS)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HealthResponse {
    pub status: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConfigResponse {
    pub realm_id: String,
    pub kdf: KdfParams,
    pub version: String,
    /// Who may sign up; older servers said nothing, and were open.
    #[serde(default)]
    pub registration: Registration,
    /// Whether signed-in users may make invite links (`--invites-by users`).
    #[serde(default)]
    pub user_invites: bool,
}

/// Who may sign up on a server (`--registration`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Registration {
    /// Anyone; an invite is optional (and still connects its inviter).
    #[default]
    Open,
    /// Only with a valid invite.
    Invite,
    /// Nobody.
    Closed,
}

impl Registration {
    pub fn as_str(self) -> &'static str {
        match self {
            Registration::Open => "open",
            Registration::Invite => "invite",
            Registration::Closed => "closed",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PreloginRequest {
    #[cfg_attr(feature = "openapi", schema(max_length = 32))]
    pub username: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PreloginResponse {
    pub kdf: KdfParams,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegisterRequest {
    /// Chosen by the client so the sealed key bundle can bind it.
    pub user_id: UserId,
    /// 3 to 32 of `a-z 0-9 _ .`, case-insensitive.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 3, max_length = 32, pattern = "^[A-Za-z0-9_.]+$")
    )]
    pub username: String,
    pub auth_key: Bytes,
    pub kdf: KdfParams,
    pub key_bundle: Bytes,
    pub x25519_public: Bytes,
    pub ed25519_public: Bytes,
    /// An invite code (from an invite link): required when the server's
    /// registration is `invite`; with a user's invite, the new account and its
    /// inviter become contacts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    #[cfg_attr(feature = "openapi", schema(max_length = 32))]
    pub username: String,
    pub auth_key: Bytes,
}

/// The signed-in user's own account.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    pub user_id: UserId,
    pub username: String,
    pub kdf: KdfParams,
    pub key_bundle: Bytes,
    pub x25519_public: Bytes,
    pub ed25519_public: Bytes,
    pub created_at: i64,
    pub display_name: Option<String>,
    pub bio: Option<String>,
    pub avatar_updated_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangePasswordRequest {
    pub auth_key: Bytes,
    pub new_auth_key: Bytes,
    pub new_kdf: KdfParams,
    pub new_key_bundle: Bytes,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeleteAccountRequest {
    pub auth_key: Bytes,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionInfo {
    pub id: SessionId,
    pub device: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub current: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionList {
    pub sessions: Vec<SessionInfo>,
}

/// Fixed sizes of binary account fields.
pub mod sizes {
    pub const AUTH_KEY: usize = 32;
    pub const PUBLIC_KEY: usize = 32;
    /// nonce (12) + sealed x25519 secret and ed25519 seed (64) + tag (16)
    pub const KEY_BUNDLE: usize = 92;
}

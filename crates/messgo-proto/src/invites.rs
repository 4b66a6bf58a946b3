//! Bodies of the invite endpoints (see docs/api.md, "Invites").

use serde::{Deserialize, Serialize};

use crate::InviteId;

/// Longest an invite made by a user lasts: no longer than a conversation may.
pub const USER_INVITE_MAX_SECS: i64 = 72 * 3600;
/// How long a user's invite lasts when the request does not say.
pub const USER_INVITE_DEFAULT_SECS: i64 = 24 * 3600;
/// Longest an invite made by the operator lasts (`messgo admin`).
pub const OPERATOR_INVITE_MAX_SECS: i64 = 30 * 24 * 3600;
/// How long an operator's invite lasts when not said.
pub const OPERATOR_INVITE_DEFAULT_SECS: i64 = 7 * 24 * 3600;
/// Most sign-ups one invite may allow.
pub const INVITE_MAX_USES: u32 = 100;
/// Most unexpired, not used-up invites one user may hold at once.
pub const LIVE_INVITES_PER_USER: usize = 20;

/// `POST /api/invites`: both optional (one use, 24 hours).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateInvite {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 100))]
    pub uses: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 60, maximum = 259200))]
    pub expires_in_secs: Option<i64>,
}

/// An invite as its maker sees it in lists: never its code.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InviteInfo {
    pub id: InviteId,
    /// Sign-ups it allowed when made.
    pub uses: u32,
    /// Sign-ups it still allows (an invite used up is gone).
    pub uses_left: u32,
    pub created_at: i64,
    pub expires_at: i64,
}

/// A new invite: the code is shown this once; the server keeps only its SHA-256.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedInvite {
    #[serde(flatten)]
    pub invite: InviteInfo,
    pub code: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvitesResponse {
    pub invites: Vec<InviteInfo>,
}

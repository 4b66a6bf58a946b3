//! What `messgo admin` and the server say over the admin socket: one JSON request per
//! line, one JSON answer per line. A new command is one [`Request`] variant and one
//! match arm in `Admin::handle`.
//!
//! Nothing here can carry a message, a key, a contact or a chat: the answers are
//! usernames, dates and totals.

use messgo_proto::{CreatedInvite, InviteInfo};
use serde::{Deserialize, Serialize};

/// Longest request line the server reads, newline included.
pub const MAX_REQUEST_LINE: usize = 4096;
/// Users one `users list` answer holds at most; the client asks for the next page.
pub const MAX_PAGE: u32 = 1000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    /// How many accounts, and how many of them are disabled.
    UsersCount,
    /// Accounts by username, after `after`, at most `limit` (up to [`MAX_PAGE`]).
    UsersList {
        #[serde(default)]
        after: Option<String>,
        limit: u32,
    },
    /// The account cannot sign in; its sessions end and its sockets close.
    UsersDisable {
        username: String,
    },
    UsersEnable {
        username: String,
    },
    /// Deletes the account the way its owner's deletion does (erasure included).
    UsersDelete {
        username: String,
    },
    /// Ends every session of the account and closes its sockets.
    SessionsRevoke {
        username: String,
    },
    /// Server-wide totals.
    Stats,
    /// An operator's invite: it signs people up and connects them to nobody.
    InvitesCreate {
        #[serde(default)]
        uses: Option<u32>,
        #[serde(default)]
        expires_in_secs: Option<i64>,
    },
    /// The operator's live invites (never their codes).
    InvitesList,
    /// Revokes one of the operator's invites at once.
    InvitesRevoke {
        id: String,
    },
}

/// One answer line: `{"ok": …}` or `{"error": {"code", "message"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reply {
    Ok(Answer),
    Error(AdminError),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Answer {
    Count {
        accounts: u64,
        disabled: u64,
    },
    Users {
        users: Vec<UserSummary>,
    },
    /// A disable or enable: whether the account changed (it may have been so already).
    Changed {
        username: String,
        changed: bool,
    },
    Deleted {
        username: String,
    },
    Revoked {
        username: String,
        sessions: u64,
    },
    Stats(Stats),
    /// A new invite: its code is in this answer only.
    Invite(CreatedInvite),
    Invites {
        invites: Vec<InviteInfo>,
    },
    InviteRevoked {
        id: String,
    },
}

/// What `users list` shows of an account: never its contacts, chats or profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSummary {
    pub username: String,
    /// Milliseconds since the epoch.
    pub created_at: i64,
    /// The latest use of any of its sessions; `None` with no session left.
    pub last_seen_at: Option<i64>,
    pub disabled: bool,
}

/// Totals only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    pub accounts: u64,
    pub disabled_accounts: u64,
    pub sessions: u64,
    pub chats: u64,
    /// Messages stored (not deleted, not expired yet).
    pub messages: u64,
    /// Bytes of encrypted attachments stored.
    pub attachment_bytes: u64,
    /// Sockets open on the node that answered (0 when read from the database).
    pub sockets_open: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct AdminError {
    /// Machine-readable: `no_such_user`, `bad_request`, `line_too_long`, `timeout`,
    /// `busy`, `storage`.
    pub code: String,
    /// One line for a person.
    pub message: String,
}

impl AdminError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        AdminError {
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

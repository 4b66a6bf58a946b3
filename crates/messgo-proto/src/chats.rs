//! Chats, epochs and messages (docs/protocol.md).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{BlobId, Bytes, ChatId, MessageId, UserId};

/// Largest message ciphertext the server accepts.
pub const MAX_CIPHERTEXT: usize = 64 * 1024;
/// Most members a group may have.
pub const MAX_GROUP_MEMBERS: usize = 1000;
/// An epoch older than this must be replaced before the next message.
pub const EPOCH_MAX_AGE_MS: i64 = 24 * 3_600_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChatKind {
    Direct,
    Group,
    /// The user's own assistant chat (they are its only member).
    Assistant,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Member,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChatMember {
    pub user_id: UserId,
    pub username: String,
    pub role: Role,
    pub joined_at: i64,
    /// To wrap epoch keys to them and verify what they sign.
    pub x25519_public: Bytes,
    pub ed25519_public: Bytes,
}

/// Ciphertext sealed under an epoch key, signed by its author (docs/crypto.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Sealed {
    pub epoch: u32,
    /// Who sealed it (verify the signature with their key).
    pub sender: UserId,
    /// The id bound into the AAD.
    pub id: MessageId,
    pub nonce: Bytes,
    pub ciphertext: Bytes,
    pub signature: Bytes,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Chat {
    pub id: ChatId,
    pub kind: ChatKind,
    pub members: Vec<ChatMember>,
    pub epoch: u32,
    pub epoch_opened_at: i64,
    pub rotation_required: bool,
    pub seq: i64,
    pub meta: Option<Sealed>,
    pub created_at: i64,
    pub last_activity_at: i64,
    /// Your read position in this chat.
    pub last_read_seq: i64,
    /// Messages from others after your read position.
    pub unread: i64,
    /// Messages disappear this many seconds after they are sent (one of [`TIMERS`]).
    pub timer_secs: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChatsResponse {
    pub chats: Vec<Chat>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateChat {
    pub kind: ChatKind,
    /// Your contacts; a group holds at most 1,000 members, you included.
    #[cfg_attr(feature = "openapi", schema(max_items = 999))]
    pub members: Vec<UserId>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WrappedKey {
    pub user_id: UserId,
    pub wrapped: Bytes,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OpenEpoch {
    pub epoch: u32,
    pub keys: Vec<WrappedKey>,
    #[serde(default)]
    pub meta: Option<Sealed>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EpochOpened {
    pub epoch: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EpochKey {
    pub epoch: u32,
    pub wrapped: Bytes,
    pub opened_by: UserId,
    pub opened_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberBody {
    pub user_id: UserId,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MetaBody {
    pub meta: Sealed,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    #[default]
    Message,
    System,
    /// A reaction to its `target` (docs/protocol.md "Reactions and edits").
    Reaction,
    /// The new content of its `target`, which only the target's sender may send.
    Edit,
}

impl MessageKind {
    /// Whether this is the default kind (left out of a `Send`).
    pub fn is_message(&self) -> bool {
        *self == MessageKind::Message
    }
}

/// A system event in a chat: who did what, never content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SystemEvent {
    /// `created`, `joined`, `left`, `removed`, `promoted`, `renamed`, `timer`.
    pub event: String,
    pub by: UserId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    /// For `timer`: the new timer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Message {
    pub chat_id: ChatId,
    pub seq: i64,
    pub id: MessageId,
    pub sender: Option<UserId>,
    pub epoch: u32,
    pub kind: MessageKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<Bytes>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ciphertext: Option<Bytes>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<Bytes>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<SystemEvent>,
    pub created_at: i64,
    pub expires_at: i64,
    pub deleted: bool,
    /// The message a reaction or an edit is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<MessageId>,
    /// True on a message an edit replaced: its own content is erased, the edit
    /// holds it now.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub edited: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessagesResponse {
    pub messages: Vec<Message>,
}

/// A message to send, over the WebSocket (`type: send`) or REST.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SendMessage {
    pub chat_id: ChatId,
    pub id: MessageId,
    pub epoch: u32,
    pub nonce: Bytes,
    pub ciphertext: Bytes,
    pub signature: Bytes,
    /// Attachments this message carries (uploaded to the same chat, at most 20):
    /// they then live and die with the message. Their keys are inside the ciphertext.
    #[cfg_attr(feature = "openapi", schema(max_items = 20))]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blobs: Vec<BlobId>,
    /// `message` (the default), `reaction` or `edit`; the last two name a `target`
    /// and carry no blobs.
    #[serde(default, skip_serializing_if = "MessageKind::is_message")]
    pub kind: MessageKind,
    /// The message of the same chat a reaction or an edit is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<MessageId>,
}

/// Most attachments one message may carry (10 images, each with a thumbnail).
pub const MAX_BLOBS_PER_MESSAGE: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BlobUploaded {
    pub id: BlobId,
    pub size: i64,
    /// An hour from now, unless a message takes the blob first.
    pub expires_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ack {
    pub chat_id: ChatId,
    pub id: MessageId,
    pub seq: i64,
    /// The stored message's times, so a sender that is not sent its own message back
    /// (the socket it came from) knows all of it from what it sent and this.
    pub created_at: i64,
    pub expires_at: i64,
}

/// Last sequence number seen per chat.
pub type ResumePoints = BTreeMap<ChatId, i64>;

/// The disappearing-message timers a chat may have: 5 minutes, 1 hour, 8 hours,
/// 1 day, 3 days. The server's retention caps them all.
pub const TIMERS: [i64; 5] = [300, 3_600, 28_800, 86_400, 259_200];
pub const DEFAULT_TIMER: i64 = 259_200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Settings {
    pub typing_indicators: bool,
    pub read_receipts: bool,
    /// The timer new chats start with.
    #[serde(default = "default_timer")]
    pub default_timer_secs: i64,
}

fn default_timer() -> i64 {
    DEFAULT_TIMER
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            typing_indicators: false,
            read_receipts: false,
            default_timer_secs: DEFAULT_TIMER,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimerBody {
    pub seconds: i64,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReadBody {
    pub seq: i64,
}

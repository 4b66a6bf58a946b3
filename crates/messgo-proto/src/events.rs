//! Server → client WebSocket frames (docs/api.md, "Real-time").

use serde::{Deserialize, Serialize};

use crate::{
    Ack, AskAssistant, Bytes, Chat, ChatId, Contact, IncomingRequest, Message, MessageId,
    OutgoingRequest, RequestId, ResumePoints, SendMessage, UserId,
};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type")]
pub enum ServerEvent {
    #[serde(rename = "pong")]
    Pong,
    #[serde(rename = "error")]
    Error { code: String, message: String },
    #[serde(rename = "request.received")]
    RequestReceived { request: IncomingRequest },
    #[serde(rename = "request.removed")]
    RequestRemoved { id: RequestId },
    #[serde(rename = "outgoing.added")]
    OutgoingAdded { request: OutgoingRequest },
    #[serde(rename = "outgoing.removed")]
    OutgoingRemoved { id: RequestId },
    #[serde(rename = "contact.added")]
    ContactAdded { contact: Contact },
    #[serde(rename = "contact.updated")]
    ContactUpdated { contact: Contact },
    #[serde(rename = "contact.removed")]
    ContactRemoved { user_id: UserId },
    #[serde(rename = "blocks.changed")]
    BlocksChanged,
    /// A piece of the assistant's answer, as the model writes it.
    #[serde(rename = "ai.delta")]
    AiDelta { request_id: String, text: String },
    #[serde(rename = "ai.done")]
    AiDone { request_id: String },
    /// The answer failed or was stopped; the message says why, for the chat.
    #[serde(rename = "ai.error")]
    AiError {
        request_id: String,
        code: String,
        message: String,
    },
    /// A `resume` named a point of `chat_id` before where this socket already
    /// started it (its messages of that chat began after `from`): the socket cannot
    /// go back without sending out of order, so the client reads the messages after
    /// its point up to `from` from the history.
    #[serde(rename = "resume.behind")]
    ResumeBehind { chat_id: ChatId, from: i64 },
    /// This socket's session was logged out or revoked; the socket closes next.
    #[serde(rename = "session.ended")]
    SessionEnded,
    #[serde(rename = "profile.updated")]
    ProfileUpdated {
        display_name: Option<String>,
        bio: Option<String>,
        avatar_updated_at: Option<i64>,
    },
    #[serde(rename = "ack")]
    Ack(Ack),
    #[serde(rename = "nack")]
    Nack {
        chat_id: ChatId,
        id: MessageId,
        code: String,
        message: String,
    },
    #[serde(rename = "message")]
    Message { message: Message },
    #[serde(rename = "message.deleted")]
    MessageDeleted { chat_id: ChatId, seq: i64 },
    #[serde(rename = "chat.updated")]
    ChatUpdated { chat: Chat },
    #[serde(rename = "chat.removed")]
    ChatRemoved { chat_id: ChatId },
    #[serde(rename = "epoch.opened")]
    EpochOpened {
        chat_id: ChatId,
        epoch: u32,
        wrapped: Bytes,
    },
    /// Your own read position moved (from another of your sessions).
    #[serde(rename = "chat.read")]
    ChatRead { chat_id: ChatId, seq: i64 },
    /// A member who, like you, shares read receipts read up to `seq`.
    #[serde(rename = "read")]
    Read {
        chat_id: ChatId,
        user_id: UserId,
        seq: i64,
    },
    #[serde(rename = "typing")]
    Typing { chat_id: ChatId, user_id: UserId },
}

/// Client → server frames.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type")]
pub enum ClientFrame {
    #[serde(rename = "ping")]
    Ping,
    #[serde(rename = "send")]
    Send(SendMessage),
    #[serde(rename = "resume")]
    Resume {
        #[cfg_attr(feature = "openapi", schema(inline))]
        chats: ResumePoints,
    },
    #[serde(rename = "typing")]
    Typing { chat_id: ChatId },
    #[serde(rename = "ai.ask")]
    AiAsk(AskAssistant),
    #[serde(rename = "ai.stop")]
    AiStop { request_id: String },
}

impl ClientFrame {
    /// Decodes a client frame, as the server does with every text frame. Sends are
    /// nearly every frame under load, and serde's internally tagged enums buffer the
    /// whole object before choosing the variant; a frame that starts with the send tag
    /// goes straight to its struct instead (the extra `type` key is ignored there).
    /// The fuzz target `client_frame` checks that this reads what the generic decode
    /// reads.
    pub fn parse(text: &str) -> serde_json::Result<ClientFrame> {
        if text.starts_with(r#"{"type":"send","#) {
            return serde_json::from_str(text).map(ClientFrame::Send);
        }
        serde_json::from_str(text)
    }
}

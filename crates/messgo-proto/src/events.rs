//! Server → client WebSocket frames (docs/api.md, "Real-time").

use serde::{Deserialize, Serialize};

use crate::{Contact, IncomingRequest, OutgoingRequest, RequestId, UserId};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
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
    #[serde(rename = "profile.updated")]
    ProfileUpdated { display_name: Option<String> },
}

/// Client → server frames.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "type")]
pub enum ClientFrame {
    #[serde(rename = "ping")]
    Ping,
}

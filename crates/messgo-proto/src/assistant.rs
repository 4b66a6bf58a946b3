//! The personal assistant: what a client asks and what the server relays back.

use serde::{Deserialize, Serialize};

use crate::ChatId;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssistantInfo {
    /// Whether this server has a model configured at all.
    pub configured: bool,
    /// The model's name, shown in the banner ("processed by …").
    pub model: Option<String>,
    /// The user's assistant chat (E2E-encrypted at rest; the user is its only member).
    pub chat_id: ChatId,
}

/// One turn of context, in the OpenAI chat format: `content` is a string, or parts
/// (`{"type":"text","text":…}`, `{"type":"image_url","image_url":{"url":"data:…"}}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Turn {
    pub role: String,
    pub content: serde_json::Value,
}

/// `ai.ask`: the recent turns (decrypted by the client) ending with the new question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AskAssistant {
    /// Chosen by the client, to match the streamed answer and to stop it.
    pub request_id: String,
    pub messages: Vec<Turn>,
}

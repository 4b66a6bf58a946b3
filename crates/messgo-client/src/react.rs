//! Reacting to and editing messages (docs/protocol.md "Reactions and edits"): the
//! target is named both to the server (`target`, which it needs for its rules) and
//! inside the sealed plaintext, which receivers compare (`content.rs`).

use messgo_proto::{Ack, ChatId, MessageId};

use crate::chats::Sealing;
use crate::content::{ReactionPlain, MAX_EMOJI_BYTES};
use crate::{Client, ClientError, Keyring, Plaintext, Result};

impl Keyring<'_> {
    /// Reacts with `emoji` to message `target` of `chat`. Un-reacting is deleting
    /// the reaction's message ([`Client::delete_message`]).
    pub async fn send_reaction(
        &mut self,
        client: &Client,
        chat: ChatId,
        target: MessageId,
        emoji: &str,
        now_ms: i64,
    ) -> Result<Ack> {
        if emoji.is_empty() || emoji.len() > MAX_EMOJI_BYTES {
            return Err(ClientError::Refused(format!(
                "a reaction is one emoji of at most {MAX_EMOJI_BYTES} bytes"
            )));
        }
        let r = ReactionPlain {
            emoji: emoji.to_owned(),
            target,
        };
        self.send_sealed(client, chat, now_ms, Sealing::Reaction(&r))
            .await
    }

    /// Replaces the content of one's own message `target` with `plain` (the whole
    /// new document: text, files, reply, mentions; no timer).
    pub async fn send_edit(
        &mut self,
        client: &Client,
        chat: ChatId,
        target: MessageId,
        plain: &Plaintext,
        now_ms: i64,
    ) -> Result<Ack> {
        let edit = Plaintext {
            target: Some(target),
            timer: None,
            ..plain.clone()
        };
        self.send_sealed(client, chat, now_ms, Sealing::Plain(&edit))
            .await
    }
}

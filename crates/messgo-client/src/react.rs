//! Reacting to and editing messages (docs/protocol.md "Reactions and edits"): the
//! target is named both to the server (`target`, which it needs for its rules) and
//! inside the sealed plaintext, which receivers compare (`content.rs`).

use messgo_proto::{Ack, ChatId, MessageId, MessageKind};

use crate::content::{self, ReactionPlain, MAX_EMOJI_BYTES};
use crate::{Client, ClientError, Keyring, Plaintext, Result};

/// What [`Keyring::send_sealed`] seals.
#[derive(Clone, Copy)]
pub(crate) enum Sealing<'p> {
    /// A message, or an edit (a plaintext with `target`).
    Plain(&'p Plaintext),
    Reaction(&'p content::ReactionPlain),
}

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

    /// Seals and sends over REST, opening a new epoch first when the chat needs one
    /// (and once more if the server says the epoch went stale meanwhile).
    pub(crate) async fn send_sealed(
        &mut self,
        client: &Client,
        chat: ChatId,
        now_ms: i64,
        what: Sealing<'_>,
    ) -> Result<Ack> {
        let id = MessageId::new_v7();
        for _ in 0..2 {
            let current = client.chat(chat).await?;
            let epoch = self.ensure_epoch(client, &current, now_ms).await?;
            let m = match what {
                Sealing::Plain(plain) => {
                    self.seal_plaintext(client, chat, epoch, id, plain).await?
                }
                Sealing::Reaction(r) => {
                    let bytes = serde_json::to_vec(r).expect("reaction serializes");
                    let mut m = self.seal_bytes(client, chat, epoch, id, &bytes).await?;
                    m.kind = MessageKind::Reaction;
                    m.target = Some(r.target);
                    m
                }
            };
            match client.send_message(&m).await {
                Err(e) if e.code() == Some("epoch_stale") || e.code() == Some("epoch_conflict") => {
                    continue
                }
                other => return other,
            }
        }
        Err(ClientError::Refused(
            "the chat's epoch kept changing".into(),
        ))
    }
}

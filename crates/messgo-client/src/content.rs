//! What a message's plaintext holds, by its kind (docs/crypto.md "Messages"), and
//! what a receiver makes of it: a message, a reaction, or an edit, the last two
//! shown only when the `target` sealed inside is the one the server gave (so a
//! server cannot move a reaction or make an edit replace another message).

use messgo_proto::{MessageId, MessageKind, UserId};
use serde::{Deserialize, Serialize};

use crate::{ClientError, FileEntry, Result};

/// Most people one message may mention.
pub const MAX_MENTIONS: usize = 50;
/// Longest emoji a reaction carries, in bytes.
pub const MAX_EMOJI_BYTES: usize = 32;

/// The message a reply quotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    pub id: MessageId,
}

/// A message's plaintext, and an edit's (then with `target`, without `timer`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plaintext {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timer: Option<i64>,
    /// Attachments (docs/crypto.md, "Attachments").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<FileEntry>,
    /// Only in the assistant chat: `user` or `assistant`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<Reply>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<UserId>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub forwarded: bool,
    /// An edit's: the message it replaces the content of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<MessageId>,
}

impl Plaintext {
    pub fn text(text: &str) -> Plaintext {
        Plaintext {
            text: text.to_owned(),
            ..Plaintext::default()
        }
    }
}

/// A reaction's plaintext.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReactionPlain {
    pub emoji: String,
    pub target: MessageId,
}

/// What an opened message is about, beyond its own content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum About {
    /// A message of its own.
    Message,
    /// `emoji` on message `target`.
    Reaction { target: MessageId, emoji: String },
    /// The new content of message `target`.
    Edit { target: MessageId },
}

/// A decrypted, verified message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    pub seq: i64,
    pub id: MessageId,
    pub sender: UserId,
    pub text: String,
    pub files: Vec<FileEntry>,
    pub reply: Option<MessageId>,
    pub mentions: Vec<UserId>,
    pub forwarded: bool,
    pub about: About,
}

fn refused(what: &str) -> ClientError {
    ClientError::Refused(what.to_owned())
}

/// Reads `plain` as a message of `kind` whose server-given target is `target`.
pub fn read(
    kind: MessageKind,
    target: Option<MessageId>,
    plain: &[u8],
) -> Result<(Plaintext, About)> {
    let parse = |e: serde_json::Error| ClientError::Refused(format!("plaintext: {e}"));
    match kind {
        MessageKind::Message => {
            let p: Plaintext = serde_json::from_slice(plain).map_err(parse)?;
            Ok((p, About::Message))
        }
        MessageKind::Reaction => {
            let r: ReactionPlain = serde_json::from_slice(plain).map_err(parse)?;
            if Some(r.target) != target {
                return Err(refused("the reaction's sealed target is not the server's"));
            }
            if r.emoji.is_empty() || r.emoji.len() > MAX_EMOJI_BYTES {
                return Err(refused("a reaction holds one emoji of at most 32 bytes"));
            }
            let about = About::Reaction {
                target: r.target,
                emoji: r.emoji,
            };
            Ok((Plaintext::default(), about))
        }
        MessageKind::Edit => {
            let p: Plaintext = serde_json::from_slice(plain).map_err(parse)?;
            match (p.target, target) {
                (Some(sealed), Some(given)) if sealed == given => {
                    Ok((p, About::Edit { target: given }))
                }
                _ => Err(refused("the edit's sealed target is not the server's")),
            }
        }
        MessageKind::System => Err(refused("not a readable message")),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_reaction_or_edit_moved_by_the_server_is_refused() {
        let (a, b) = (MessageId::random(), MessageId::random());
        let reaction = serde_json::to_vec(&ReactionPlain {
            emoji: "👍".into(),
            target: a,
        })
        .unwrap();
        assert!(read(MessageKind::Reaction, Some(a), &reaction).is_ok());
        assert!(read(MessageKind::Reaction, Some(b), &reaction).is_err());
        let edit = serde_json::to_vec(&Plaintext {
            target: Some(a),
            ..Plaintext::text("new")
        })
        .unwrap();
        assert_eq!(
            read(MessageKind::Edit, Some(a), &edit).unwrap().1,
            About::Edit { target: a }
        );
        assert!(read(MessageKind::Edit, Some(b), &edit).is_err());
        assert!(read(MessageKind::Edit, None, &edit).is_err());
        let long = serde_json::to_vec(&ReactionPlain {
            emoji: "x".repeat(33),
            target: a,
        })
        .unwrap();
        assert!(read(MessageKind::Reaction, Some(a), &long).is_err());
    }

    #[test]
    fn a_plain_message_reads_its_reply_mentions_and_forwarded() {
        let (r, u) = (MessageId::random(), UserId::random());
        let json = format!(
            r#"{{"text":"hi","reply":{{"id":"{r}"}},"mentions":["{u}"],"forwarded":true}}"#
        );
        let (p, about) = read(MessageKind::Message, None, json.as_bytes()).unwrap();
        assert_eq!(about, About::Message);
        assert_eq!(
            (p.reply, p.mentions, p.forwarded),
            (Some(Reply { id: r }), vec![u], true)
        );
    }
}

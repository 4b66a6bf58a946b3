//! Replies, reactions and edits in `messgo chat` (docs/protocol.md "Reactions and
//! edits"): messages named by the sequence number `history` prints, and `history`
//! itself, which shows each message's latest edit in its place, the quote of what
//! it replies to, and the reactions under it.

use std::collections::HashMap;

use anyhow::{anyhow, bail};
use messgo_client::{About, Client, Keyring, Opened, Plaintext, Reply};
use messgo_proto::{Chat, MessageId, MessageKind};

use crate::chat::{direct_chat_with, now_ms};
use crate::chat_files;

/// What a chat's history holds, opened: the messages in order, and each target's
/// latest edit and reactions.
pub struct Opening {
    messages: Vec<Opened>,
    edits: HashMap<MessageId, Opened>,
    reactions: HashMap<MessageId, Vec<Opened>>,
}

/// Reads and opens the chat's history (its latest 200 entries): what does not open
/// (or names a target other than the server's) is left out.
pub async fn open_history(
    client: &Client,
    keys: &mut Keyring<'_>,
    chat: &Chat,
) -> anyhow::Result<Opening> {
    let mut h = Opening {
        messages: Vec::new(),
        edits: HashMap::new(),
        reactions: HashMap::new(),
    };
    for m in client.messages(chat.id, None, Some(0), 200).await? {
        let Ok(o) = keys.open(client, chat, &m).await else {
            if let (MessageKind::Message, true, false, Some(sender)) =
                (m.kind, m.edited, m.deleted, m.sender)
            {
                // Its content now lives in its latest edit.
                h.messages.push(placeholder(&m, sender));
            }
            continue;
        };
        match o.about.clone() {
            About::Message => h.messages.push(o),
            About::Edit { target } => {
                let newer = h.edits.get(&target).is_none_or(|e| e.seq < o.seq);
                if newer {
                    h.edits.insert(target, o);
                }
            }
            About::Reaction { target, .. } => h.reactions.entry(target).or_default().push(o),
        }
    }
    Ok(h)
}

/// An edited message, whose own content is erased.
fn placeholder(m: &messgo_proto::Message, sender: messgo_proto::UserId) -> Opened {
    Opened {
        seq: m.seq,
        id: m.id,
        sender,
        text: String::new(),
        files: Vec::new(),
        reply: None,
        mentions: Vec::new(),
        forwarded: false,
        about: About::Message,
    }
}

impl Opening {
    /// The message shown as number `seq` (a message, not a reaction or an edit).
    pub fn at(&self, seq: i64) -> anyhow::Result<&Opened> {
        self.messages
            .iter()
            .find(|m| m.seq == seq)
            .ok_or_else(|| anyhow!("no message #{seq} in this chat (see `history`)"))
    }

    /// What a message says now: its latest edit, or itself.
    pub fn current<'a>(&'a self, m: &'a Opened) -> &'a Opened {
        self.edits.get(&m.id).unwrap_or(m)
    }

    /// The reactions on `target` by `who` with `emoji`.
    pub fn reactions_by(
        &self,
        target: MessageId,
        who: messgo_proto::UserId,
        emoji: &str,
    ) -> Vec<MessageId> {
        let on = self
            .reactions
            .get(&target)
            .map(Vec::as_slice)
            .unwrap_or_default();
        on.iter()
            .filter(|r| {
                r.sender == who
                    && matches!(&r.about, About::Reaction { emoji: e, .. } if e == emoji)
            })
            .map(|r| r.id)
            .collect()
    }

    /// The lines `history` prints.
    pub fn lines(&self, chat: &Chat) -> Vec<String> {
        let name = |id| {
            chat.members
                .iter()
                .find(|x| x.user_id == id)
                .map_or("?", |x| x.username.as_str())
        };
        let mut out = Vec::new();
        for m in &self.messages {
            let now = self.current(m);
            if let Some(reply) = now.reply {
                out.push(format!("  ↪ {}", self.quote(reply)));
            }
            let edited = if self.edits.contains_key(&m.id) {
                " (edited)"
            } else {
                ""
            };
            out.push(format!(
                "{} {}: {}{edited}",
                m.seq,
                name(m.sender),
                chat_files::describe(now)
            ));
            if let Some(line) = self.reaction_line(m.id) {
                out.push(format!("  {line}"));
            }
        }
        out
    }

    /// `to #N: first line` of the receiver's own copy of a replied-to message.
    fn quote(&self, id: MessageId) -> String {
        match self.messages.iter().find(|m| m.id == id) {
            Some(m) => {
                let text = &self.current(m).text;
                format!("to #{}: {}", m.seq, text.lines().next().unwrap_or_default())
            }
            None => "to a message you no longer have".into(),
        }
    }

    /// `👍 2  🎉 1`, in the order the emoji first came.
    fn reaction_line(&self, id: MessageId) -> Option<String> {
        let mut counts: Vec<(String, usize)> = Vec::new();
        for r in self.reactions.get(&id)? {
            if let About::Reaction { emoji, .. } = &r.about {
                match counts.iter_mut().find(|(e, _)| e == emoji) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((emoji.clone(), 1)),
                }
            }
        }
        let parts: Vec<String> = counts.iter().map(|(e, n)| format!("{e} {n}")).collect();
        (!parts.is_empty()).then(|| parts.join("  "))
    }
}

/// `send --reply-to SEQ`: the plaintext of a reply to message `seq`.
pub fn reply_to(h: &Opening, seq: i64, text: String) -> anyhow::Result<Plaintext> {
    let target = h.at(seq)?;
    Ok(Plaintext {
        text,
        reply: Some(Reply { id: target.id }),
        ..Plaintext::default()
    })
}

/// `edit --seq N TEXT`: the new document, with the message's files, reply and
/// mentions as they now are.
pub fn edited(h: &Opening, seq: i64, text: String) -> anyhow::Result<(MessageId, Plaintext)> {
    let m = h.at(seq)?;
    let now = h.current(m);
    let plain = Plaintext {
        text,
        files: now.files.clone(),
        reply: now.reply.map(|id| Reply { id }),
        mentions: now.mentions.clone(),
        ..Plaintext::default()
    };
    Ok((m.id, plain))
}

/// `react --remove`: deletes one's reactions of `emoji` on message `seq`.
pub async fn unreact(
    client: &Client,
    chat: &Chat,
    h: &Opening,
    seq: i64,
    me: messgo_proto::UserId,
    emoji: &str,
) -> anyhow::Result<usize> {
    let target = h.at(seq)?.id;
    let mine = h.reactions_by(target, me, emoji);
    if mine.is_empty() {
        bail!("you have not reacted {emoji} to #{seq}");
    }
    for id in &mine {
        client.delete_message(chat.id, *id).await?;
    }
    Ok(mine.len())
}

/// `messgo chat react`: reacts to message `seq` of the chat with `to`, or (`remove`)
/// takes one's reactions of that emoji back.
pub async fn react(
    client: &Client,
    keys: &mut Keyring<'_>,
    to: &str,
    seq: i64,
    remove: bool,
    emoji: &str,
) -> anyhow::Result<()> {
    let chat = direct_chat_with(client, to).await?;
    let h = open_history(client, keys, &chat).await?;
    if remove {
        let me = client.me().await?.user_id;
        let n = unreact(client, &chat, &h, seq, me, emoji).await?;
        println!("removed {n} reaction(s)");
    } else {
        let target = h.at(seq)?.id;
        let ack = keys
            .send_reaction(client, chat.id, target, emoji, now_ms())
            .await?;
        println!("sent seq {}", ack.seq);
    }
    Ok(())
}

/// `messgo chat edit`: replaces the text of one's message `seq`.
pub async fn edit(
    client: &Client,
    keys: &mut Keyring<'_>,
    to: &str,
    seq: i64,
    text: String,
) -> anyhow::Result<()> {
    let chat = direct_chat_with(client, to).await?;
    let h = open_history(client, keys, &chat).await?;
    let (target, plain) = edited(&h, seq, text)?;
    let ack = keys
        .send_edit(client, chat.id, target, &plain, now_ms())
        .await?;
    println!("sent seq {}", ack.seq);
    Ok(())
}

//! Chats with end-to-end encryption: epoch keys wrapped to members with HPKE,
//! messages sealed and signed exactly as the browser does (docs/crypto.md).

use std::collections::HashMap;

use messgo_crypto::{chatkey, message};
use messgo_proto::{
    Ack, Chat, ChatId, ChatKind, ChatsResponse, CreateChat, EpochKey, EpochOpened, MemberBody,
    Message, MessageId, MessageKind, MessagesResponse, OpenEpoch, SendMessage, UserId, WrappedKey,
    EPOCH_MAX_AGE_MS,
};
use rand::RngCore;
use reqwest::Method;
use serde::Serialize;

use crate::content::{self, Opened, Plaintext};
use crate::{Client, ClientError, Identity, Result};

impl Client {
    pub async fn chats(&self) -> Result<Vec<Chat>> {
        Ok(self.get::<ChatsResponse>("/api/chats").await?.chats)
    }

    pub async fn chat(&self, id: ChatId) -> Result<Chat> {
        self.get(&format!("/api/chats/{id}")).await
    }

    pub async fn create_group(&self, members: &[UserId]) -> Result<Chat> {
        let body = CreateChat {
            kind: ChatKind::Group,
            members: members.to_vec(),
        };
        self.send(Method::POST, "/api/chats", &body).await
    }

    pub async fn open_epoch(&self, chat: ChatId, body: &OpenEpoch) -> Result<EpochOpened> {
        self.send(Method::POST, &format!("/api/chats/{chat}/epochs"), body)
            .await
    }

    pub async fn epoch_key(&self, chat: ChatId, epoch: u32) -> Result<EpochKey> {
        self.get(&format!("/api/chats/{chat}/keys?epoch={epoch}"))
            .await
    }

    pub async fn add_member(&self, chat: ChatId, user: UserId) -> Result<()> {
        self.send_empty(
            Method::POST,
            &format!("/api/chats/{chat}/members"),
            &MemberBody { user_id: user },
        )
        .await
    }

    pub async fn remove_member(&self, chat: ChatId, user: UserId) -> Result<()> {
        self.delete(&format!("/api/chats/{chat}/members/{user}"))
            .await
    }

    pub async fn promote(&self, chat: ChatId, user: UserId) -> Result<()> {
        self.send_empty(
            Method::POST,
            &format!("/api/chats/{chat}/admins"),
            &MemberBody { user_id: user },
        )
        .await
    }

    /// Newest first below `before`, or oldest first above `after`.
    pub async fn messages(
        &self,
        chat: ChatId,
        before: Option<i64>,
        after: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Message>> {
        let mut path = format!("/api/chats/{chat}/messages?limit={limit}");
        if let Some(b) = before {
            path += &format!("&before={b}");
        }
        if let Some(a) = after {
            path += &format!("&after={a}");
        }
        Ok(self.get::<MessagesResponse>(&path).await?.messages)
    }

    pub async fn send_message(&self, m: &SendMessage) -> Result<Ack> {
        #[derive(Serialize)]
        struct Body<'a> {
            id: MessageId,
            epoch: u32,
            nonce: &'a messgo_proto::Bytes,
            ciphertext: &'a messgo_proto::Bytes,
            signature: &'a messgo_proto::Bytes,
            #[serde(skip_serializing_if = "<[_]>::is_empty")]
            blobs: &'a [messgo_proto::BlobId],
            #[serde(skip_serializing_if = "MessageKind::is_message")]
            kind: MessageKind,
            #[serde(skip_serializing_if = "Option::is_none")]
            target: Option<MessageId>,
        }
        let body = Body {
            id: m.id,
            epoch: m.epoch,
            nonce: &m.nonce,
            ciphertext: &m.ciphertext,
            signature: &m.signature,
            blobs: &m.blobs,
            kind: m.kind,
            target: m.target,
        };
        self.send(
            Method::POST,
            &format!("/api/chats/{}/messages", m.chat_id),
            &body,
        )
        .await
    }

    pub async fn assistant(&self) -> Result<messgo_proto::AssistantInfo> {
        self.get("/api/assistant").await
    }

    pub async fn set_timer(&self, chat: ChatId, seconds: i64) -> Result<()> {
        self.send_empty(
            Method::PUT,
            &format!("/api/chats/{chat}/timer"),
            &messgo_proto::TimerBody { seconds },
        )
        .await
    }

    pub async fn mark_read(&self, chat: ChatId, seq: i64) -> Result<()> {
        self.send_empty(
            Method::POST,
            &format!("/api/chats/{chat}/read"),
            &messgo_proto::ReadBody { seq },
        )
        .await
    }

    pub async fn settings(&self) -> Result<messgo_proto::Settings> {
        self.get("/api/settings").await
    }

    pub async fn set_settings(&self, s: messgo_proto::Settings) -> Result<messgo_proto::Settings> {
        self.send(Method::PUT, "/api/settings", &s).await
    }

    pub async fn delete_message(&self, chat: ChatId, id: MessageId) -> Result<()> {
        self.delete(&format!("/api/chats/{chat}/messages/{id}"))
            .await
    }
}

impl Client {
    /// Opens the chat's next epoch under a fresh key, HPKE-wrapped for each current
    /// member; returns the epoch and its key.
    pub async fn open_next_epoch(&self, chat: &Chat) -> Result<(u32, [u8; 32])> {
        let epoch = chat.epoch + 1;
        let key: [u8; 32] = random();
        let mut keys = Vec::with_capacity(chat.members.len());
        for m in &chat.members {
            let wrapped = chatkey::wrap(
                &bytes32(m.x25519_public.as_slice())?,
                chat.id.as_bytes(),
                epoch,
                &key,
                &mut rand::rngs::OsRng,
            )?;
            keys.push(WrappedKey {
                user_id: m.user_id,
                wrapped: wrapped.into(),
            });
        }
        let body = OpenEpoch {
            epoch,
            keys,
            meta: None,
        };
        self.open_epoch(chat.id, &body).await?;
        Ok((epoch, key))
    }
}

/// What [`Keyring::send_sealed`] seals.
#[derive(Clone, Copy)]
pub(crate) enum Sealing<'p> {
    /// A message, or an edit (a plaintext with `target`).
    Plain(&'p Plaintext),
    Reaction(&'p content::ReactionPlain),
}

/// A user's epoch keys, fetched and unwrapped as needed.
pub struct Keyring<'a> {
    pub(crate) identity: &'a Identity,
    keys: HashMap<(ChatId, u32), [u8; 32]>,
}

fn random<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b
}

fn bytes32(b: &[u8]) -> Result<[u8; 32]> {
    b.try_into()
        .map_err(|_| ClientError::Refused("a key has the wrong length".into()))
}

impl<'a> Keyring<'a> {
    pub fn new(identity: &'a Identity) -> Self {
        Keyring {
            identity,
            keys: HashMap::new(),
        }
    }

    /// Opens the next epoch for the chat's current members, unless the current one
    /// is still good. Returns the epoch to send under.
    pub async fn ensure_epoch(&mut self, client: &Client, chat: &Chat, now_ms: i64) -> Result<u32> {
        let fresh = chat.epoch > 0
            && !chat.rotation_required
            && now_ms - chat.epoch_opened_at <= EPOCH_MAX_AGE_MS;
        if fresh {
            return Ok(chat.epoch);
        }
        self.open_next(client, chat).await
    }

    pub async fn open_next(&mut self, client: &Client, chat: &Chat) -> Result<u32> {
        let (epoch, key) = client.open_next_epoch(chat).await?;
        self.keys.insert((chat.id, epoch), key);
        Ok(epoch)
    }

    pub async fn key(&mut self, client: &Client, chat: ChatId, epoch: u32) -> Result<[u8; 32]> {
        if let Some(k) = self.keys.get(&(chat, epoch)) {
            return Ok(*k);
        }
        let wrapped = client.epoch_key(chat, epoch).await?;
        let key = chatkey::unwrap(
            &self.identity.secrets.x25519,
            chat.as_bytes(),
            epoch,
            wrapped.wrapped.as_slice(),
        )?;
        self.keys.insert((chat, epoch), key);
        Ok(key)
    }

    pub async fn seal(
        &mut self,
        client: &Client,
        chat: ChatId,
        epoch: u32,
        id: MessageId,
        text: &str,
    ) -> Result<SendMessage> {
        self.seal_plaintext(client, chat, epoch, id, &Plaintext::text(text))
            .await
    }

    /// Seals a whole plaintext (text and files); `blobs` of the result lists the
    /// files' blobs and thumbnails, so the message takes them.
    pub async fn seal_plaintext(
        &mut self,
        client: &Client,
        chat: ChatId,
        epoch: u32,
        id: MessageId,
        plain: &Plaintext,
    ) -> Result<SendMessage> {
        let bytes = serde_json::to_vec(plain).expect("plaintext serializes");
        let mut m = self.seal_bytes(client, chat, epoch, id, &bytes).await?;
        m.blobs = plain
            .files
            .iter()
            .flat_map(|f| std::iter::once(f.blob).chain(f.thumb))
            .collect();
        if let Some(target) = plain.target {
            m.kind = MessageKind::Edit;
            m.target = Some(target);
        }
        Ok(m)
    }

    /// Seals `bytes` (a plaintext document of any kind) as a plain message.
    pub(crate) async fn seal_bytes(
        &mut self,
        client: &Client,
        chat: ChatId,
        epoch: u32,
        id: MessageId,
        bytes: &[u8],
    ) -> Result<SendMessage> {
        let key = self.key(client, chat, epoch).await?;
        let header = message::Header {
            chat_id: *chat.as_bytes(),
            epoch,
            sender_id: *self.identity.user_id().as_bytes(),
            message_id: *id.as_bytes(),
        };
        let sealed = message::seal(
            &key,
            &header,
            bytes,
            &self.identity.secrets.signing_key(),
            &random(),
        );
        Ok(SendMessage {
            chat_id: chat,
            id,
            epoch,
            nonce: sealed.nonce.to_vec().into(),
            ciphertext: sealed.ciphertext.into(),
            signature: sealed.signature.to_vec().into(),
            blobs: Vec::new(),
            kind: MessageKind::Message,
            target: None,
        })
    }

    /// Verifies against the sender's key as the chat lists it, then decrypts.
    pub async fn open(&mut self, client: &Client, chat: &Chat, m: &Message) -> Result<Opened> {
        let (Some(sender), Some(nonce), Some(ct), Some(sig)) =
            (m.sender, &m.nonce, &m.ciphertext, &m.signature)
        else {
            return Err(ClientError::Refused("not a readable message".into()));
        };
        let member = chat
            .members
            .iter()
            .find(|x| x.user_id == sender)
            .ok_or_else(|| ClientError::Refused("the sender is not a member".into()))?;
        let key = self.key(client, chat.id, m.epoch).await?;
        let header = message::Header {
            chat_id: *chat.id.as_bytes(),
            epoch: m.epoch,
            sender_id: *sender.as_bytes(),
            message_id: *m.id.as_bytes(),
        };
        let sealed = message::Sealed {
            nonce: nonce
                .as_slice()
                .try_into()
                .map_err(|_| ClientError::Refused("bad nonce".into()))?,
            ciphertext: ct.0.clone(),
            signature: sig
                .as_slice()
                .try_into()
                .map_err(|_| ClientError::Refused("bad signature".into()))?,
        };
        let plain = message::open(
            &key,
            &header,
            &sealed,
            &bytes32(member.ed25519_public.as_slice())?,
        )?;
        let (p, about) = content::read(m.kind, m.target, &plain)?;
        Ok(Opened {
            seq: m.seq,
            id: m.id,
            sender,
            text: p.text,
            files: p.files,
            reply: p.reply.map(|r| r.id),
            mentions: p.mentions,
            forwarded: p.forwarded,
            about,
        })
    }

    /// Sends `text` over REST, opening a new epoch first when the chat needs one
    /// (and once more if the server says the epoch went stale meanwhile).
    pub async fn send_text(
        &mut self,
        client: &Client,
        chat: ChatId,
        text: &str,
        now_ms: i64,
    ) -> Result<Ack> {
        self.send_plaintext(client, chat, &Plaintext::text(text), now_ms)
            .await
    }

    /// Like [`Keyring::send_text`] for a whole plaintext: its files' blobs must be
    /// complete uploads of this client's to this chat.
    pub async fn send_plaintext(
        &mut self,
        client: &Client,
        chat: ChatId,
        plain: &Plaintext,
        now_ms: i64,
    ) -> Result<Ack> {
        self.send_sealed(client, chat, now_ms, Sealing::Plain(plain))
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

//! The population a run needs: users, 1:1 pairs and groups, made the way users make
//! them. Against MessGo that is the real API (register, request, accept, create the
//! group, open an epoch with HPKE-wrapped keys); the Socket.IO peer has no accounts,
//! so there a user is a name and a chat is a room; Synapse's users register and
//! make and join rooms through its client-server API.

use std::sync::Arc;

use futures_util::{stream, StreamExt, TryStreamExt};
use messgo_client::{Client, Identity};
use messgo_crypto::{chatkey, message};
use messgo_proto::{Bytes, ChatId, ChatKind, UserId};
use rand::RngCore;
use uuid::Uuid;

use super::synapse;
use super::wire::{Login, Peer};
use super::BenchError;

/// Requests to the API in flight at once while setting up.
const SETUP_CONCURRENCY: usize = 16;

pub struct User {
    pub name: String,
    pub login: Login,
    /// Keys for sealing; Socket.IO users get fresh keys too, so both carry the same bytes.
    pub identity: Arc<messgo_crypto::bundle::IdentitySecrets>,
    pub id: Uuid,
}

/// A chat to send in: its id, members (indexes into the user list) and current
/// epoch key. The first member is the sender.
pub struct ChatPlan {
    pub id: Uuid,
    /// Where sends go: the chat id itself, or Synapse's room id.
    pub room: String,
    pub members: Vec<usize>,
    pub epoch: u32,
    pub key: [u8; 32],
}

fn random<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b
}

fn b64(b: &[u8]) -> String {
    Bytes(b.to_vec()).to_b64()
}

impl ChatPlan {
    /// A real sealed message (AES-256-GCM under the epoch key, signed with the
    /// sender's Ed25519 key), encoded for `peer`'s send frame.
    pub fn seal(&self, peer: Peer, sender: &User, id: Uuid, text: &str) -> String {
        let header = message::Header {
            chat_id: *self.id.as_bytes(),
            epoch: self.epoch,
            sender_id: *sender.id.as_bytes(),
            message_id: *id.as_bytes(),
        };
        let plain = serde_json::to_vec(&serde_json::json!({ "text": text })).expect("json");
        let s = message::seal(
            &self.key,
            &header,
            &plain,
            &sender.identity.signing_key(),
            &random(),
        );
        match peer {
            Peer::Messgo => format!(
                r#""epoch":{},"nonce":"{}","ciphertext":"{}","signature":"{}""#,
                self.epoch,
                b64(&s.nonce),
                b64(&s.ciphertext),
                b64(&s.signature)
            ),
            Peer::Socketio | Peer::Synapse => {
                b64(&[&s.nonce[..], &s.ciphertext, &s.signature].concat())
            }
        }
    }
}

/// Makes `n` users. `tag` keeps usernames unique across runs against one server.
pub async fn users(
    peer: Peer,
    base: &str,
    tag: u32,
    n: usize,
    progress: &indicatif::ProgressBar,
) -> Result<Vec<User>, BenchError> {
    progress.set_length(n as u64);
    progress.set_message("registering users");
    stream::iter(0..n)
        .map(|i| async move {
            let name = format!("bench{tag:08x}_{i}");
            let user = match peer {
                Peer::Messgo => {
                    let client = Client::new_without_keep_alive(base)?;
                    let Identity { me, secrets } = client.register_throwaway(&name).await?;
                    User {
                        name: name.clone(),
                        login: Login::Messgo(client),
                        identity: Arc::new(secrets),
                        id: me.user_id.0,
                    }
                }
                Peer::Socketio => keyed(
                    name.clone(),
                    Login::Socketio {
                        base: base.to_owned(),
                        user: name,
                        rooms: Vec::new(),
                    },
                ),
                Peer::Synapse => keyed(
                    name.clone(),
                    Login::Synapse(synapse::register(base, &name).await?),
                ),
            };
            progress.inc(1);
            Ok::<_, BenchError>(user)
        })
        .buffered(SETUP_CONCURRENCY)
        .try_collect()
        .await
}

/// A user of a peer: fresh keys, so its messages carry the same sealed bytes.
fn keyed(name: String, login: Login) -> User {
    User {
        name,
        login,
        identity: Arc::new(messgo_crypto::bundle::IdentitySecrets::generate(
            &mut rand::rngs::OsRng,
        )),
        id: Uuid::new_v4(),
    }
}

pub fn client(u: &User) -> &Client {
    match &u.login {
        Login::Messgo(c) => c,
        Login::Socketio { .. } | Login::Synapse(_) => {
            unreachable!("only MessGo users have clients")
        }
    }
}

fn account(u: &User) -> &synapse::Account {
    match &u.login {
        Login::Synapse(a) => a,
        Login::Messgo(_) | Login::Socketio { .. } => unreachable!("a Synapse user"),
    }
}

/// A plan for a chat of a peer, which keeps no keys: a fresh epoch key of its own.
fn peer_plan(room: Option<String>, members: Vec<usize>) -> ChatPlan {
    let id = Uuid::new_v4();
    ChatPlan {
        id,
        room: room.unwrap_or_else(|| id.to_string()),
        members,
        epoch: 1,
        key: random(),
    }
}

/// A Synapse room made by `members[0]` and joined by the rest, a few at a time.
async fn synapse_room(users: &[User], members: Vec<usize>) -> Result<ChatPlan, BenchError> {
    let room = account(&users[members[0]]).create_room().await?;
    stream::iter(&members[1..])
        .map(|&m| account(&users[m]).join(&room))
        .buffer_unordered(SETUP_CONCURRENCY)
        .try_collect::<()>()
        .await?;
    Ok(peer_plan(Some(room), members))
}

/// Connects `a` with each of `others` (a asks by username, the other accepts).
pub async fn connect(
    users: &[User],
    pairs: &[(usize, usize)],
    progress: &indicatif::ProgressBar,
) -> Result<(), BenchError> {
    progress.set_length(pairs.len() as u64);
    progress.set_position(0);
    progress.set_message("connecting users");
    stream::iter(pairs)
        .map(|&(a, b)| async move {
            let a_name = &users[a].name;
            let (a, b_name, b) = (client(&users[a]), &users[b].name, client(&users[b]));
            a.request_by_username(b_name).await?;
            // b may have other requests coming in at the same time: take a's.
            let incoming = b.requests().await?.incoming;
            let req = incoming
                .iter()
                .find(|r| &r.from.username == a_name)
                .ok_or_else(|| BenchError::Protocol("the request did not arrive".into()))?;
            b.accept(req.id).await?;
            progress.inc(1);
            Ok::<_, BenchError>(())
        })
        .buffer_unordered(SETUP_CONCURRENCY)
        .try_collect()
        .await
}

/// The direct chat each pair got when it connected, with an epoch opened by its
/// first member.
pub async fn direct_chats(
    peer: Peer,
    users: &[User],
    pairs: &[(usize, usize)],
) -> Result<Vec<ChatPlan>, BenchError> {
    stream::iter(pairs)
        .map(|&(a, b)| async move {
            match peer {
                Peer::Socketio => Ok(peer_plan(None, vec![a, b])),
                Peer::Synapse => synapse_room(users, vec![a, b]).await,
                Peer::Messgo => {
                    let owner = client(&users[a]);
                    let other = UserId(users[b].id);
                    let chat = owner
                        .chats()
                        .await?
                        .into_iter()
                        .find(|c| {
                            c.kind == ChatKind::Direct
                                && c.members.iter().any(|m| m.user_id == other)
                        })
                        .ok_or_else(|| {
                            BenchError::Protocol("the pair has no direct chat".into())
                        })?;
                    let (epoch, key) = owner.open_next_epoch(&chat).await?;
                    Ok(ChatPlan {
                        id: chat.id.0,
                        room: chat.id.0.to_string(),
                        members: vec![a, b],
                        epoch,
                        key,
                    })
                }
            }
        })
        .buffered(SETUP_CONCURRENCY)
        .try_collect()
        .await
}

/// A group of `members` (the first is its admin and already connected to the rest).
pub async fn group(
    peer: Peer,
    users: &[User],
    members: Vec<usize>,
) -> Result<ChatPlan, BenchError> {
    match peer {
        Peer::Socketio => Ok(peer_plan(None, members)),
        Peer::Synapse => synapse_room(users, members).await,
        Peer::Messgo => {
            let owner = client(&users[members[0]]);
            let ids: Vec<UserId> = members[1..].iter().map(|&m| UserId(users[m].id)).collect();
            let chat = owner.create_group(&ids).await?;
            let (epoch, key) = owner.open_next_epoch(&chat).await?;
            Ok(ChatPlan {
                id: chat.id.0,
                room: chat.id.0.to_string(),
                members,
                epoch,
                key,
            })
        }
    }
}

/// The Socket.IO login of `user` joining `rooms`; MessGo's login is its session.
pub fn login_for(user: &User, rooms: &[Uuid]) -> Login {
    match &user.login {
        Login::Messgo(c) => Login::Messgo(c.clone()),
        Login::Synapse(a) => Login::Synapse(a.clone()),
        Login::Socketio { base, user, .. } => Login::Socketio {
            base: base.clone(),
            user: user.clone(),
            rooms: rooms.iter().map(Uuid::to_string).collect(),
        },
    }
}

/// The last sequence number of `chat`, as its first member sees it (MessGo only).
pub async fn chat_seq(users: &[User], plan: &ChatPlan) -> Result<i64, BenchError> {
    Ok(client(&users[plan.members[0]])
        .chat(ChatId(plan.id))
        .await?
        .seq)
}

/// Opens one delivered message of `plan` from the recipient's history with the
/// recipient's copy of the key and the sender's public key: proof that what went
/// through the server is a real end-to-end payload.
pub async fn verify_one(users: &[User], plan: &ChatPlan, text: &str) -> Result<(), BenchError> {
    let reader = client(&users[plan.members[1]]);
    // Newest first: the last message the run sent.
    let page = reader.messages(ChatId(plan.id), None, None, 1).await?;
    let m = page
        .first()
        .ok_or_else(|| BenchError::Protocol("no message to verify".into()))?;
    let wrapped = reader.epoch_key(ChatId(plan.id), m.epoch).await?;
    let reader_secrets = &users[plan.members[1]].identity;
    let key = chatkey::unwrap(
        &reader_secrets.x25519,
        plan.id.as_bytes(),
        m.epoch,
        wrapped.wrapped.as_slice(),
    )?;
    let sender = &users[plan.members[0]];
    let header = message::Header {
        chat_id: *plan.id.as_bytes(),
        epoch: m.epoch,
        sender_id: *sender.id.as_bytes(),
        message_id: *m.id.as_bytes(),
    };
    let missing = || BenchError::Protocol("the stored message lacks a field".into());
    let sealed = message::Sealed {
        nonce: m
            .nonce
            .as_ref()
            .ok_or_else(missing)?
            .as_slice()
            .try_into()
            .map_err(|_| missing())?,
        ciphertext: m.ciphertext.as_ref().ok_or_else(missing)?.0.clone(),
        signature: m
            .signature
            .as_ref()
            .ok_or_else(missing)?
            .as_slice()
            .try_into()
            .map_err(|_| missing())?,
    };
    let plain = message::open(&key, &header, &sealed, &sender.identity.ed25519_public())?;
    let v: serde_json::Value =
        serde_json::from_slice(&plain).map_err(|e| BenchError::Protocol(e.to_string()))?;
    if v["text"] != text {
        return Err(BenchError::Protocol(
            "a delivered message did not open to what was sent".into(),
        ));
    }
    Ok(())
}

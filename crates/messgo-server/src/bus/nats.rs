//! The bus across server nodes. Each node delivers to its own sockets at once,
//! through its [`LocalBus`], and sends the same event over NATS for the other nodes,
//! which hand it to theirs. So this node's sockets, and the acks of what they send,
//! never wait on NATS, nor stop when it is down.
//!
//! Subjects: `messgo.m` carries a chat's committed messages, once each whoever the
//! members are (each node's order stage puts them in sequence with its own);
//! `messgo.u.<user>` carries other frames for a user, `messgo.end.<user>` the
//! sessions to end. Every node listens to all three; a node without sockets of
//! that user simply drops the frame, and a node drops what it published itself (the
//! `Messgo-Node` header names the sender).
//!
//! The socket a message came from is always on the node that publishes it, so the
//! ack that socket gets in the message's place never crosses NATS.

use std::sync::Arc;

use async_nats::HeaderMap;
use futures_util::StreamExt;
use messgo_proto::{SessionId, UserId};
use tokio::sync::{mpsc, watch};

use super::{Bus, ChatMessage, Ending, LocalBus, Origin, Shared, Step, Subscription};

const MESSAGES: &str = "messgo.m";
const USER_PREFIX: &str = "messgo.u.";
const END_PREFIX: &str = "messgo.end.";
/// The node that published an event, so it can skip its own echo.
const NODE: &str = "Messgo-Node";

/// Publishes waiting to go out; past this, NATS is not keeping up and frames are
/// dropped (clients resync on their next reconnect or gap).
const OUTBOX: usize = 65_536;
/// Chat messages from other nodes waiting for this node's order stage; past this,
/// they are dropped, and the sockets that miss one fill the gap from the database.
const INBOX: usize = 65_536;

type Outgoing = (String, Vec<u8>);

pub struct NatsBus {
    outbox: mpsc::Sender<Outgoing>,
    local: Arc<LocalBus>,
    /// Whether NATS is connected, as its connection events say.
    connected: watch::Receiver<bool>,
    /// Other nodes' chat messages, until the order stage takes them.
    inbox: std::sync::Mutex<Option<mpsc::Receiver<ChatMessage>>>,
}

/// While NATS was down, events from other nodes did not reach this node's sockets.
/// When it is back, every local socket is cut off ("reconnect and resync"), so each
/// client resumes from the database: nothing stays missed.
fn catch_up_after_outage(
    local: Arc<LocalBus>,
    connected: watch::Sender<bool>,
) -> impl Fn(async_nats::Event) -> std::future::Ready<()> + Send + Sync + 'static {
    move |event| {
        match event {
            async_nats::Event::Disconnected => {
                tracing::warn!("lost NATS: other nodes' events stop until it is back");
                connected.send_replace(false);
            }
            async_nats::Event::Connected => {
                // Marked connected first: whoever sees a socket cut off sees NATS up.
                if !connected.send_replace(true) {
                    tracing::info!("NATS is back: this node's sockets resync from the database");
                    local.cut_off_all();
                }
            }
            async_nats::Event::LameDuckMode
            | async_nats::Event::Draining
            | async_nats::Event::Closed
            | async_nats::Event::SlowConsumer(_)
            | async_nats::Event::ServerError(_)
            | async_nats::Event::ClientError(_) => {}
        }
        std::future::ready(())
    }
}

impl NatsBus {
    /// Connects and starts relaying what other nodes publish to this node's sockets.
    pub async fn connect(url: &str) -> anyhow::Result<NatsBus> {
        let local = Arc::new(LocalBus::new());
        let (up, connected) = watch::channel(true);
        let client = async_nats::ConnectOptions::new()
            .event_callback(catch_up_after_outage(local.clone(), up))
            .connect(url)
            .await?;
        let node = rand::random::<u64>().to_string();
        let mut frames = client.subscribe(format!("{USER_PREFIX}*")).await?;
        let mut endings = client.subscribe(format!("{END_PREFIX}*")).await?;
        let mut messages = client.subscribe(MESSAGES).await?;
        // Subscriptions are live once the server has seen them: flush before serving.
        client.flush().await?;
        let (inbox_tx, inbox) = mpsc::channel(INBOX);
        let me = node.clone();
        tokio::spawn(async move {
            while let Some(msg) = messages.next().await {
                if sent_by(&msg, &me) {
                    continue;
                }
                let Some(message) = decode_message(&msg.payload) else {
                    tracing::warn!("a malformed chat message arrived over NATS; dropped");
                    continue;
                };
                if inbox_tx.try_send(message).is_err() {
                    tracing::warn!("this node's order stage is behind; a message from another node was dropped");
                }
            }
        });
        let (sink, me) = (local.clone(), node.clone());
        tokio::spawn(async move {
            while let Some(msg) = frames.next().await {
                let Some(user) = from_another_node(&msg, &me, USER_PREFIX) else {
                    continue;
                };
                let Ok(text) = std::str::from_utf8(&msg.payload) else {
                    tracing::warn!("a non-UTF-8 frame arrived over NATS; dropped");
                    continue;
                };
                sink.publish(user, super::frame_of_text(text, None));
            }
        });
        let (sink, me) = (local.clone(), node.clone());
        tokio::spawn(async move {
            while let Some(msg) = endings.next().await {
                let Some(user) = from_another_node(&msg, &me, END_PREFIX) else {
                    continue;
                };
                if let Ok(ending) = serde_json::from_slice::<Ending>(&msg.payload) {
                    sink.end_sessions(user, ending);
                }
            }
        });
        // One publisher task, so events leave in the order they were published.
        let (outbox, mut pending) = mpsc::channel::<Outgoing>(OUTBOX);
        tokio::spawn(async move {
            let mut headers = HeaderMap::new();
            headers.insert(NODE, node.as_str());
            while let Some((subject, payload)) = pending.recv().await {
                let sent = client
                    .publish_with_headers(subject, headers.clone(), payload.into())
                    .await;
                if let Err(e) = sent {
                    tracing::warn!(error = %e, "publishing to NATS failed");
                }
            }
        });
        Ok(NatsBus {
            outbox,
            local,
            connected,
            inbox: std::sync::Mutex::new(Some(inbox)),
        })
    }

    /// Queues an event for the other nodes; this node has already delivered it.
    fn send(&self, subject: String, payload: Vec<u8>) {
        if self.outbox.try_send((subject, payload)).is_err() {
            tracing::warn!("the NATS outbox is full; an event for other nodes was dropped");
        }
    }
}

/// Whether this node published `msg` itself (and so has handled it already).
fn sent_by(msg: &async_nats::Message, me: &str) -> bool {
    let sender = msg.headers.as_ref().and_then(|h| h.get(NODE));
    sender.is_some_and(|n| n.as_str() == me)
}

/// The user an event is for, unless this node published it (it delivered it then).
fn from_another_node(msg: &async_nats::Message, me: &str, prefix: &str) -> Option<UserId> {
    if sent_by(msg, me) {
        return None;
    }
    msg.subject.strip_prefix(prefix)?.parse().ok()
}

/// The longest member list a chat message may carry (100,000 ids and commas).
const MAX_MEMBERS_TEXT: usize = 100_000 * 37;

/// A chat message on the wire: `<chat> <seq> <member>,<member>…`, a newline, and the
/// frame's text (nothing after the newline for a number with nothing to deliver).
fn encode_message(m: &ChatMessage) -> Vec<u8> {
    let members: Vec<String> = m.to.iter().map(ToString::to_string).collect();
    let mut out = format!("{} {} {}\n", m.chat, m.seq, members.join(",")).into_bytes();
    if let Some(frame) = &m.frame {
        out.extend_from_slice(frame.text.as_bytes());
    }
    out
}

fn decode_message(payload: &[u8]) -> Option<ChatMessage> {
    let text = std::str::from_utf8(payload).ok()?;
    let (head, body) = text.split_once('\n')?;
    let mut fields = head.split(' ');
    let chat = fields.next()?.parse().ok()?;
    let seq: i64 = fields.next()?.parse().ok()?;
    // Sequence numbers start at 1; anything else is not ours.
    if seq < 1 {
        return None;
    }
    let to = match fields.next()? {
        "" => Vec::new(),
        list if list.len() > MAX_MEMBERS_TEXT => return None,
        list => list
            .split(',')
            .map(str::parse)
            .collect::<Result<Vec<UserId>, _>>()
            .ok()?,
    };
    let step = Step {
        chat,
        seq,
        ack: false,
    };
    let frame = (!body.is_empty()).then(|| super::frame_of_text(body, Some(step)));
    Some(ChatMessage {
        chat,
        seq,
        to,
        frame,
    })
}

impl Bus for NatsBus {
    fn publish(&self, to: UserId, frame: Shared) {
        self.local.publish(to, frame.clone());
        self.send(format!("{USER_PREFIX}{to}"), frame.text.as_bytes().to_vec());
    }

    fn deliver(&self, to: UserId, frame: &Shared, origin: Option<&Origin>) {
        self.local.deliver(to, frame, origin);
    }

    fn share(&self, message: &ChatMessage) {
        self.send(MESSAGES.to_owned(), encode_message(message));
    }

    fn shared_with_us(&self) -> Option<mpsc::Receiver<ChatMessage>> {
        self.inbox.lock().ok()?.take()
    }

    fn subscribe(&self, user: UserId, session: SessionId) -> Subscription {
        self.local.subscribe(user, session)
    }

    fn connected(&self) -> watch::Receiver<bool> {
        self.connected.clone()
    }

    fn end_sessions(&self, user: UserId, ending: Ending) {
        self.local.end_sessions(user, ending);
        let payload = serde_json::to_vec(&ending).expect("Ending serializes");
        self.send(format!("{END_PREFIX}{user}"), payload);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use messgo_proto::ChatId;

    #[test]
    fn a_chat_message_crosses_the_wire_unchanged() {
        let (chat, to) = (ChatId::random(), vec![UserId::random(), UserId::random()]);
        let step = Step {
            chat,
            seq: 42,
            ack: false,
        };
        let sent = ChatMessage {
            chat,
            seq: 42,
            to: to.clone(),
            frame: Some(super::super::frame_of_text(
                "{\"a\":\"b\\nc\"}\n",
                Some(step),
            )),
        };
        let got = decode_message(&encode_message(&sent)).unwrap();
        assert_eq!((got.chat, got.seq, &got.to), (chat, 42, &to));
        let frame = got.frame.unwrap();
        assert_eq!(&*frame.text, "{\"a\":\"b\\nc\"}\n");
        assert_eq!(frame.step, Some(step));

        let skip = ChatMessage {
            chat,
            seq: 43,
            to: Vec::new(),
            frame: None,
        };
        let got = decode_message(&encode_message(&skip)).unwrap();
        assert!(got.to.is_empty() && got.frame.is_none());
        assert!(decode_message(b"not a message").is_none());
        assert!(decode_message(b"x 1 \n{}").is_none());
        assert!(decode_message(format!("{chat} 0 \n{{}}").as_bytes()).is_none());
        assert!(decode_message(format!("{chat} -5 \n{{}}").as_bytes()).is_none());
    }
}

//! `GET /api/ws`: one WebSocket per tab, fed by the bus.
//!
//! The session loop is written against any `Sink`/`Stream` of messages so it can be
//! tested without a socket; the handler only authenticates and upgrades.

use axum::extract::ws::{CloseFrame, Message};
use axum::http::StatusCode;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use std::collections::HashMap;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use messgo_proto::{
    AskAssistant, ChatId, ClientFrame, Message as ChatMessage, MessageId, ServerEvent,
};
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};
use tokio::task::AbortHandle;

mod limits;
mod open;
mod write;

pub use limits::{Place, SocketCounts, SocketLimits};
pub use open::{upgrade, Api};

use write::{event_message, send_event, write_page, write_waiting};

use super::ApiError;
use crate::bus::{SocketId, Subscription};
use crate::messages::feed::{Feed, Read};
use crate::service::{AuthContext, Sent, ServiceError, ServiceResult, Services};

/// Largest client frame: room for the largest ciphertext (`MAX_CIPHERTEXT`, 64 KiB)
/// in base64 with its fields.
const MAX_CLIENT_FRAME: usize = 96 * 1024;
/// Bytes read from the socket at a time.
const READ_BUFFER: usize = 2 * 1024;
/// "Try again later": the client fell behind and should reconnect and resync.
const CLOSE_TOO_SLOW: u16 = 1013;
/// The socket's session ended (signed out, revoked, idle, password changed, account
/// deleted): reconnecting will not help; sign in again.
const CLOSE_SESSION_ENDED: u16 = 4001;

/// Assistant answers one socket may have streaming at once.
const MAX_ASKS: usize = 4;

/// Sends a client may have waiting for their commit at once; more are refused.
const MAX_IN_FLIGHT: usize = 256;

/// Forwards bus frames to the socket and answers client frames until either side ends.
/// Sends are handled concurrently (each waits for its group commit), so one socket
/// can keep many messages in flight; their acks come back as they commit. Each
/// chat's messages go out in order and once ([`Feed`]); a chat that is behind is
/// read from the database a page at a time, between the other work.
pub async fn run<W, R>(
    mut sink: W,
    mut stream: R,
    mut sub: Subscription,
    services: Arc<Services>,
    who: AuthContext,
) where
    W: Sink<Message> + Unpin,
    R: Stream<Item = Result<Message, axum::Error>> + Unpin,
{
    // Boxed: tokio allocates a channel's first block of 32 slots up front, and 32
    // events inline would be ~7 KiB per idle socket.
    let (reply_tx, mut replies) = mpsc::channel::<Box<ServerEvent>>(MAX_IN_FLIGHT);
    let mut socket = Socket {
        services,
        who,
        id: sub.id,
        reply_tx,
        in_flight: Arc::new(Semaphore::new(MAX_IN_FLIGHT)),
        asks: HashMap::new(),
        feed: Feed::default(),
        touched: 0,
    };
    let mut reading: Option<PageRead> = None;
    let delivered = socket.services.metrics.delivered.clone();
    loop {
        if reading.is_none() {
            reading = socket.feed.next_read().map(|read| socket.read(read));
        }
        tokio::select! {
            // A page read first: its chat's live messages are dropped until it is
            // written. Then bus frames: replies never overtake events published
            // before them.
            biased;
            (read, page) = next_page(&mut reading) => {
                reading = None;
                if write_page(&mut sink, &mut socket.feed, read, page, &delivered).await.is_err() {
                    return;
                }
            }
            frame = sub.recv() => match frame {
                Some(frame) => {
                    if write_waiting(&mut sink, Some(frame), &mut socket.feed, &mut sub, &mut replies, &delivered).await.is_err() {
                        return;
                    }
                }
                None => {
                    let close = if sub.ended() {
                        CloseFrame { code: CLOSE_SESSION_ENDED, reason: "session ended; sign in again".into() }
                    } else {
                        CloseFrame { code: CLOSE_TOO_SLOW, reason: "too slow; reconnect and resync".into() }
                    };
                    let _ = sink.send(Message::Close(Some(close))).await;
                    return;
                }
            },
            Some(reply) = replies.recv() => {
                if sink.feed(event_message(&reply)).await.is_err()
                    || write_waiting(&mut sink, None, &mut socket.feed, &mut sub, &mut replies, &delivered).await.is_err() {
                    return;
                }
            }
            incoming = stream.next() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    for reply in socket.answer(&text).await {
                        if send_event(&mut sink, &reply).await.is_err() {
                            return;
                        }
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                // Pings are answered by the library; binary frames mean nothing here.
                Some(Ok(_)) => {}
            },
        }
    }
}

/// A page being read for a chat that is catching up: the read, and the page (`None`
/// when the chat is not the user's) with whether it was full.
type PageRead = BoxFuture<'static, (Read, ServiceResult<Option<(Vec<ChatMessage>, bool)>>)>;

/// The page under way, or never if none is.
async fn next_page(
    reading: &mut Option<PageRead>,
) -> (Read, ServiceResult<Option<(Vec<ChatMessage>, bool)>>) {
    match reading {
        Some(page) => page.await,
        None => std::future::pending().await,
    }
}

/// What one socket keeps while it lives, besides its feed and its sink.
struct Socket {
    services: Arc<Services>,
    who: AuthContext,
    id: SocketId,
    /// Answers that come later (acks after their commit, assistant tokens).
    reply_tx: mpsc::Sender<Box<ServerEvent>>,
    in_flight: Arc<Semaphore>,
    /// Answers being streamed, by request id, so `ai.stop` can cancel them; aborting
    /// the task drops the upstream response, which closes that connection.
    asks: HashMap<String, AbortHandle>,
    /// This socket's place in each chat.
    feed: Feed,
    /// When this socket last marked its session in use (`Sessions::in_use`).
    touched: i64,
}

impl Socket {
    /// Starts reading a page for a chat that is behind.
    fn read(&self, read: Read) -> PageRead {
        let (services, who) = (self.services.clone(), self.who);
        Box::pin(async move {
            let page = services.messages.catch_up(who, read.chat, read.after).await;
            (read, page)
        })
    }

    /// What to answer a client frame with at once (later answers go to `reply_tx`).
    /// The service calls are boxed: awaited inline, their state would be part of the
    /// socket loop's future, and so of every idle socket's memory.
    async fn answer(&mut self, text: &str) -> Vec<ServerEvent> {
        let (services, who) = (&self.services, self.who);
        // A socket the client uses keeps its session alive, as requests do.
        if let Some(touch) = services.sessions.in_use(who, &mut self.touched) {
            touch.await;
        }
        let frame = parse_frame(text);
        if !matches!(frame, Ok(ClientFrame::Resume { .. })) {
            // Any first frame ends the holding back of chats' messages.
            let _ = self.feed.client_frame(None);
        }
        match frame {
            Ok(ClientFrame::Ping) => vec![ServerEvent::Pong],
            Ok(ClientFrame::Send(m)) => match self.in_flight.clone().try_acquire_owned() {
                Ok(permit) => {
                    let done = answer_send(m.chat_id, m.id, self.reply_tx.clone(), permit);
                    // Returns once queued; the answer comes after the commit.
                    Box::pin(services.pipeline.accept(who, m, Some(self.id), done)).await;
                    vec![]
                }
                Err(_) => vec![nack(
                    m.chat_id,
                    m.id,
                    ApiError::from_status(StatusCode::TOO_MANY_REQUESTS),
                )],
            },
            Ok(ClientFrame::AiAsk(req)) => self.ask(req),
            Ok(ClientFrame::AiStop { request_id }) => match self.asks.remove(&request_id) {
                Some(task) => {
                    task.abort();
                    vec![ServerEvent::AiDone { request_id }]
                }
                None => vec![],
            },
            Ok(ClientFrame::Typing { chat_id }) => {
                match Box::pin(services.chats.typing(who, chat_id)).await {
                    Ok(()) => vec![],
                    Err(e) => vec![error_event(e)],
                }
            }
            Ok(ClientFrame::Resume { chats }) => {
                if let Err(e) = services.messages.may_resume(who, &chats) {
                    // Refused (too many, too often): the chats stay as they were, held
                    // back if this is the first frame, for a resume that may pass.
                    return vec![error_event(e)];
                }
                match self.feed.client_frame(Some(&chats)) {
                    Ok(behind) => behind
                        .into_iter()
                        .map(|b| ServerEvent::ResumeBehind {
                            chat_id: b.chat,
                            from: b.from,
                        })
                        .collect(),
                    Err(_) => vec![error_event(ServiceError::InvalidField {
                        field: "chats",
                        problem: "names more chats than one socket follows",
                    })],
                }
            }
            Err(_) => vec![ServerEvent::Error {
                code: "invalid_frame".into(),
                message: "Unknown or malformed frame.".into(),
            }],
        }
    }

    /// Starts streaming an assistant answer, at most [`MAX_ASKS`] at once.
    fn ask(&mut self, req: AskAssistant) -> Vec<ServerEvent> {
        self.asks.retain(|_, task| !task.is_finished());
        if self.asks.len() >= MAX_ASKS || self.asks.contains_key(&req.request_id) {
            return vec![ServerEvent::AiError {
                request_id: req.request_id,
                code: "busy".into(),
                message: "Wait for the answers already coming, or stop one.".into(),
            }];
        }
        let (services, tx, id) = (
            self.services.clone(),
            self.reply_tx.clone(),
            req.request_id.clone(),
        );
        let user = self.who.user_id;
        let task = tokio::spawn(async move { services.assistant.ask(user, req, tx).await });
        self.asks.insert(id, task.abort_handle());
        vec![]
    }
}

fn error_event(e: ServiceError) -> ServerEvent {
    let e = ApiError::from(e);
    ServerEvent::Error {
        code: e.code.into(),
        message: e.message,
    }
}

/// Decodes a client frame; in messgo-proto (with its fast path for sends) so the fuzz
/// target `client_frame` runs the very same decode.
fn parse_frame(text: &str) -> serde_json::Result<ClientFrame> {
    ClientFrame::parse(text)
}

/// What to do when a send is decided: queue its ack or nack for this socket, unless
/// the ack already went out on the bus in the message's place.
fn answer_send(
    chat_id: ChatId,
    id: MessageId,
    tx: mpsc::Sender<Box<ServerEvent>>,
    permit: OwnedSemaphorePermit,
) -> Box<dyn FnOnce(ServiceResult<Sent>) + Send> {
    Box::new(move |verdict| {
        let reply = Box::new(match verdict {
            Ok(Sent {
                on_socket: true, ..
            }) => return,
            Ok(sent) => ServerEvent::Ack(sent.ack),
            Err(e) => nack(chat_id, id, e.into()),
        });
        // One slot per permit, so only other replies (an assistant's answer
        // streaming) can have filled the channel; then wait for room elsewhere
        // rather than lose the ack.
        if let Err(mpsc::error::TrySendError::Full(reply)) = tx.try_send(reply) {
            tokio::spawn(async move {
                let _ = tx.send(reply).await;
                drop(permit);
            });
        }
    })
}

fn nack(chat_id: ChatId, id: MessageId, e: ApiError) -> ServerEvent {
    ServerEvent::Nack {
        chat_id,
        id,
        code: e.code.into(),
        message: e.message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_send_fast_path_reads_what_the_generic_parse_reads() {
        let text = format!(
            r#"{{"type":"send","chat_id":"{}","id":"{}","epoch":2,"nonce":"AAAA","ciphertext":"AQID","signature":"BAUG"}}"#,
            ChatId::random(),
            MessageId::random()
        );
        let fast = parse_frame(&text).unwrap();
        assert!(matches!(fast, ClientFrame::Send(_)));
        assert_eq!(fast, serde_json::from_str::<ClientFrame>(&text).unwrap());
        assert_eq!(
            parse_frame(r#"{"type":"ping"}"#).unwrap(),
            ClientFrame::Ping
        );
        assert!(parse_frame(r#"{"type":"send","chat_id":"nope"}"#).is_err());
        assert!(parse_frame(r#"{"type":"sendx"}"#).is_err());
    }
}

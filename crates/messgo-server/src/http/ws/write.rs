//! Writing to a socket: events as text frames, batched under one flush, and chat
//! messages only in their place ([`Feed`]).

use axum::extract::ws::{CloseFrame, Message};
use futures_util::{Sink, SinkExt};

use messgo_proto::{Message as ChatMessage, ServerEvent};
use prometheus_client::metrics::counter::Counter;
use tokio::sync::mpsc;

use crate::bus::{Shared, Subscription};
use crate::messages::feed::{Feed, Read};
use crate::service::ServiceResult;

/// The server could not read what the socket must send (the database failed).
const CLOSE_SERVER_ERROR: u16 = 1011;

/// Writes what a page read adds to a chat that is catching up. A read that failed
/// closes the socket (the client reconnects and resumes): an error instead.
pub(super) async fn write_page<W: Sink<Message> + Unpin>(
    sink: &mut W,
    feed: &mut Feed,
    read: Read,
    page: ServiceResult<Option<(Vec<ChatMessage>, bool)>>,
    delivered: &Counter,
) -> Result<(), ()> {
    let Ok(page) = page else {
        let close = CloseFrame {
            code: CLOSE_SERVER_ERROR,
            reason: "could not read history; reconnect".into(),
        };
        let _ = sink.send(Message::Close(Some(close))).await;
        return Err(());
    };
    let (page, full) = page.map_or((None, false), |(p, full)| (Some(p), full));
    let (messages, overtaken) = feed.page(read, page, full);
    for message in messages {
        let frame = event_message(&ServerEvent::Message { message });
        sink.feed(frame).await.map_err(|_| ())?;
        delivered.inc();
    }
    // Live frames that overtook the read come after the page's messages.
    for frame in overtaken {
        count_delivered(&frame, delivered);
        let text = Message::Text(frame.text.as_ref().into());
        sink.feed(text).await.map_err(|_| ())?;
    }
    sink.flush().await.map_err(|_| ())
}

pub(super) fn event_message(event: &ServerEvent) -> Message {
    Message::Text(
        serde_json::to_string(event)
            .expect("events serialize")
            .into(),
    )
}

pub(super) async fn send_event<W: Sink<Message> + Unpin>(
    sink: &mut W,
    event: &ServerEvent,
) -> Result<(), W::Error> {
    sink.send(event_message(event)).await
}

/// A chat's message (not the ack its sender's socket gets in its place) counts as
/// delivered when it is written.
fn count_delivered(frame: &Shared, delivered: &Counter) {
    if frame.step.is_some_and(|step| !step.ack) {
        delivered.inc();
    }
}

/// Most frames written before one flush.
const WRITE_BATCH: usize = 128;

/// Writes `first` and whatever else is already waiting (bus frames before replies,
/// the order the loop keeps) with a single flush: under load one write carries
/// many frames instead of a system call each. Chat frames go only in their place.
pub(super) async fn write_waiting<W: Sink<Message> + Unpin>(
    sink: &mut W,
    first: Option<Shared>,
    feed: &mut Feed,
    bus: &mut Subscription,
    replies: &mut mpsc::Receiver<Box<ServerEvent>>,
    delivered: &Counter,
) -> Result<(), W::Error> {
    if let Some(frame) = first {
        if feed.pass(frame.step) {
            count_delivered(&frame, delivered);
            sink.feed(Message::Text(frame.text.as_ref().into())).await?;
        } else {
            feed.overtaking(&frame);
        }
    }
    // Let the tasks already woken run first: a commit wakes this socket with its
    // first frame while the ack and the other frames for it are still being queued.
    // One turn later they all go out in the same write.
    tokio::task::yield_now().await;
    for _ in 0..WRITE_BATCH {
        if let Some(frame) = bus.try_recv() {
            if feed.pass(frame.step) {
                count_delivered(&frame, delivered);
                sink.feed(Message::Text(frame.text.as_ref().into())).await?;
            } else {
                feed.overtaking(&frame);
            }
        } else if let Ok(reply) = replies.try_recv() {
            sink.feed(event_message(&reply)).await?;
        } else {
            break;
        }
    }
    sink.flush().await
}

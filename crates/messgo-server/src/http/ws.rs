//! `GET /api/ws`: one WebSocket per tab, fed by the bus.
//!
//! The session loop is written against any `Sink`/`Stream` of messages so it can be
//! tested without a socket; the handler only authenticates and upgrades.

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use messgo_proto::{ClientFrame, ServerEvent};

use super::extract::Auth;
use super::{ApiError, AppState};
use crate::bus::Subscription;

/// Largest frame a client may send.
const MAX_CLIENT_FRAME: usize = 64 * 1024;
/// "Try again later": the client fell behind and should reconnect and resync.
const CLOSE_TOO_SLOW: u16 = 1013;

/// # `GET /api/ws` — real-time events for the signed-in user.
pub async fn upgrade(
    State(s): State<AppState>,
    Auth(who): Auth,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    // Browsers always send Origin on WebSockets; another site's page must not ride
    // the user's cookie into a socket (SameSite covers most, this covers the rest).
    if let Some(origin) = headers.get(header::ORIGIN) {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        let scheme = if s.web.behind_tls_proxy {
            "https"
        } else {
            "http"
        };
        if origin.to_str().ok() != Some(&format!("{scheme}://{host}")) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "csrf",
                "This socket was opened by another site.",
            ));
        }
    }
    let sub = s.services.bus.subscribe(who.user_id);
    Ok(ws
        .max_message_size(MAX_CLIENT_FRAME)
        .on_upgrade(move |socket: WebSocket| async move {
            let (sink, stream) = socket.split();
            run(sink, stream, sub).await;
        }))
}

/// Forwards bus frames to the socket and answers client frames until either side ends.
pub async fn run<W, R>(mut sink: W, mut stream: R, mut sub: Subscription)
where
    W: Sink<Message> + Unpin,
    R: Stream<Item = Result<Message, axum::Error>> + Unpin,
{
    loop {
        tokio::select! {
            // Bus frames first: replies never overtake events published before them.
            biased;
            frame = sub.rx.recv() => match frame {
                Some(text) => {
                    if sink.send(Message::Text(text.as_ref().into())).await.is_err() {
                        return;
                    }
                }
                None => {
                    let close = CloseFrame { code: CLOSE_TOO_SLOW, reason: "too slow; reconnect and resync".into() };
                    let _ = sink.send(Message::Close(Some(close))).await;
                    return;
                }
            },
            incoming = stream.next() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    let reply = match serde_json::from_str::<ClientFrame>(&text) {
                        Ok(ClientFrame::Ping) => ServerEvent::Pong,
                        Err(_) => ServerEvent::Error {
                            code: "invalid_frame".into(),
                            message: "Unknown or malformed frame.".into(),
                        },
                    };
                    let json = serde_json::to_string(&reply).expect("events serialize");
                    if sink.send(Message::Text(json.into())).await.is_err() {
                        return;
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                // Pings are answered by the library; binary frames mean nothing here.
                Some(Ok(_)) => {}
            },
        }
    }
}

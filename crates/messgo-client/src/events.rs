//! The real-time feed: `GET /api/ws` with the session cookie.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use messgo_proto::{ResumePoints, ServerEvent};
use reqwest::cookie::CookieStore;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::{Client, ClientError, Result};

pub struct Events {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Client {
    /// Opens this client's WebSocket; events arrive from the moment it returns.
    pub async fn events(&self) -> Result<Events> {
        self.events_from(None).await
    }

    /// Opens this client's WebSocket resuming each chat after its point: the
    /// server sends what was missed, then each chat live, in order and once.
    pub async fn events_resuming(&self, points: &ResumePoints) -> Result<Events> {
        let ws = self.socket(None, None).await?;
        let mut events = Events { ws };
        let resume = messgo_proto::ClientFrame::Resume {
            chats: points.clone(),
        };
        events
            .send_raw(&serde_json::to_string(&resume).expect("frames serialize"))
            .await?;
        Ok(events)
    }

    /// Like [`Client::events`], sending an `Origin` header as a browser would.
    pub async fn events_from(&self, origin: Option<&str>) -> Result<Events> {
        let ws = self.socket(origin, None).await?;
        let mut events = Events { ws };
        // A ping/pong round trip proves the server has registered this socket.
        events.send_raw(r#"{"type":"ping"}"#).await?;
        match events.next_within(Duration::from_secs(10)).await? {
            Some(ServerEvent::Pong) => Ok(events),
            other => Err(ClientError::Refused(format!(
                "expected pong, got {other:?}"
            ))),
        }
    }
}

/// The raw WebSocket of `/api/ws`, for callers that read and write frames themselves.
pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

impl Client {
    /// Opens `/api/ws` with this client's session cookie and returns the socket as is.
    /// `config` sets tungstenite's buffer sizes (a load generator holding thousands of
    /// sockets wants them small).
    pub async fn socket(
        &self,
        origin: Option<&str>,
        config: Option<WebSocketConfig>,
    ) -> Result<Socket> {
        let url =
            reqwest::Url::parse(&self.base).map_err(|e| ClientError::Refused(e.to_string()))?;
        let ws_url = self.base.replacen("http", "ws", 1) + "/api/ws";
        let mut req = ws_url
            .into_client_request()
            .map_err(|e| ClientError::Refused(e.to_string()))?;
        if let Some(cookie) = self.jar.cookies(&url) {
            req.headers_mut().insert("cookie", cookie);
        }
        if let Some(origin) = origin {
            let value = origin
                .parse()
                .map_err(|_| ClientError::Refused("bad origin".into()))?;
            req.headers_mut().insert("origin", value);
        }
        let (ws, _) = tokio_tungstenite::connect_async_with_config(req, config, true)
            .await
            .map_err(|e| ClientError::Refused(format!("websocket: {e}")))?;
        Ok(ws)
    }
}

impl Events {
    pub async fn send_raw(&mut self, text: &str) -> Result<()> {
        self.ws
            .send(Message::Text(text.into()))
            .await
            .map_err(|e| ClientError::Refused(format!("websocket: {e}")))
    }

    /// The next event, `None` once the server closed the socket, or an error if
    /// nothing came within `limit`.
    pub async fn next_within(&mut self, limit: Duration) -> Result<Option<ServerEvent>> {
        loop {
            let msg = tokio::time::timeout(limit, self.ws.next())
                .await
                .map_err(|_| ClientError::Refused(format!("no event within {limit:?}")))?;
            match msg {
                None | Some(Ok(Message::Close(_))) => return Ok(None),
                Some(Ok(Message::Text(text))) => {
                    return serde_json::from_str(&text)
                        .map(Some)
                        .map_err(|e| ClientError::Refused(format!("bad event {text}: {e}")));
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(ClientError::Refused(format!("websocket: {e}"))),
            }
        }
    }

    /// The next event within five seconds; fails the caller otherwise.
    pub async fn next(&mut self) -> Result<ServerEvent> {
        self.next_within(Duration::from_secs(5))
            .await?
            .ok_or_else(|| ClientError::Refused("the socket closed".into()))
    }

    /// Asserts quiet: sends a ping and expects the pong to be the very next frame, so
    /// any event published before the ping would have come first.
    pub async fn expect_nothing_pending(&mut self) -> Result<()> {
        self.send_raw(r#"{"type":"ping"}"#).await?;
        // Any event but the pong, of whatever kind there is or will be, breaks the quiet.
        let event = self.next().await?;
        if matches!(event, ServerEvent::Pong) {
            Ok(())
        } else {
            Err(ClientError::Refused(format!("unexpected event {event:?}")))
        }
    }
}

//! The protocols the generator speaks: MessGo's `/api/ws` frames, Socket.IO 4
//! (Engine.IO v4 over WebSocket) and Synapse's HTTP sends (see `synapse`), reduced
//! to what the scenarios need: send a sealed message with an acknowledgement, and
//! recognise acks and deliveries by message id.
//!
//! Incoming frames are classified by prefix and the id is sliced out of the text
//! rather than deserialized: the generator shares one core with hundreds of
//! thousands of frames a second, and the full parse would make it the bottleneck.

use futures_util::{SinkExt, StreamExt};
use messgo_client::{Client, Socket, WebSocketConfig};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

use super::BenchError;

/// Which server the generator is talking to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Peer {
    /// MessGo's own WebSocket protocol, with accounts and E2E chats made through its API.
    Messgo,
    /// The Socket.IO 4 relay in `peers/socketio`.
    Socketio,
    /// Matrix Synapse's client-server API (HTTP sends, `/sync` long-polls).
    Synapse,
}

/// What an incoming frame means to the generator.
#[derive(Debug, PartialEq, Eq)]
pub enum Incoming {
    /// The server took the message (MessGo: after its commit).
    Ack(Uuid),
    /// The server refused the message.
    Refused(Uuid),
    /// A message for this socket.
    Delivered(Uuid),
    /// Engine.IO's heartbeat; must be answered with `3`.
    Ping,
    Other,
}

/// Small buffers: the idle scenario holds ~19,000 sockets in this process.
pub fn socket_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(8 * 1024)
        .write_buffer_size(0)
        .max_write_buffer_size(4 * 1024 * 1024)
}

/// The id of a message frame: `"id":"…"` where the key is a whole key, not `chat_id`.
fn id_in(text: &str) -> Option<Uuid> {
    let mut from = 0;
    while let Some(at) = text[from..].find("\"id\":\"") {
        let at = from + at;
        let key_starts_object_or_follows_comma =
            at > 0 && matches!(text.as_bytes()[at - 1], b',' | b'{');
        let start = at + 6;
        if key_starts_object_or_follows_comma {
            return text
                .get(start..start + 36)
                .and_then(|s| Uuid::parse_str(s).ok());
        }
        from = start;
    }
    None
}

impl Peer {
    pub fn classify(self, text: &str) -> Incoming {
        let id = || id_in(text);
        match self {
            Peer::Messgo => {
                if text.starts_with(r#"{"type":"message""#) {
                    id().map_or(Incoming::Other, Incoming::Delivered)
                } else if text.starts_with(r#"{"type":"ack""#) {
                    id().map_or(Incoming::Other, Incoming::Ack)
                } else if text.starts_with(r#"{"type":"nack""#) {
                    id().map_or(Incoming::Other, Incoming::Refused)
                } else {
                    Incoming::Other
                }
            }
            Peer::Socketio => {
                if text.starts_with(r#"42["message""#) {
                    id().map_or(Incoming::Other, Incoming::Delivered)
                } else if text.starts_with("43") {
                    match id() {
                        Some(id) if text.contains(r#""error""#) => Incoming::Refused(id),
                        Some(id) => Incoming::Ack(id),
                        None => Incoming::Other,
                    }
                } else if text == "2" {
                    Incoming::Ping
                } else {
                    Incoming::Other
                }
            }
            // Its sender and sync loop report what they see themselves.
            Peer::Synapse => Incoming::Other,
        }
    }

    /// The frame that sends `payload` (a sealed message, already encoded for this
    /// protocol) to `chat`. Socket.IO's ack ids only need to be unique per socket
    /// while in flight; the generator matches acks by message id instead.
    pub fn send_frame(self, chat: &str, id: Uuid, payload: &str) -> String {
        match self {
            Peer::Messgo => {
                format!(r#"{{"type":"send","chat_id":"{chat}","id":"{id}",{payload}}}"#)
            }
            Peer::Socketio => {
                format!(r#"421["send",{{"room":"{chat}","id":"{id}","payload":"{payload}"}}]"#)
            }
            Peer::Synapse => crate::bench::synapse::conn::frame(
                chat,
                id,
                &crate::bench::synapse::content(id, payload),
            ),
        }
    }
}

/// Who a socket belongs to.
pub enum Login {
    /// A signed-in MessGo client (its session cookie opens the socket).
    Messgo(Client),
    /// A Socket.IO user name and the rooms it joins.
    Socketio {
        base: String,
        user: String,
        rooms: Vec<String>,
    },
    /// A Synapse account (its sync loop sees every room it joined).
    Synapse(crate::bench::synapse::Account),
}

/// Longest a socket may take to open: a server out of file descriptors stops
/// accepting, and the run should say so rather than wait forever.
const OPEN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Opens one socket and completes the protocol's handshake.
pub async fn open(login: &Login) -> Result<Socket, BenchError> {
    tokio::time::timeout(OPEN_TIMEOUT, open_now(login))
        .await
        .map_err(|_| BenchError::Socket(format!("no socket within {OPEN_TIMEOUT:?}")))?
}

async fn open_now(login: &Login) -> Result<Socket, BenchError> {
    match login {
        Login::Messgo(client) => Ok(client.socket(None, Some(socket_config())).await?),
        Login::Socketio { base, user, rooms } => {
            let url = base.replacen("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket";
            let req = url.into_client_request().map_err(BenchError::socket)?;
            let (mut ws, _) =
                tokio_tungstenite::connect_async_with_config(req, Some(socket_config()), true)
                    .await
                    .map_err(BenchError::socket)?;
            // Engine.IO open packet, then Socket.IO's CONNECT with the auth payload.
            expect_prefix(&mut ws, "0{").await?;
            let auth = serde_json::json!({ "user": user, "rooms": rooms });
            ws.send(Message::Text(format!("40{auth}").into()))
                .await
                .map_err(BenchError::socket)?;
            expect_prefix(&mut ws, "40").await?;
            Ok(ws)
        }
        Login::Synapse(_) => Err(BenchError::Protocol(
            "Synapse is spoken over HTTP, not a WebSocket".into(),
        )),
    }
}

async fn expect_prefix(ws: &mut Socket, prefix: &str) -> Result<(), BenchError> {
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) if t.starts_with(prefix) => return Ok(()),
            Some(Ok(Message::Text(t))) if t.as_str() == "2" => {
                ws.send(Message::Text("3".into()))
                    .await
                    .map_err(BenchError::socket)?;
            }
            Some(Ok(Message::Text(t))) => {
                return Err(BenchError::Protocol(format!(
                    "expected {prefix}…, got {}",
                    &t[..t.len().min(80)]
                )))
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(BenchError::socket(e)),
            None => {
                return Err(BenchError::Protocol(
                    "the socket closed during the handshake".into(),
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_found_past_chat_id() {
        let id = Uuid::from_u64_pair(7, 9);
        let chat = Uuid::from_u64_pair(1, 2);
        let frame = format!(
            r#"{{"type":"message","message":{{"chat_id":"{chat}","seq":3,"id":"{id}","sender":null}}}}"#
        );
        assert_eq!(Peer::Messgo.classify(&frame), Incoming::Delivered(id));
        let ack = format!(r#"{{"type":"ack","chat_id":"{chat}","id":"{id}","seq":3}}"#);
        assert_eq!(Peer::Messgo.classify(&ack), Incoming::Ack(id));
        let nack = format!(
            r#"{{"type":"nack","chat_id":"{chat}","id":"{id}","code":"epoch_stale","message":"x"}}"#
        );
        assert_eq!(Peer::Messgo.classify(&nack), Incoming::Refused(id));
        assert_eq!(Peer::Messgo.classify(r#"{"type":"pong"}"#), Incoming::Other);
    }

    #[test]
    fn socketio_frames() {
        let id = Uuid::from_u64_pair(7, 9);
        let ev = format!(r#"42["message",{{"room":"r","id":"{id}","sender":"u","payload":"p"}}]"#);
        assert_eq!(Peer::Socketio.classify(&ev), Incoming::Delivered(id));
        assert_eq!(
            Peer::Socketio.classify(&format!(r#"4312[{{"id":"{id}"}}]"#)),
            Incoming::Ack(id)
        );
        let refused = format!(r#"4312[{{"id":"{id}","error":"not_member"}}]"#);
        assert_eq!(Peer::Socketio.classify(&refused), Incoming::Refused(id));
        assert_eq!(Peer::Socketio.classify("2"), Incoming::Ping);
    }

    #[test]
    fn send_frames_are_json_the_servers_accept() {
        let id = Uuid::from_u64_pair(1, 1);
        let f = Peer::Messgo.send_frame(
            "c",
            id,
            r#""epoch":1,"nonce":"AA","ciphertext":"AA","signature":"AA""#,
        );
        let v: serde_json::Value = serde_json::from_str(&f).unwrap();
        assert_eq!(v["type"], "send");
        assert_eq!(v["id"], id.to_string());
        let f = Peer::Socketio.send_frame("r", id, "AA");
        let v: serde_json::Value = serde_json::from_str(&f[3..]).unwrap();
        assert_eq!(v[0], "send");
        assert_eq!(v[1]["room"], "r");
    }
}

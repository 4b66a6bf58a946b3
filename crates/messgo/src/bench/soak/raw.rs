//! Hostile clients speak HTTP and WebSocket by hand: a real attacker sets its own
//! receive buffer, stops reading when it likes and sends what no library would.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::WebSocketStream;

use crate::bench::wire::socket_config;
use crate::bench::BenchError;

/// Where hostile connections go and come from. Each kind connects from its own
/// loopback address (all of 127/8 is local on Linux), so the per-address socket
/// limit sees 200 attackers of one kind, not every client of the run as one.
#[derive(Clone)]
pub struct Target {
    pub server: SocketAddr,
    pub host: String,
}

impl Target {
    pub fn new(base: &str) -> Result<Target, BenchError> {
        let host = base.trim_start_matches("http://").to_owned();
        let server = host
            .parse()
            .map_err(|e| BenchError::Protocol(format!("{host}: {e}")))?;
        Ok(Target { server, host })
    }

    /// A TCP connection from `from` with a receive buffer of `rcvbuf` bytes (the
    /// kernel doubles it and keeps a floor): small, so a client that stops reading
    /// pushes back on the server at once instead of after megabytes of buffering.
    pub async fn connect(&self, from: IpAddr, rcvbuf: u32) -> Result<TcpStream, BenchError> {
        let socket = TcpSocket::new_v4()?;
        socket.set_recv_buffer_size(rcvbuf)?;
        socket.bind(SocketAddr::new(from, 0))?;
        Ok(socket.connect(self.server).await?)
    }

    /// A request head with the session cookie, `Connection: close`.
    pub fn head(&self, method: &str, path: &str, cookie: &str, extra: &str) -> String {
        let cookie = if cookie.is_empty() {
            String::new()
        } else {
            format!("Cookie: {cookie}\r\n")
        };
        format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\n{cookie}x-messgo: 1\r\n\
             {extra}Connection: close\r\n\r\n",
            self.host
        )
    }

    /// An `/api/ws` socket over `stream`, signed in with `cookie`.
    pub async fn websocket(
        &self,
        stream: TcpStream,
        cookie: &str,
    ) -> Result<WebSocketStream<TcpStream>, BenchError> {
        let mut req = format!("ws://{}/api/ws", self.host)
            .into_client_request()
            .map_err(BenchError::socket)?;
        let value = cookie.parse().map_err(BenchError::socket)?;
        req.headers_mut().insert("cookie", value);
        let (ws, _) =
            tokio_tungstenite::client_async_with_config(req, stream, Some(socket_config()))
                .await
                .map_err(BenchError::socket)?;
        Ok(ws)
    }
}

/// The status code of the answer on `stream`, if one starts within `limit`.
pub async fn status(stream: &mut TcpStream, limit: Duration) -> Option<u16> {
    let mut buf = [0u8; 64];
    let mut len = 0;
    let read = async {
        while len < 12 {
            match stream.read(&mut buf[len..]).await {
                Ok(0) | Err(_) => return,
                Ok(n) => len += n,
            }
        }
    };
    tokio::time::timeout(limit, read).await.ok()?;
    std::str::from_utf8(buf.get(9..12)?).ok()?.parse().ok()
}

/// Reads `stream` to its end (or `limit`); returns the bytes read and whether the
/// end came (rather than the limit).
pub async fn drain(stream: &mut TcpStream, limit: Duration) -> (u64, bool) {
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    let read = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => total += n as u64,
            }
        }
    };
    let ended = tokio::time::timeout(limit, read).await.is_ok();
    (total, ended)
}

/// Writes all of `bytes`, or says why not.
pub async fn write(stream: &mut TcpStream, bytes: &[u8]) -> Result<(), BenchError> {
    Ok(stream.write_all(bytes).await?)
}

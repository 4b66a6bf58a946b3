//! The listener the server accepts on. Every connection gets a write timeout: a
//! client that stops reading (an answer, a download, a socket's events) is cut off
//! once a write has waited the stall timeout, instead of holding what was meant for
//! it, and its connection, for ever. Reading has no such timeout here (an idle
//! socket or keep-alive connection is fine); a request body that stalls is timed by
//! whoever reads it.
//!
//! Each client address may hold at most `--connections-per-address` connections:
//! beyond that a new one is closed as soon as it is accepted, before a byte is read,
//! so one address cannot use up the process's open files (which would stop the
//! accept loop for everyone). Behind a proxy every connection comes from the proxy,
//! so the count is then left to it.
//!
//! With built-in TLS (tls.rs) the handshake runs here too, in a task of its own so a
//! slow client holds up nobody's accept: it must finish within the stall timeout, and
//! the connection holds its address's place (above) while it runs. A client that
//! speaks plain HTTP to the TLS port gets a one-line 400 saying to use https, not a
//! connection that dies without a word.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_io_timeout::TimeoutStream;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

use super::brake::unit;
use super::ws::{Place, SocketCounts};
use crate::metrics::{Metrics, Open, Refused};

type Tcp = Pin<Box<TimeoutStream<TcpStream>>>;

pub struct StallingListener {
    inner: TcpListener,
    stall: Duration,
    /// Open connections per address; none when a proxy stands in front.
    per_address: Option<Arc<SocketCounts>>,
    /// Built-in TLS, and the handshakes under way.
    tls: Option<TlsAcceptor>,
    handshakes: JoinSet<Option<(Connection, SocketAddr)>>,
    metrics: Metrics,
}

impl StallingListener {
    pub fn new(
        inner: TcpListener,
        stall: Duration,
        per_address: Option<usize>,
        tls: Option<TlsAcceptor>,
        metrics: Metrics,
    ) -> Self {
        StallingListener {
            inner,
            stall,
            per_address: per_address.map(SocketCounts::new),
            tls,
            handshakes: JoinSet::new(),
            metrics,
        }
    }
}

/// What the accept loop got next.
enum Next {
    Accepted(TcpStream, SocketAddr),
    Handshaken(Option<(Connection, SocketAddr)>),
}

impl Listener for StallingListener {
    type Io = Connection;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            // Both are cancel-safe: axum drops this future when shutting down.
            let next = tokio::select! {
                (tcp, addr) = Listener::accept(&mut self.inner) => Next::Accepted(tcp, addr),
                Some(done) = self.handshakes.join_next(), if !self.handshakes.is_empty() => {
                    Next::Handshaken(done.ok().flatten())
                }
            };
            let (tcp, addr) = match next {
                Next::Handshaken(Some(ready)) => return ready,
                // Timed out, refused, or not TLS: already closed.
                Next::Handshaken(None) => continue,
                Next::Accepted(tcp, addr) => (tcp, addr),
            };
            let place = match &self.per_address {
                None => None,
                Some(counts) => match counts.take(unit(addr.ip()).to_string()) {
                    Some(place) => Some(place),
                    // Dropped unread: the client sees its connection closed.
                    None => {
                        self.metrics.refused(Refused::Connections);
                        continue;
                    }
                },
            };
            let mut io = TimeoutStream::new(tcp);
            io.set_write_timeout(Some(self.stall));
            let io: Tcp = Box::pin(io);
            let open = Metrics::open(&self.metrics.connections);
            match &self.tls {
                None => {
                    let io = Connection {
                        io: Stream::Plain(io),
                        _place: place,
                        _open: open,
                    };
                    return (io, addr);
                }
                Some(acceptor) => {
                    let pending = handshake(acceptor.clone(), io, self.stall);
                    self.handshakes.spawn(async move {
                        let tls = pending.await?;
                        let io = Connection {
                            io: Stream::Tls(Box::new(tls)),
                            _place: place,
                            _open: open,
                        };
                        Some((io, addr))
                    });
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// The TLS handshake, bounded by `limit` as a whole; None if it failed, timed out,
/// or the client spoke plain HTTP (answered with a 400 first).
async fn handshake(acceptor: TlsAcceptor, mut io: Tcp, limit: Duration) -> Option<TlsStream<Tcp>> {
    let attempt = async {
        let mut first = [0_u8; 1];
        io.get_ref().peek(&mut first).await.ok()?;
        // Every TLS connection opens with a handshake record (content type 22).
        if first[0] != 0x16 {
            refuse_plain_http(&mut io).await;
            return None;
        }
        match acceptor.accept(io).await {
            Ok(tls) => Some(tls),
            Err(e) => {
                tracing::debug!(error = %e, "TLS handshake failed");
                None
            }
        }
    };
    tokio::time::timeout(limit, attempt).await.ok().flatten()
}

const PLAIN_HTTP_BODY: &str = "{\"error\":{\"code\":\"https_required\",\"message\":\"This server speaks HTTPS only: use an https:// address.\"}}";

/// Reads what the client sent (so closing does not reset the connection before it
/// reads the answer) and says to use HTTPS.
async fn refuse_plain_http(io: &mut Tcp) {
    let mut request = [0_u8; 4096];
    let _ = io.read(&mut request).await;
    let answer = format!(
        "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{PLAIN_HTTP_BODY}",
        PLAIN_HTTP_BODY.len()
    );
    let _ = io.write_all(answer.as_bytes()).await;
    let _ = io.shutdown().await;
}

/// An accepted connection, holding its address's place until it closes.
pub struct Connection {
    io: Stream,
    _place: Option<Place>,
    _open: Open,
}

enum Stream {
    Plain(Tcp),
    Tls(Box<TlsStream<Tcp>>),
}

impl Stream {
    /// The connection as one stream, whichever it is: both are Unpin.
    fn get(&mut self) -> Pin<&mut (dyn AsyncReadWrite + Send)> {
        match self {
            Stream::Plain(tcp) => tcp.as_mut(),
            Stream::Tls(tls) => {
                let tls: Pin<&mut TlsStream<Tcp>> = Pin::new(tls);
                tls
            }
        }
    }
}

trait AsyncReadWrite: AsyncRead + AsyncWrite {}
impl<T: AsyncRead + AsyncWrite> AsyncReadWrite for T {}

impl AsyncRead for Connection {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.io.get().poll_read(cx, buf)
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.io.get().poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.get().poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.get().poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.io.get().poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        match &self.io {
            Stream::Plain(tcp) => tcp.is_write_vectored(),
            Stream::Tls(tls) => tls.is_write_vectored(),
        }
    }
}

/// The client's address, as the connection gives it.
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub SocketAddr);

impl Connected<IncomingStream<'_, StallingListener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, StallingListener>) -> Self {
        Peer(*stream.remote_addr())
    }
}

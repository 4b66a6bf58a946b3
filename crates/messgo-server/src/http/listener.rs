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

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_io_timeout::TimeoutStream;

use super::brake::unit;
use super::ws::{Place, SocketCounts};
use crate::metrics::{Metrics, Open, Refused};

pub struct StallingListener {
    inner: TcpListener,
    stall: Duration,
    /// Open connections per address; none when a proxy stands in front.
    per_address: Option<Arc<SocketCounts>>,
    metrics: Metrics,
}

impl StallingListener {
    pub fn new(
        inner: TcpListener,
        stall: Duration,
        per_address: Option<usize>,
        metrics: Metrics,
    ) -> Self {
        StallingListener {
            inner,
            stall,
            per_address: per_address.map(SocketCounts::new),
            metrics,
        }
    }
}

impl Listener for StallingListener {
    type Io = Connection;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let (tcp, addr) = Listener::accept(&mut self.inner).await;
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
            let io = Connection {
                io: Box::pin(io),
                _place: place,
                _open: Metrics::open(&self.metrics.connections),
            };
            return (io, addr);
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// An accepted connection, holding its address's place until it closes.
pub struct Connection {
    io: Pin<Box<TimeoutStream<TcpStream>>>,
    _place: Option<Place>,
    _open: Open,
}

impl AsyncRead for Connection {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.io.as_mut().poll_read(cx, buf)
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.io.as_mut().poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.as_mut().poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.as_mut().poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.io.as_mut().poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
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

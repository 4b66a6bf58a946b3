//! The listener the server accepts on. Every connection gets a write timeout: a
//! client that stops reading (an answer, a download, a socket's events) is cut off
//! once a write has waited the stall timeout, instead of holding what was meant for
//! it, and its connection, for ever. Reading has no such timeout here (an idle
//! socket or keep-alive connection is fine); a request body that stalls is timed by
//! whoever reads it.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::net::{TcpListener, TcpStream};
use tokio_io_timeout::TimeoutStream;

pub struct StallingListener {
    inner: TcpListener,
    stall: Duration,
}

impl StallingListener {
    pub fn new(inner: TcpListener, stall: Duration) -> Self {
        StallingListener { inner, stall }
    }
}

impl Listener for StallingListener {
    type Io = Pin<Box<TimeoutStream<TcpStream>>>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (tcp, addr) = Listener::accept(&mut self.inner).await;
        let mut io = TimeoutStream::new(tcp);
        io.set_write_timeout(Some(self.stall));
        (Box::pin(io), addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
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

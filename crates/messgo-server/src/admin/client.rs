//! The client side of the admin socket, for `messgo admin` and the tests.

use std::path::Path;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;

use super::protocol::{Reply, Request};

/// How long the client waits for an answer: a deletion erases before it answers.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(120);
/// Longest answer line read (a page of users is well under it).
const MAX_ANSWER_LINE: u64 = 4 << 20;

/// A connection to a running server's admin socket.
pub struct AdminClient {
    read: BufReader<tokio::net::unix::OwnedReadHalf>,
    write: tokio::net::unix::OwnedWriteHalf,
}

impl AdminClient {
    /// Connects, or `None` when no server listens there (no socket file, or a
    /// stale one nobody answers on): then the server is not running.
    pub async fn connect(path: &Path) -> std::io::Result<Option<AdminClient>> {
        match UnixStream::connect(path).await {
            Ok(stream) => {
                let (read, write) = stream.into_split();
                Ok(Some(AdminClient {
                    read: BufReader::new(read),
                    write,
                }))
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Sends one request and reads its answer.
    pub async fn ask(&mut self, request: &Request) -> std::io::Result<Reply> {
        let mut line = serde_json::to_vec(request).map_err(std::io::Error::other)?;
        line.push(b'\n');
        self.write.write_all(&line).await?;
        let mut answer = Vec::new();
        let mut limited = tokio::io::AsyncReadExt::take(&mut self.read, MAX_ANSWER_LINE);
        let read = limited.read_until(b'\n', &mut answer);
        match tokio::time::timeout(ANSWER_TIMEOUT, read).await {
            Err(_) => Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the server did not answer in time",
            )),
            Ok(Err(e)) => Err(e),
            Ok(Ok(0)) => Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the server closed the admin connection",
            )),
            Ok(Ok(_)) => serde_json::from_slice(&answer).map_err(std::io::Error::other),
        }
    }
}

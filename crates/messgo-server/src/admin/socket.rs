//! The admin socket: a Unix socket only the server's own user can use. It is bound
//! inside a fresh directory only that user can enter, set to mode 0600, and then
//! renamed into place, so there is no moment when anyone else could connect. Each
//! connection sends request lines and reads answer lines; a line is at most
//! [`MAX_REQUEST_LINE`] bytes and must arrive within [`READ_TIMEOUT`], and at most
//! [`CONNECTIONS`] connections are served at once, so a stuck or hostile client
//! cannot hold the server.

use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{watch, Semaphore};

use super::protocol::{AdminError, Reply, Request, MAX_REQUEST_LINE};
use super::Admin;

/// How long a connection may take to send its next request line.
pub const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Admin connections served at once; more are told `busy` and closed.
pub const CONNECTIONS: usize = 4;

/// Why the admin socket could not be bound.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    /// Another server answers there: two nodes were given one path.
    #[error("another MessGo server answers on {0}; give each node its own --admin-socket")]
    InUse(String),
    /// Anything else (a full disk, a path too long): the server runs without it.
    #[error("{0:#}")]
    Other(anyhow::Error),
}

/// A bound admin socket, not yet serving.
pub struct AdminSocket {
    listener: UnixListener,
    path: PathBuf,
    /// The socket file's inode, so only our own file is removed at the end.
    ino: u64,
    /// Who owns it: this process's user.
    owner: u32,
}

impl AdminSocket {
    /// Binds the socket at `path`. A stale socket (nobody answers) is replaced; a
    /// live one means another server uses this path, which is refused.
    pub async fn bind(path: &Path) -> Result<AdminSocket, BindError> {
        if let Ok(meta) = std::fs::symlink_metadata(path) {
            if meta.file_type().is_socket() && UnixStream::connect(path).await.is_ok() {
                return Err(BindError::InUse(path.display().to_string()));
            }
        }
        Self::bind_here(path).await.map_err(BindError::Other)
    }

    async fn bind_here(path: &Path) -> anyhow::Result<AdminSocket> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .with_context(|| format!("could not create {}", dir.display()))?;
        if let Ok(meta) = std::fs::symlink_metadata(path) {
            if !meta.file_type().is_socket() {
                anyhow::bail!("{} exists and is not a socket", path.display());
            }
        }
        let private = dir.join(format!(".admin-{:016x}", rand::random::<u64>()));
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&private)
            .with_context(|| format!("could not create {}", private.display()))?;
        let bound = bind_private(&private, path);
        let _ = std::fs::remove_dir_all(&private);
        let listener = bound?;
        let meta = std::fs::symlink_metadata(path)?;
        Ok(AdminSocket {
            listener,
            path: path.to_path_buf(),
            ino: meta.ino(),
            owner: meta.uid(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Serves until `stop` turns true, then removes the socket file.
    pub async fn serve(self, admin: Arc<Admin>, mut stop: watch::Receiver<bool>) {
        let places = Arc::new(Semaphore::new(CONNECTIONS));
        loop {
            let stream = tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        tracing::warn!(error = %e, "admin socket: accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                },
                _ = stop.changed() => break,
            };
            if !from_owner(&stream, self.owner) {
                continue;
            }
            let admin = admin.clone();
            match places.clone().try_acquire_owned() {
                Ok(place) => {
                    tokio::spawn(async move {
                        converse(stream, &admin).await;
                        drop(place);
                    });
                }
                Err(_) => {
                    tokio::spawn(refuse(
                        stream,
                        AdminError::new(
                            "busy",
                            "the server is serving other admin commands; try again",
                        ),
                    ));
                }
            }
        }
        if std::fs::symlink_metadata(&self.path).is_ok_and(|m| m.ino() == self.ino) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Binds in `private` (only we can enter it), narrows the mode, moves it to `path`.
fn bind_private(private: &Path, path: &Path) -> anyhow::Result<UnixListener> {
    let temp = private.join("s");
    let listener = UnixListener::bind(&temp).with_context(|| {
        format!(
            "could not bind the admin socket at {} (a socket path must be under 108 bytes)",
            temp.display()
        )
    })?;
    std::fs::set_permissions(&temp, std::fs::Permissions::from_mode(0o600))?;
    std::fs::rename(&temp, path)
        .with_context(|| format!("could not move the admin socket to {}", path.display()))?;
    Ok(listener)
}

/// Whether the peer runs as the socket's owner, our user (or root). The file's mode
/// already keeps others out; this holds should the mode ever be loosened by hand.
fn from_owner(stream: &UnixStream, me: u32) -> bool {
    match stream.peer_cred() {
        Ok(cred) if cred.uid() == me || cred.uid() == 0 => true,
        Ok(cred) => {
            tracing::warn!(
                uid = cred.uid(),
                "admin socket: a connection from another user was refused"
            );
            false
        }
        Err(_) => false,
    }
}

async fn refuse(mut stream: UnixStream, error: AdminError) {
    let _ = write_reply(&mut stream, &Reply::Error(error)).await;
}

/// Answers request lines until the client closes, stalls or sends too long a line.
async fn converse(stream: UnixStream, admin: &Admin) {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    loop {
        let mut line = Vec::new();
        let mut limited = (&mut read).take(MAX_REQUEST_LINE as u64);
        let reply =
            match tokio::time::timeout(READ_TIMEOUT, limited.read_until(b'\n', &mut line)).await {
                Err(_) => Reply::Error(AdminError::new(
                    "timeout",
                    "no request line arrived in time",
                )),
                Ok(Err(_)) | Ok(Ok(0)) => return,
                Ok(Ok(n)) if line.last() != Some(&b'\n') && n >= MAX_REQUEST_LINE => {
                    Reply::Error(AdminError::new(
                        "line_too_long",
                        format!("a request line is at most {MAX_REQUEST_LINE} bytes"),
                    ))
                }
                Ok(Ok(_)) => match serde_json::from_slice::<Request>(&line) {
                    Ok(request) => admin.handle(request).await,
                    Err(e) => Reply::Error(AdminError::new(
                        "bad_request",
                        format!("not a request: {e}"),
                    )),
                },
            };
        let last =
            matches!(&reply, Reply::Error(e) if e.code == "timeout" || e.code == "line_too_long");
        if write_reply(&mut write, &reply).await.is_err() || last {
            return;
        }
    }
}

async fn write_reply(out: &mut (impl AsyncWriteExt + Unpin), reply: &Reply) -> std::io::Result<()> {
    let mut text = serde_json::to_vec(reply).map_err(std::io::Error::other)?;
    text.push(b'\n');
    out.write_all(&text).await?;
    out.flush().await
}

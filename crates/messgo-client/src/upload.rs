//! A file from disk, encrypted on the fly and uploaded in pieces that survive a cut:
//! after a failed piece the client asks the server how far it got and continues from
//! there, sealing again the chunk that holds that offset (sealing is deterministic for
//! a given key, prefix and chunk, so the bytes are the same ones).
//!
//! Memory: one piece (1 MiB) and one chunk, whatever the file's size.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::Duration;

use messgo_crypto::stream::{self, Sealer, HEADER_LEN, SEALED_CHUNK_LEN};
use messgo_proto::{BlobId, ChatId};
use rand::RngCore;

use crate::{Client, ClientError, FileEntry, FileKind, Result};

/// Bytes per `PATCH`: whole 64 KiB storage chunks, so a cut loses at most one piece.
pub const PIECE_LEN: usize = 16 * 65_536;
/// Failed tries in a row (no byte stored in between) before an upload gives up.
const MAX_FAILURES: u32 = 8;

/// Called with (bytes done, bytes in all) as a transfer goes.
pub type Progress<'a> = &'a mut (dyn FnMut(u64, u64) + Send);

/// One file's upload: all it takes to continue it. Holds the file's key: never logged
/// (no `Debug`).
pub struct FileUpload {
    pub id: BlobId,
    pub path: PathBuf,
    /// Plaintext bytes.
    pub size: u64,
    key: [u8; 32],
    sealer: Sealer,
}

impl FileUpload {
    /// The sealed stream's length: what the server stores.
    pub fn stream_len(&self) -> u64 {
        stream::stream_len(self.size)
    }

    /// The message's entry for this file.
    pub fn entry(&self, name: &str, mime: &str, kind: FileKind) -> FileEntry {
        FileEntry {
            blob: self.id,
            key: self.key.to_vec().into(),
            size: self.size,
            name: name.to_owned(),
            mime: mime.to_owned(),
            kind,
            thumb: None,
            thumb_key: None,
            width: None,
            height: None,
            duration: None,
            waveform: None,
        }
    }

    /// Stream bytes `[from, from + len)`, sealed from the file a chunk at a time.
    pub fn stream_piece(&self, file: &mut File, from: u64, len: usize) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(len);
        let mut chunk = Vec::with_capacity(SEALED_CHUNK_LEN);
        while out.len() < len {
            let pos = from + out.len() as u64;
            let want = len - out.len();
            let Some((index, skip)) = stream::locate(pos) else {
                let at = usize::try_from(pos).expect("inside the 8-byte header");
                let take = want.min(HEADER_LEN - at);
                out.extend_from_slice(&self.sealer.header()[at..at + take]);
                continue;
            };
            let (start, n) = self
                .sealer
                .chunk_span(index)
                .ok_or_else(|| ClientError::Refused("a piece past the stream's end".into()))?;
            chunk.clear();
            chunk.resize(n, 0);
            file.seek(SeekFrom::Start(start))?;
            // A file that shrank since the upload began fails here, not silently.
            file.read_exact(&mut chunk)?;
            self.sealer.seal_chunk(index, &mut chunk)?;
            let take = want.min(chunk.len() - skip);
            out.extend_from_slice(&chunk[skip..skip + take]);
        }
        Ok(out)
    }
}

/// Worth another try after asking for the offset: the connection broke, the server
/// stalled or was busy, or our offset was not its own.
fn retryable(e: &ClientError) -> bool {
    match e {
        ClientError::Http(_) => true,
        ClientError::Api { status, code, .. } => {
            *status >= 500 || *status == 408 || code == "offset_mismatch" || code == "upload_busy"
        }
        ClientError::Crypto(_) | ClientError::Refused(_) | ClientError::Io(_) => false,
    }
}

impl Client {
    /// Creates the upload for a file on disk under a fresh key and prefix; nothing is
    /// sent yet ([`Client::continue_file_upload`]).
    pub async fn start_file_upload(&self, chat: ChatId, path: &Path) -> Result<FileUpload> {
        let size = std::fs::metadata(path)?.len();
        let mut key = [0u8; 32];
        let mut prefix = [0u8; 7];
        rand::rngs::OsRng.fill_bytes(&mut key);
        rand::rngs::OsRng.fill_bytes(&mut prefix);
        let sealer = Sealer::new(&key, prefix, size)?;
        let state = self.create_upload(chat, stream::stream_len(size)).await?;
        Ok(FileUpload {
            id: state.id,
            path: path.to_owned(),
            size,
            key,
            sealer,
        })
    }

    /// Sends what the server does not have yet, from the offset it names; after a
    /// failed piece, asks again and continues. Gives up after a few failures in a row,
    /// leaving the upload to be continued later (or cancelled).
    pub async fn continue_file_upload(
        &self,
        up: &FileUpload,
        progress: Progress<'_>,
    ) -> Result<()> {
        let total = up.stream_len();
        let mut file = File::open(&up.path)?;
        let mut failures = 0;
        let mut offset = self.upload_offset(up.id, &mut failures).await?;
        while offset < total {
            progress(offset, total);
            let len =
                usize::try_from((total - offset).min(PIECE_LEN as u64)).expect("at most a piece");
            let piece = up.stream_piece(&mut file, offset, len)?;
            match self.append_upload(up.id, offset, piece).await {
                Ok(state) if state.offset > offset => {
                    offset = state.offset;
                    failures = 0;
                }
                Ok(_) => {
                    failures += 1;
                    offset = self.upload_offset(up.id, &mut failures).await?;
                }
                Err(e) if retryable(&e) && failures < MAX_FAILURES => {
                    failures += 1;
                    pause(failures).await;
                    offset = self.upload_offset(up.id, &mut failures).await?;
                }
                Err(e) => return Err(e),
            }
            if failures >= MAX_FAILURES {
                return Err(ClientError::Refused("the upload made no progress".into()));
            }
        }
        progress(total, total);
        Ok(())
    }

    /// Uploads a file whole: start, continue; cancelled (its chunks erased) when it
    /// cannot finish.
    pub async fn upload_file(
        &self,
        chat: ChatId,
        path: &Path,
        progress: Progress<'_>,
    ) -> Result<FileUpload> {
        let up = self.start_file_upload(chat, path).await?;
        if let Err(e) = self.continue_file_upload(&up, progress).await {
            // Best effort: the server also drops it an hour after its last piece.
            let _ = self.cancel_upload(up.id).await;
            return Err(e);
        }
        Ok(up)
    }

    /// The stored offset, asked again while the connection fails.
    async fn upload_offset(&self, id: BlobId, failures: &mut u32) -> Result<u64> {
        loop {
            match self.upload_state(id).await {
                Ok(state) => return Ok(state.offset),
                Err(e) if retryable(&e) && *failures < MAX_FAILURES => {
                    *failures += 1;
                    pause(*failures).await;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// A growing pause between tries, so a server that is restarting is not hammered.
pub(crate) async fn pause(failures: u32) {
    tokio::time::sleep(Duration::from_millis(100 * u64::from(failures.min(20)))).await;
}

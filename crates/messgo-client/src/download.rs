//! An attachment streamed down and decrypted as it arrives: a chunk at a time into a
//! file, continued with `Range` after a cut. A stream that does not open to its end
//! leaves nothing behind: the bytes go to a hidden temporary file, named as the file
//! only once the last chunk opened.

use std::io::Write;
use std::path::{Path, PathBuf};

use messgo_crypto::stream::{self, Opener};
use messgo_proto::BlobId;

use crate::upload::{pause, Progress};
use crate::{safe_file_name, Client, ClientError, FileEntry, Result};

/// Failed requests in a row (nothing received in between) before a download gives up.
const MAX_FAILURES: u32 = 8;
/// Names tried (`name`, `name (1)`, …) before giving up on a free one.
const MAX_NAME_TRIES: u32 = 1_000;

impl Client {
    /// Downloads blob `id`, a stream of a `size`-byte plaintext under `key`, and writes
    /// the plaintext to `out` as it opens. On an error `out` may hold part of it: the
    /// caller discards it (as [`Client::download_file`] does).
    pub async fn download_to(
        &self,
        id: BlobId,
        key: &[u8; 32],
        size: u64,
        out: &mut impl Write,
        progress: Progress<'_>,
    ) -> Result<()> {
        let total = stream::stream_len(size);
        let mut opener = Opener::new(key);
        let mut got = 0u64;
        let mut failures = 0;
        while got < total {
            let before = got;
            let cut = self
                .download_from(id, total, &mut got, &mut opener, out, progress)
                .await;
            match cut {
                Ok(()) => {}
                Err(e) if retryable(&e) && failures < MAX_FAILURES => {}
                Err(e) => return Err(e),
            }
            if got == before {
                failures += 1;
                if failures >= MAX_FAILURES {
                    return Err(ClientError::Refused("the download made no progress".into()));
                }
                pause(failures).await;
            } else {
                failures = 0;
            }
        }
        out.write_all(&opener.finish()?)?;
        progress(total, total);
        Ok(())
    }

    /// One request, from stream byte `got` on; returns when its body ends or breaks.
    async fn download_from(
        &self,
        id: BlobId,
        total: u64,
        got: &mut u64,
        opener: &mut Opener,
        out: &mut impl Write,
        progress: Progress<'_>,
    ) -> Result<()> {
        let mut req = self.http.get(format!("{}/api/blobs/{id}", self.base));
        if *got > 0 {
            req = req.header(reqwest::header::RANGE, format!("bytes={got}-"));
        }
        let mut res = self.go(req).await?;
        let expected = if *got > 0 { 206 } else { 200 };
        if !res.status().is_success() {
            return Err(crate::api_error(res).await);
        }
        if res.status().as_u16() != expected || res.content_length() != Some(total - *got) {
            // The message said another size, or the server did not continue where asked.
            return Err(ClientError::Refused(
                "the attachment is not the size its message says".into(),
            ));
        }
        while let Some(bytes) = res.chunk().await? {
            if *got + bytes.len() as u64 > total {
                return Err(ClientError::Refused(
                    "the attachment is longer than it said".into(),
                ));
            }
            out.write_all(&opener.push(&bytes)?)?;
            *got += bytes.len() as u64;
            progress(*got, total);
        }
        Ok(())
    }

    /// Downloads `entry` into directory `dir` under its name made safe
    /// ([`safe_file_name`]); never replaces a file: when the name is taken, `name (1)`,
    /// `name (2)`, … Returns the path written. Nothing is left when it fails.
    pub async fn download_file(
        &self,
        entry: &FileEntry,
        dir: &Path,
        progress: Progress<'_>,
    ) -> Result<PathBuf> {
        let key = entry
            .key_bytes()
            .ok_or_else(|| ClientError::Refused("the file's key is not 32 bytes".into()))?;
        let mut tmp = tempfile::Builder::new()
            .prefix(".messgo-download-")
            .tempfile_in(dir)?;
        self.download_to(entry.blob, &key, entry.size, tmp.as_file_mut(), progress)
            .await?;
        tmp.as_file().sync_all()?;
        let name = safe_file_name(&entry.name);
        for n in 0..MAX_NAME_TRIES {
            let path = dir.join(numbered(&name, n));
            // Linked into place only if nothing is there: never overwrites, even a file
            // that appeared meanwhile.
            match tmp.persist_noclobber(&path) {
                Ok(_) => return Ok(path),
                Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => tmp = e.file,
                Err(e) => return Err(e.error.into()),
            }
        }
        Err(ClientError::Refused(format!(
            "{MAX_NAME_TRIES} files with this name are there already"
        )))
    }
}

fn retryable(e: &ClientError) -> bool {
    match e {
        ClientError::Http(_) => true,
        ClientError::Api { status, code, .. } => *status >= 500 || code == "too_many_downloads",
        ClientError::Crypto(_) | ClientError::Refused(_) | ClientError::Io(_) => false,
    }
}

/// `report.pdf`, `report (1).pdf`, `report (2).pdf`; a leading dot never counts as
/// an extension's (safe names have none).
fn numbered(name: &str, n: u32) -> String {
    if n == 0 {
        return name.to_owned();
    }
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && !ext.is_empty() => format!("{stem} ({n}).{ext}"),
        Some(_) | None => format!("{name} ({n})"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn taken_names_are_numbered_before_the_extension() {
        assert_eq!(super::numbered("a.pdf", 0), "a.pdf");
        assert_eq!(super::numbered("a.tar.gz", 2), "a.tar (2).gz");
        assert_eq!(super::numbered("notes", 1), "notes (1)");
    }
}

//! `messgo chat send --file` and `messgo chat download`: attachments streamed through
//! `messgo-client` (encrypted on the fly, a chunk at a time), and how `history`
//! shows them.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use messgo_client::{
    human_size, safe_file_name, Client, FileEntry, FileKind, FileUpload, Keyring, Opened,
    Plaintext, MAX_FILES_PER_MESSAGE,
};
use messgo_proto::{Chat, ChatId};

/// What `history` prints for a message: its text, then `[file NAME (SIZE)]` for each
/// file (`image`, `video`, `voice` likewise), the name made safe for a terminal.
pub fn describe(opened: &Opened) -> String {
    let mut parts: Vec<String> = Vec::new();
    if !opened.text.is_empty() || opened.files.is_empty() {
        parts.push(opened.text.clone());
    }
    for f in &opened.files {
        parts.push(format!(
            "[{} {} ({})]",
            f.kind.label(),
            safe_file_name(&f.name),
            human_size(f.size)
        ));
    }
    parts.join(" ")
}

/// A progress bar on stderr when it is a terminal; hidden otherwise (scripts).
fn bar(label: String) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    let style =
        ProgressStyle::with_template("{msg} {bar:30} {bytes}/{total_bytes} {bytes_per_sec}")
            .expect("the template is valid");
    bar.set_style(style);
    bar.set_message(label);
    bar
}

/// The file's type from its extension, as the browser would guess it.
fn mime_of(path: &Path) -> String {
    mime_guess::from_path(path)
        .first_raw()
        .unwrap_or("application/octet-stream")
        .to_owned()
}

/// The name the message carries: the file's own, at most 255 characters.
fn name_of(path: &Path) -> anyhow::Result<String> {
    let name = path
        .file_name()
        .ok_or_else(|| anyhow!("{} names no file", path.display()))?
        .to_string_lossy();
    Ok(name.chars().take(messgo_client::MAX_NAME_CHARS).collect())
}

/// Uploads each file (encrypted under a key of its own) and returns the plaintext
/// that lists them. Every file goes as kind `file`: images are not re-encoded here, so
/// they keep their metadata and must not pass for a stripped image (docs/crypto.md).
pub async fn upload(
    client: &Client,
    chat: ChatId,
    paths: &[PathBuf],
    text: String,
) -> anyhow::Result<Plaintext> {
    if paths.len() > MAX_FILES_PER_MESSAGE {
        bail!("a message carries at most {MAX_FILES_PER_MESSAGE} files");
    }
    let mut done: Vec<(FileUpload, String, String)> = Vec::new();
    for path in paths {
        match upload_one(client, chat, path).await {
            Ok(up) => done.push(up),
            Err(e) => {
                // The others would wait an hour for a message that never comes.
                for (up, _, _) in &done {
                    let _ = client.cancel_upload(up.id).await;
                }
                return Err(e);
            }
        }
    }
    let files = done
        .iter()
        .map(|(up, name, mime)| up.entry(name, mime, FileKind::File))
        .collect();
    Ok(Plaintext {
        text,
        files,
        ..Plaintext::default()
    })
}

async fn upload_one(
    client: &Client,
    chat: ChatId,
    path: &Path,
) -> anyhow::Result<(FileUpload, String, String)> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    if !meta.is_file() {
        bail!("{} is not a file", path.display());
    }
    let name = name_of(path)?;
    let mime = mime_of(path);
    let bar = bar(name.clone());
    let up = client
        .upload_file(chat, path, &mut |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        })
        .await
        .with_context(|| format!("could not upload {}", path.display()))?;
    bar.finish_and_clear();
    Ok((up, name, mime))
}

/// The message whose files `download` saves: the one at `seq`, else the latest with
/// files that `from` sent.
async fn find(
    client: &Client,
    keys: &mut Keyring<'_>,
    chat: &Chat,
    from: &str,
    seq: Option<i64>,
) -> anyhow::Result<Opened> {
    let sender = chat
        .members
        .iter()
        .find(|m| m.username == from.to_ascii_lowercase())
        .map(|m| m.user_id)
        .ok_or_else(|| anyhow!("{from} is not in the chat"))?;
    let mut before = seq.map(|s| s.saturating_add(1));
    loop {
        let page = client.messages(chat.id, before, None, 200).await?;
        let Some(oldest) = page.last() else {
            bail!("no such message with files");
        };
        before = Some(oldest.seq);
        for m in &page {
            if seq.is_some_and(|s| m.seq != s) {
                bail!("no message {} with files", seq.unwrap_or_default());
            }
            let Ok(opened) = keys.open(client, chat, m).await else {
                continue;
            };
            if !opened.files.is_empty() && (seq.is_some() || opened.sender == sender) {
                return Ok(opened);
            }
        }
    }
}

/// Saves the files of a message into `out`, printing each path written.
pub async fn download(
    client: &Client,
    keys: &mut Keyring<'_>,
    chat: &Chat,
    from: &str,
    seq: Option<i64>,
    out: &Path,
) -> anyhow::Result<()> {
    if !out.is_dir() {
        bail!("{} is not a directory", out.display());
    }
    let opened = find(client, keys, chat, from, seq).await?;
    for f in &opened.files {
        let path = save(client, f, out).await?;
        println!("saved {} ({})", path.display(), human_size(f.size));
    }
    Ok(())
}

async fn save(client: &Client, f: &FileEntry, out: &Path) -> anyhow::Result<PathBuf> {
    let name = safe_file_name(&f.name);
    let bar = bar(name.clone());
    let path = client
        .download_file(f, out, &mut |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        })
        .await
        .with_context(|| format!("could not download {name}"))?;
    bar.finish_and_clear();
    Ok(path)
}

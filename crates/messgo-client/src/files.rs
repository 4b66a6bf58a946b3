//! What a message's plaintext says about its attachments (docs/crypto.md,
//! "Attachments"): each file's blob, key, size, name and type travel sealed inside the
//! message, never in clear.

use messgo_proto::{BlobId, Bytes};
use serde::{Deserialize, Serialize};

/// Most files one message lists (each may bring a thumbnail: 20 blobs, the server's
/// limit).
pub const MAX_FILES_PER_MESSAGE: usize = 10;
/// Longest name, in characters.
pub const MAX_NAME_CHARS: usize = 255;
/// Longest MIME type, in characters.
pub const MAX_TYPE_CHARS: usize = 127;

/// How a receiver presents a file; what it may open inline also depends on `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    File,
    Image,
    Video,
    Voice,
}

impl FileKind {
    pub fn label(self) -> &'static str {
        match self {
            FileKind::File => "file",
            FileKind::Image => "image",
            FileKind::Video => "video",
            FileKind::Voice => "voice",
        }
    }
}

/// One entry of a message's `files`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub blob: BlobId,
    /// The attachment's own 32-byte key.
    pub key: Bytes,
    /// Plaintext bytes.
    pub size: u64,
    /// Chosen by the sender: show it through [`safe_file_name`], never as a path.
    pub name: String,
    #[serde(rename = "type")]
    pub mime: String,
    pub kind: FileKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumb: Option<BlobId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumb_key: Option<Bytes>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// Milliseconds (voice, video).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<u64>,
    /// Base64url of at most 64 one-byte levels (voice).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waveform: Option<Bytes>,
}

impl FileEntry {
    /// The key as 32 bytes, or `None` when the sender sent something else.
    pub fn key_bytes(&self) -> Option<[u8; 32]> {
        self.key.as_slice().try_into().ok()
    }
}

/// A sender-chosen name made safe to create in a directory of the receiver's choice:
/// no path separators, no control characters, no leading dots (no hidden files, no
/// `..`), at most 255 characters; `download` when nothing is left.
pub fn safe_file_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| match c {
            '/' | '\\' => '_',
            c if c.is_control() || is_invisible(c) => '_',
            c => c,
        })
        .collect();
    let trimmed = cleaned.trim().trim_start_matches(['.', '_', ' ']);
    let mut out: String = trimmed.chars().take(MAX_NAME_CHARS).collect();
    // Nor a trailing dot or space, which some file systems drop silently.
    while out.ends_with(['.', ' ']) {
        out.pop();
    }
    if out.is_empty() {
        return "download".to_owned();
    }
    out
}

/// Characters that reorder or hide text on a terminal or in a file manager (a name
/// like `txt.exe` shown as `exe.txt`).
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

/// `1.5 MiB`, `12 KiB`, `900 B`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes;
    let mut tenths = 0;
    let mut unit = 0;
    while value >= 1024 && unit + 1 < UNITS.len() {
        tenths = (value % 1024) * 10 / 1024;
        value /= 1024;
        unit += 1;
    }
    if unit == 0 || value >= 10 || tenths == 0 {
        format!("{value} {}", UNITS[unit])
    } else {
        format!("{value}.{tenths} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_are_made_safe() {
        assert_eq!(safe_file_name("../../etc/passwd"), "etc_passwd");
        assert_eq!(safe_file_name(".bashrc"), "bashrc");
        assert_eq!(safe_file_name("a\\b/c.txt"), "a_b_c.txt");
        assert_eq!(safe_file_name("evil\x1b[31m.txt"), "evil_[31m.txt");
        assert_eq!(safe_file_name("x\u{202e}txt.exe"), "x_txt.exe");
        assert_eq!(safe_file_name("..."), "download");
        assert_eq!(safe_file_name(""), "download");
        assert_eq!(safe_file_name("report.pdf."), "report.pdf");
        assert_eq!(safe_file_name(&"é".repeat(300)).chars().count(), 255);
        assert_eq!(safe_file_name("Résumé 2026.pdf"), "Résumé 2026.pdf");
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_size(900), "900 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(12 * 1024), "12 KiB");
        assert_eq!(human_size(5 * 1024 * 1024 + 1), "5 MiB");
    }

    #[test]
    fn an_entry_reads_as_the_browser_writes_it() {
        let json = r#"{"blob":"0192a1b2-0000-7000-8000-000000000001","key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "size":3,"name":"a.txt","type":"text/plain","kind":"file"}"#;
        let e: FileEntry = serde_json::from_str(json).unwrap();
        assert_eq!(e.kind, FileKind::File);
        assert_eq!(e.key_bytes(), Some([0; 32]));
        let back = serde_json::to_value(&e).unwrap();
        assert_eq!(back["type"], "text/plain");
        assert!(back.get("thumb").is_none());
    }
}

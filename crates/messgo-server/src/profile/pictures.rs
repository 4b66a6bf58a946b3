//! Pictures the operator sets (`--default-avatar`, `--assistant-avatar`): read and
//! checked once at start with the same rules as a user's avatar (a JPEG, PNG or WebP
//! of at most 256 KiB), then served from memory to anyone
//! (`GET /api/pictures/default-avatar`, `GET /api/pictures/assistant`).

use std::path::Path;

use messgo_proto::AVATAR_MAX_BYTES;
use sha2::{Digest, Sha256};

use super::image_type;
use crate::config::Config;

/// One picture, as served.
#[derive(Debug, Clone)]
pub struct Picture {
    pub bytes: bytes::Bytes,
    pub content_type: &'static str,
    /// A strong validator: the first 16 bytes of the picture's SHA-256, quoted.
    pub etag: String,
}

/// The operator's pictures; `None` where unset.
#[derive(Debug, Clone, Default)]
pub struct Pictures {
    pub default_avatar: Option<Picture>,
    pub assistant: Option<Picture>,
}

/// A picture that cannot be used, in one line naming the setting, the file and the
/// problem.
#[derive(Debug, thiserror::Error)]
#[error("--{setting} {path}: {problem}")]
pub struct BadPicture {
    setting: &'static str,
    path: String,
    problem: String,
}

impl Pictures {
    pub fn load(config: &Config) -> Result<Pictures, BadPicture> {
        let load = |setting, path: &Option<std::path::PathBuf>| {
            path.as_deref().map(|p| read(setting, p)).transpose()
        };
        Ok(Pictures {
            default_avatar: load("default-avatar", &config.default_avatar)?,
            assistant: load("assistant-avatar", &config.assistant_avatar)?,
        })
    }
}

fn read(setting: &'static str, path: &Path) -> Result<Picture, BadPicture> {
    let bad = |problem: String| BadPicture {
        setting,
        path: path.display().to_string(),
        problem,
    };
    // Read at most one byte past the limit: a huge file is refused without loading it.
    let limit = u64::try_from(AVATAR_MAX_BYTES).unwrap_or(u64::MAX) + 1;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| std::io::Read::read_to_end(&mut std::io::Read::take(f, limit), &mut bytes))
        .map_err(|e| bad(format!("cannot be read ({e})")))?;
    if bytes.len() > AVATAR_MAX_BYTES {
        return Err(bad("is larger than 256 KiB, the limit for avatars".into()));
    }
    let content_type =
        image_type(&bytes).ok_or_else(|| bad("is not a JPEG, PNG or WebP image".into()))?;
    let digest = Sha256::digest(&bytes);
    let etag = format!(
        "\"{}\"",
        digest[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    Ok(Picture {
        bytes: bytes.into(),
        content_type,
        etag,
    })
}

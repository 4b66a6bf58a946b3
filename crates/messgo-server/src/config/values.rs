//! How setting values are read and bounded: clap value parsers, named in each setting's
//! declaration. An error says what is wrong with the value; the caller names the key and
//! where the value came from.

use std::fmt::Display;
use std::str::FromStr;
use std::time::Duration;

use super::{InvitesBy, Registration, MAX_RETENTION};

/// A value parser as clap takes it: a function of the text, cheap to clone.
pub(super) trait Parser<T>:
    Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static
{
}
impl<T, F: Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static> Parser<T> for F {}

/// A whole number of any width.
pub(super) trait Whole:
    FromStr + PartialOrd + Display + Copy + Send + Sync + 'static
{
}
impl<T: FromStr + PartialOrd + Display + Copy + Send + Sync + 'static> Whole for T {}

fn whole<T: Whole>(s: &str) -> Result<T, String> {
    s.parse()
        .map_err(|_| format!("'{s}' is not a whole number"))
}

/// A whole number no smaller than `lo`.
pub(super) fn at_least<T: Whole>(lo: T) -> impl Parser<T> {
    move |s| match whole(s)? {
        v if v < lo => Err(format!("must be at least {lo}")),
        v => Ok(v),
    }
}

/// A whole number in `lo..=hi`.
pub(super) fn between<T: Whole>(lo: T, hi: T) -> impl Parser<T> {
    move |s| match whole(s)? {
        v if v < lo || v > hi => Err(format!("must be between {lo} and {hi}")),
        v => Ok(v),
    }
}

/// A duration written the human way (`30d`, `15m`, `72h`, `90s`), no shorter than `lo`.
pub(super) fn duration(lo: Duration) -> impl Parser<Duration> {
    move |s| {
        let d = humantime::parse_duration(s)
            .map_err(|e| format!("'{s}' is not a duration like 30s, 15m, 72h or 30d ({e})"))?;
        if d < lo {
            return Err(format!(
                "must be at least {}",
                humantime::format_duration(lo)
            ));
        }
        Ok(d)
    }
}

/// How long conversation data may live: at least a second, and never over the promise.
pub(super) fn retention(s: &str) -> Result<Duration, String> {
    let d = duration(Duration::from_secs(1))(s)?;
    if d > MAX_RETENTION {
        return Err("MessGo keeps conversations at most 72 hours; \
            the retention can be lowered, never raised"
            .to_owned());
    }
    Ok(d)
}

/// Yes or no, in the usual spellings.
pub(super) fn boolean(s: &str) -> Result<bool, String> {
    match s {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(format!("'{s}' is not true or false")),
    }
}

/// The assistant's API base, without a trailing slash.
pub(super) fn http_url(s: &str) -> Result<String, String> {
    if s.starts_with("http://") || s.starts_with("https://") {
        Ok(s.trim_end_matches('/').to_owned())
    } else {
        Err("must be an http(s) URL such as http://127.0.0.1:11434/v1".to_owned())
    }
}

/// The server's public address: an http(s) URL of a host (and port), nothing more.
pub(super) fn public_url(s: &str) -> Result<String, String> {
    let url = http_url(s)
        .map_err(|_| "must be an http(s) URL such as https://chat.example.org".to_owned())?;
    let rest = url.split_once("://").map_or("", |(_, rest)| rest);
    if rest.is_empty() || rest.contains(['/', '?', '#', '@']) {
        return Err(
            "must be a scheme and a host (and port) only, such as https://chat.example.org"
                .to_owned(),
        );
    }
    Ok(url)
}

pub(super) fn model_name(s: &str) -> Result<String, String> {
    if s.is_empty() {
        Err("must name the model when ai_url is set".to_owned())
    } else {
        Ok(s.to_owned())
    }
}

pub(super) fn nats_url(s: &str) -> Result<String, String> {
    if s.starts_with("nats://") {
        Ok(s.to_owned())
    } else {
        Err("must be a nats:// URL (or unset for a single node)".to_owned())
    }
}

pub(super) fn registration(s: &str) -> Result<Registration, String> {
    match s {
        "open" => Ok(Registration::Open),
        "invite" => Ok(Registration::Invite),
        "closed" => Ok(Registration::Closed),
        _ => Err(format!("'{s}' is not open, invite or closed")),
    }
}

pub(super) fn invites_by(s: &str) -> Result<InvitesBy, String> {
    match s {
        "users" => Ok(InvitesBy::Users),
        "operator" => Ok(InvitesBy::Operator),
        _ => Err(format!("'{s}' is not users or operator")),
    }
}

/// A size in bytes: a whole number, or one with a unit (`KiB`, `MiB`, `GiB`, `TiB`,
/// or the same with `KB`…, read as the binary units all the same; `0` is zero).
pub(super) fn size(s: &str) -> Result<u64, String> {
    let bad = || format!("'{s}' is not a size like 512MiB, 1GiB or 1048576");
    let t = s.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(digits);
    let n: u64 = number.parse().map_err(|_| bad())?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => return Err(bad()),
    };
    n.checked_mul(1 << shift).ok_or_else(bad)
}

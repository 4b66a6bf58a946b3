//! Configuration, declared once: each field of [`Config`] below is one setting, and its
//! `#[arg]` attribute is the whole declaration. From it follow the flag (`--data-dir`),
//! the key in `messgo.toml` (`data_dir`, clap's id), the environment variable
//! (`MESSGO_DATA_DIR`), the default, the bound (the value parser), the help text (the
//! doc comment), and the README's table of settings.
//!
//! Settings are layered: defaults < `messgo.toml` < `MESSGO_*` environment < flags (see
//! [`ConfigLayer`] and [`Config::resolve`]). Secrets, marked `hide_env_values`, can also
//! come from a file named by `<VARIABLE>_FILE`, and are redacted when printed.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use messgo_proto::KdfParams;

mod layers;
#[cfg(test)]
mod tests;
mod values;

pub use layers::{readme_table, settings, ConfigLayer, Setting};
pub use messgo_proto::Registration;
use values::{
    at_least, between, boolean, duration, http_url, invites_by, model_name, nats_url, public_url,
    registration, retention, size,
};

/// The promise: nothing about a conversation stays longer than 72 hours.
pub const MAX_RETENTION: Duration = Duration::from_secs(72 * 3600);

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{key}: {problem}")]
    Invalid { key: String, problem: String },
    #[error("could not read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("messgo.toml: {0}")]
    Toml(String),
}

fn invalid(key: &str, problem: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.to_owned(),
        problem: problem.into(),
    }
}

/// The resolved, validated configuration: every setting, each declared here once.
#[derive(Clone, Args, derive_more::Debug)]
pub struct Config {
    /// Address to listen on
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// Directory for the embedded SQLite database
    #[arg(long, value_name = "DIR", default_value = "messgo-data")]
    pub data_dir: PathBuf,

    /// Database URL: postgres://… for PostgreSQL, or a SQLite file path; unset: DATA_DIR/messgo.db
    #[arg(long, value_name = "URL", hide_env_values = true)]
    #[debug("{:?}", database.as_deref().map(redact_url))]
    pub database: Option<String>,

    /// The local socket `messgo admin` talks to, owner-only (mode 0600); each node on one PostgreSQL needs its own; unset: DATA_DIR/admin.sock
    #[arg(long, value_name = "PATH")]
    pub admin_socket: Option<PathBuf>,

    /// PostgreSQL connections each node keeps open at most; nodes × this must stay below the server's max_connections (100 by default), so six nodes want about 15; SQLite ignores it
    #[arg(long, value_name = "N", default_value = "16", value_parser = at_least(1_u32))]
    pub database_pool: u32,

    /// nats://… to share real-time events between server nodes on one PostgreSQL; unset: this process only
    #[arg(long, value_name = "URL", value_parser = nats_url)]
    #[debug("{:?}", bus.as_deref().map(redact_url))]
    pub bus: Option<String>,

    /// The address people reach MessGo at, e.g. https://chat.example.org: only requests naming its host or a loopback name are served (else 421 wrong_host); unset: any host (with a warning when listening beyond loopback)
    #[arg(long, value_name = "URL", value_parser = public_url)]
    pub public_url: Option<String>,

    /// Log filter, e.g. info, debug, messgo_server=debug
    #[arg(long, value_name = "FILTER", default_value = "info")]
    pub log: String,

    /// Serve Prometheus metrics (totals only, README: Metrics) at http://ADDR/metrics, on this address alone, e.g. 127.0.0.1:9090; unset: no metrics
    #[arg(long, value_name = "ADDR")]
    pub metrics_bind: Option<SocketAddr>,

    // 256 MiB: room for SQLite's WAL between checkpoints and for hours of a busy
    // small server's messages, so an operator is warned well before writes fail
    // (`storage_full`), yet small beside any disk a server runs on, so a small VPS
    // with a few GiB free is not reported unready.
    /// /api/ready answers 503 ("disk":"low") while the disk holding the SQLite database (on PostgreSQL, the data dir) has less free space than this (e.g. 512MiB, 2GiB; 0: never)
    #[arg(long, value_name = "SIZE", default_value = "256MiB", value_parser = size)]
    pub ready_min_free_disk: u64,

    /// The picture shown for people without one of their own: a JPEG, PNG or WebP file of at most 256 KiB, checked at start; unset: their initial
    #[arg(long, value_name = "PATH")]
    pub default_avatar: Option<PathBuf>,

    /// The assistant's picture: a JPEG, PNG or WebP file of at most 256 KiB, checked at start; unset: its initial
    #[arg(long, value_name = "PATH")]
    pub assistant_avatar: Option<PathBuf>,

    /// Clients reach MessGo over HTTPS through a proxy: Secure cookies, HSTS, https origin check
    #[arg(long, value_name = "BOOL", default_value = "false", value_parser = boolean,
        num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set)]
    pub behind_tls_proxy: bool,

    // Built-in TLS: tls_cert and tls_key, set together or not at all.
    #[command(flatten)]
    pub tls: Option<TlsFiles>,

    /// Take the client address from the last X-Forwarded-For hop (only behind a proxy you run)
    #[arg(long, value_name = "BOOL", default_value = "false", value_parser = boolean,
        num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set)]
    pub trust_forwarded_for: bool,

    /// Largest JSON request body in bytes (1 KiB to 64 MiB); beyond: 413 payload_too_large
    #[arg(long, value_name = "BYTES", default_value = "65536",
        value_parser = between::<usize>(1024, 64 << 20))]
    pub max_body_bytes: usize,

    /// PBKDF2 iterations for new accounts (100,000 to 10,000,000)
    #[arg(long, value_name = "N", default_value_t = KdfParams::DEFAULT_ITERATIONS,
        value_parser = between(KdfParams::MIN_ITERATIONS, KdfParams::MAX_ITERATIONS))]
    pub kdf_iterations: u32,

    /// A login session ends after this long unused
    #[arg(long, value_name = "DURATION", default_value = "30d",
        value_parser = duration(Duration::from_secs(60)))]
    pub session_idle: Duration,

    /// Failed logins allowed per username per window; beyond: 429 rate_limited
    #[arg(long, value_name = "N", default_value = "10", value_parser = at_least(1_u32))]
    pub login_limit_per_username: u32,

    /// Failed logins allowed per client address per window; beyond: 429 rate_limited
    #[arg(long, value_name = "N", default_value = "50", value_parser = at_least(1_u32))]
    pub login_limit_per_ip: u32,

    /// The window of the failed-login limits
    #[arg(long, value_name = "DURATION", default_value = "15m",
        value_parser = duration(Duration::from_secs(1)))]
    pub login_limit_window: Duration,

    /// Who may sign up: open (anyone), invite (only with an invite link) or closed (nobody); unset: open when --bind is a loopback address, invite otherwise
    #[arg(long, value_name = "MODE", value_parser = registration)]
    pub registration: Option<Registration>,

    /// Who may make invite links: users (any signed-in user; each invite also connects its maker and the new account) or operator (only `messgo admin`)
    #[arg(long, value_name = "WHO", default_value = "users", value_parser = invites_by)]
    pub invites_by: InvitesBy,

    /// Registrations allowed per client address per hour; beyond: 429 rate_limited
    #[arg(long, value_name = "N", default_value = "20", value_parser = at_least(1_u32))]
    pub register_limit_per_ip: u32,

    /// Connection requests an account may send per hour; beyond: 429 rate_limited
    #[arg(long, value_name = "N", default_value = "30", value_parser = at_least(1_u32))]
    pub request_limit_per_hour: u32,

    /// Messages an account may send per minute; beyond: nack rate_limited
    #[arg(long, value_name = "N", default_value = "600", value_parser = at_least(1_u32))]
    pub messages_per_minute: u32,

    /// How long conversation data may live on the server: at most 72h; lower it (e.g. 24h or 30s), never raise it
    #[arg(long, value_name = "DURATION", default_value = "72h", value_parser = retention)]
    pub retention: Duration,

    /// How often expired data is deleted and its bytes reclaimed
    #[arg(long, value_name = "DURATION", default_value = "60s",
        value_parser = duration(Duration::from_millis(100)))]
    pub sweep_interval: Duration,

    /// While the disk is full, how long after a failed try a write tries again to open the database for writing
    #[arg(long, value_name = "DURATION", default_value = "5s",
        value_parser = duration(Duration::ZERO))]
    pub full_disk_retry: Duration,

    /// Largest encrypted attachment in bytes (1 KiB to 256 MiB); beyond: 413 payload_too_large
    #[arg(long, value_name = "BYTES", default_value = "104857600",
        value_parser = between::<usize>(1024, 256 << 20))]
    pub max_blob_bytes: usize,

    /// Bytes of attachments one account may have stored at once, until they expire; beyond: 413 quota_exceeded
    #[arg(long, value_name = "BYTES", default_value = "1073741824", value_parser = at_least(1024_u64))]
    pub upload_quota_bytes: u64,

    /// Attachments an account may upload per hour; beyond: 429 rate_limited
    #[arg(long, value_name = "N", default_value = "200", value_parser = at_least(1_u32))]
    pub uploads_per_hour: u32,

    /// Uploads one account may have under way at once; beyond: 429 too_many_uploads
    #[arg(long, value_name = "N", default_value = "4", value_parser = at_least(1_usize))]
    pub uploads_at_once: usize,

    /// Sockets one account may have open at once on a node; beyond: 429 too_many_sockets
    #[arg(long, value_name = "N", default_value = "32", value_parser = at_least(1_usize))]
    pub sockets_per_account: usize,

    /// Sockets one client address may have open at once on a node; beyond: 429 too_many_sockets
    #[arg(long, value_name = "N", default_value = "256", value_parser = at_least(1_usize))]
    pub sockets_per_address: usize,

    /// Downloads of attachments one client address may have under way at once on a node; beyond: 429 too_many_downloads
    #[arg(long, value_name = "N", default_value = "64", value_parser = at_least(1_usize))]
    pub downloads_per_address: usize,

    /// Requests one client address may make per second on average, in bursts of ten seconds' worth; beyond: 429 too_many_requests, answered after a 1 s hold
    #[arg(long, value_name = "N", default_value = "100", value_parser = at_least(1_u32))]
    pub requests_per_address: u32,

    /// Connections one client address may hold open at once (not counted behind a proxy, with --trust-forwarded-for); beyond: the new connection is closed unanswered
    #[arg(long, value_name = "N", default_value = "512", value_parser = at_least(1_usize))]
    pub connections_per_address: usize,

    /// How long a connection may stall: a request body that sends nothing (408 upload_stalled for uploads), or an answer or socket the client does not read, for this long is cut off
    #[arg(long, value_name = "DURATION", default_value = "30s",
        value_parser = duration(Duration::from_millis(100)))]
    pub stall_timeout: Duration,

    // The assistant's model: ai_url, ai_model and ai_key, set together or not at all.
    #[command(flatten)]
    pub ai: Option<AiConfig>,

    /// A system prompt sent before every conversation with the assistant
    #[arg(long, value_name = "TEXT")]
    pub ai_system_prompt: Option<String>,

    /// How long one answer may take
    #[arg(long, value_name = "DURATION", default_value = "120s", value_parser = duration(Duration::ZERO))]
    pub ai_timeout: Duration,

    /// Questions an account may ask the assistant per hour; beyond: ai.error rate_limited
    #[arg(long, value_name = "N", default_value = "60", value_parser = at_least(1_u32))]
    pub ai_requests_per_hour: u32,

    /// Largest context one question may carry, images included, in bytes; beyond: ai.error context_too_large
    #[arg(long, value_name = "BYTES", default_value = "8388608", value_parser = at_least(1024_usize))]
    pub ai_context_bytes: usize,
}

/// Who may make invite links (`--invites-by`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitesBy {
    Users,
    Operator,
}

impl Config {
    /// The registration mode in force, and why, in words for the startup line: an
    /// explicit `--registration`, else open on loopback and invite-only beyond it, so
    /// a server reachable by strangers is not open to them by surprise.
    pub fn registration_mode(&self) -> (Registration, String) {
        let ip = self.bind.ip();
        match self.registration {
            Some(mode) => (mode, "set by --registration".to_owned()),
            None if ip.is_loopback() => (
                Registration::Open,
                format!("bound to {ip}, loopback; set --registration invite to require invites"),
            ),
            None => (
                Registration::Invite,
                format!(
                    "bound to {ip}, not loopback; set --registration open to let anyone sign up"
                ),
            ),
        }
    }
}

/// The assistant's model; `None` in [`Config::ai`] when `ai_url` is unset.
#[derive(Clone, Args, derive_more::Debug)]
pub struct AiConfig {
    /// The assistant's OpenAI-compatible API base, up to /v1 (Gemini, Ollama, llama.cpp, vLLM…); unset: no assistant
    #[arg(id = "ai_url", long = "ai-url", value_name = "URL", value_parser = http_url)]
    pub url: String,

    /// The model to ask
    #[arg(id = "ai_model", long = "ai-model", value_name = "NAME", value_parser = model_name)]
    pub model: String,

    /// The provider's API key, redacted in logs; a file keeps it out of process listings
    #[arg(
        id = "ai_key",
        long = "ai-key",
        value_name = "KEY",
        hide_env_values = true
    )]
    #[debug("{:?}", key.as_ref().map(|_| "***"))]
    pub key: Option<String>,
}

/// Built-in TLS; `None` in [`Config::tls`] when `tls_cert` is unset. Both files are
/// read at start and again on SIGHUP.
#[derive(Clone, Args, Debug)]
pub struct TlsFiles {
    /// Serve HTTPS with this certificate chain (PEM, leaf first): Secure cookies and HSTS follow; read again on SIGHUP; unset: plain HTTP
    #[arg(id = "tls_cert", long = "tls-cert", value_name = "PATH")]
    pub cert: PathBuf,

    /// The certificate's private key (PEM: PKCS#8, PKCS#1 or SEC1), readable by MessGo alone; read again on SIGHUP
    #[arg(id = "tls_key", long = "tls-key", value_name = "PATH")]
    pub key: PathBuf,
}

impl Config {
    /// Where the admin socket is (or would be).
    pub fn admin_socket_path(&self) -> PathBuf {
        self.admin_socket
            .clone()
            .unwrap_or_else(|| self.data_dir.join("admin.sock"))
    }

    /// The SQLite file the server uses, or `None` on PostgreSQL.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        match self.database.as_deref() {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => None,
            Some(url) => Some(PathBuf::from(url.strip_prefix("sqlite://").unwrap_or(url))),
            None => Some(self.data_dir.join("messgo.db")),
        }
    }
}

impl Default for Config {
    /// Every setting at its declared default.
    fn default() -> Self {
        Config::resolve(std::iter::empty())
            .expect("the declared defaults are valid (the config tests resolve them)")
    }
}

/// Hides the password in a database URL.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}://{}:***@{}", &url[..s], user, &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

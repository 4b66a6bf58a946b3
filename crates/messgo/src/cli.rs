//! Command-line flags. Each setting can also come from `messgo.toml` (key in
//! brackets) or the environment; flags win over both.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use messgo_server::config::HumanDuration;
use messgo_server::ConfigLayer;

#[derive(Parser)]
#[command(
    name = "messgo",
    version,
    about = "MessGo: a private, ephemeral, end-to-end-encrypted messenger",
    long_about = "MessGo: a private, ephemeral, end-to-end-encrypted messenger.\n\n\
        With no subcommand, `messgo` serves (same as `messgo serve`).\n\
        Settings are layered: defaults < messgo.toml < MESSGO_* environment < flags.\n\
        Secrets can be given as files: MESSGO_DATABASE_FILE.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve the API, the WebSocket and the web client (the default).
    Serve(Box<ServeArgs>),
    /// A terminal client: send, wait for, or list end-to-end encrypted messages.
    Chat(crate::chat::ChatArgs),
    /// Load-test a running server (or the Socket.IO peer) and print the results.
    Bench(Box<crate::bench::BenchArgs>),
}

#[derive(Args, Clone, Default)]
pub struct ServeArgs {
    /// Config file to read [default: ./messgo.toml when it exists].
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Address to listen on [default: 127.0.0.1:8080] [toml: bind] [env: MESSGO_BIND].
    #[arg(long, value_name = "ADDR")]
    pub bind: Option<SocketAddr>,

    /// Directory for the embedded SQLite database [default: ./messgo-data] [toml: data_dir] [env: MESSGO_DATA_DIR].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Database URL: postgres://… for PostgreSQL, or a SQLite file path [default: DATA_DIR/messgo.db]
    /// [toml: database] [env: MESSGO_DATABASE or MESSGO_DATABASE_FILE].
    #[arg(long, value_name = "URL")]
    pub database: Option<String>,

    /// Log filter, e.g. info, debug, messgo_server=debug [default: info] [toml: log] [env: MESSGO_LOG].
    #[arg(long, value_name = "FILTER")]
    pub log: Option<String>,

    /// Clients reach MessGo over HTTPS through a proxy: Secure cookies and HSTS
    /// [default: false] [toml: behind_tls_proxy] [env: MESSGO_BEHIND_TLS_PROXY].
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub behind_tls_proxy: Option<bool>,

    /// Take the client address from X-Forwarded-For (only behind a proxy you run)
    /// [default: false] [toml: trust_forwarded_for] [env: MESSGO_TRUST_FORWARDED_FOR].
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub trust_forwarded_for: Option<bool>,

    /// Largest JSON request body in bytes [default: 65536] [toml: max_body_bytes] [env: MESSGO_MAX_BODY_BYTES].
    #[arg(long, value_name = "BYTES")]
    pub max_body_bytes: Option<usize>,

    /// PBKDF2 iterations for new accounts, 100000–10000000 [default: 600000]
    /// [toml: kdf_iterations] [env: MESSGO_KDF_ITERATIONS].
    #[arg(long, value_name = "N")]
    pub kdf_iterations: Option<u32>,

    /// A login session ends after this long unused [default: 30d] [toml: session_idle] [env: MESSGO_SESSION_IDLE].
    #[arg(long, value_name = "DURATION")]
    pub session_idle: Option<HumanDuration>,

    /// Failed logins allowed per username per window [default: 10]
    /// [toml: login_limit_per_username] [env: MESSGO_LOGIN_LIMIT_PER_USERNAME].
    #[arg(long, value_name = "N")]
    pub login_limit_per_username: Option<u32>,

    /// Failed logins allowed per client address per window [default: 50]
    /// [toml: login_limit_per_ip] [env: MESSGO_LOGIN_LIMIT_PER_IP].
    #[arg(long, value_name = "N")]
    pub login_limit_per_ip: Option<u32>,

    /// The window for failed-login limits [default: 15m] [toml: login_limit_window] [env: MESSGO_LOGIN_LIMIT_WINDOW].
    #[arg(long, value_name = "DURATION")]
    pub login_limit_window: Option<HumanDuration>,

    /// Registrations allowed per client address per hour [default: 20]
    /// [toml: register_limit_per_ip] [env: MESSGO_REGISTER_LIMIT_PER_IP].
    #[arg(long, value_name = "N")]
    pub register_limit_per_ip: Option<u32>,

    /// Connection requests an account may send per hour [default: 30]
    /// [toml: request_limit_per_hour] [env: MESSGO_REQUEST_LIMIT_PER_HOUR].
    #[arg(long, value_name = "N")]
    pub request_limit_per_hour: Option<u32>,

    /// Messages an account may send per minute [default: 600]
    /// [toml: messages_per_minute] [env: MESSGO_MESSAGES_PER_MINUTE].
    #[arg(long, value_name = "N")]
    pub messages_per_minute: Option<u32>,

    /// How long conversation data may live on the server: at most (and by default)
    /// 72h; lower it, e.g. 24h or 30s, never raise it [toml: retention] [env: MESSGO_RETENTION].
    #[arg(long, value_name = "DURATION")]
    pub retention: Option<HumanDuration>,

    /// How often expired data is deleted [default: 60s] [toml: sweep_interval] [env: MESSGO_SWEEP_INTERVAL].
    #[arg(long, value_name = "DURATION")]
    pub sweep_interval: Option<HumanDuration>,

    /// Largest encrypted attachment in bytes [default: 10485760]
    /// [toml: max_blob_bytes] [env: MESSGO_MAX_BLOB_BYTES].
    #[arg(long, value_name = "BYTES")]
    pub max_blob_bytes: Option<usize>,

    /// The assistant's OpenAI-compatible API base, up to /v1 (Gemini, Ollama, llama.cpp,
    /// vLLM…); unset: no assistant [toml: ai_url] [env: MESSGO_AI_URL].
    #[arg(long, value_name = "URL")]
    pub ai_url: Option<String>,

    /// The model to ask [toml: ai_model] [env: MESSGO_AI_MODEL].
    #[arg(long, value_name = "NAME")]
    pub ai_model: Option<String>,

    /// The provider's API key; prefer MESSGO_AI_KEY_FILE, which keeps it out of
    /// process listings [toml: ai_key] [env: MESSGO_AI_KEY or MESSGO_AI_KEY_FILE].
    #[arg(long, value_name = "KEY", hide_env_values = true)]
    pub ai_key: Option<String>,

    /// A system prompt sent before every conversation [toml: ai_system_prompt] [env: MESSGO_AI_SYSTEM_PROMPT].
    #[arg(long, value_name = "TEXT")]
    pub ai_system_prompt: Option<String>,

    /// How long one answer may take [default: 120s] [toml: ai_timeout] [env: MESSGO_AI_TIMEOUT].
    #[arg(long, value_name = "DURATION")]
    pub ai_timeout: Option<HumanDuration>,

    /// Questions an account may ask per hour [default: 60]
    /// [toml: ai_requests_per_hour] [env: MESSGO_AI_REQUESTS_PER_HOUR].
    #[arg(long, value_name = "N")]
    pub ai_requests_per_hour: Option<u32>,

    /// Largest context one question may carry, images included [default: 8388608]
    /// [toml: ai_context_bytes] [env: MESSGO_AI_CONTEXT_BYTES].
    #[arg(long, value_name = "BYTES")]
    pub ai_context_bytes: Option<usize>,

    /// nats://… to share real-time events between several server nodes on one
    /// PostgreSQL; unset: this process only [toml: bus] [env: MESSGO_BUS].
    #[arg(long, value_name = "URL")]
    pub bus: Option<String>,
}

impl ServeArgs {
    pub fn layer(&self) -> ConfigLayer {
        ConfigLayer {
            bind: self.bind,
            data_dir: self.data_dir.clone(),
            database: self.database.clone(),
            log: self.log.clone(),
            behind_tls_proxy: self.behind_tls_proxy,
            trust_forwarded_for: self.trust_forwarded_for,
            max_body_bytes: self.max_body_bytes,
            kdf_iterations: self.kdf_iterations,
            session_idle: self.session_idle,
            login_limit_per_username: self.login_limit_per_username,
            login_limit_per_ip: self.login_limit_per_ip,
            login_limit_window: self.login_limit_window,
            register_limit_per_ip: self.register_limit_per_ip,
            request_limit_per_hour: self.request_limit_per_hour,
            messages_per_minute: self.messages_per_minute,
            retention: self.retention,
            sweep_interval: self.sweep_interval,
            max_blob_bytes: self.max_blob_bytes,
            ai_url: self.ai_url.clone(),
            ai_model: self.ai_model.clone(),
            ai_key: self.ai_key.clone(),
            ai_system_prompt: self.ai_system_prompt.clone(),
            ai_timeout: self.ai_timeout,
            ai_requests_per_hour: self.ai_requests_per_hour,
            ai_context_bytes: self.ai_context_bytes,
            bus: self.bus.clone(),
        }
    }
}

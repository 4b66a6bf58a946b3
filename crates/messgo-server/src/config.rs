//! Layered configuration: defaults < `messgo.toml` < `MESSGO_*` environment < flags.
//!
//! Every layer is a [`ConfigLayer`] of optional values; [`Config::resolve`] stacks
//! them and validates the result. Secrets (the database URL may hold a password) can
//! also come from a file named by `*_FILE`, and are redacted when printed.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use messgo_proto::KdfParams;

/// The promise: nothing about a conversation stays longer than 72 hours.
pub const MAX_RETENTION: Duration = Duration::from_secs(72 * 3600);
use serde::Deserialize;

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

/// A duration written the human way: `30d`, `15m`, `72h`, `90s`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HumanDuration(pub Duration);

impl FromStr for HumanDuration {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        humantime::parse_duration(s)
            .map(HumanDuration)
            .map_err(|e| format!("'{s}' is not a duration like 30s, 15m, 72h or 30d ({e})"))
    }
}

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// One layer of settings; `None` means "not set here".
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ConfigLayer {
    pub bind: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub database: Option<String>,
    pub log: Option<String>,
    pub behind_tls_proxy: Option<bool>,
    pub trust_forwarded_for: Option<bool>,
    pub max_body_bytes: Option<usize>,
    pub kdf_iterations: Option<u32>,
    pub session_idle: Option<HumanDuration>,
    pub login_limit_per_username: Option<u32>,
    pub login_limit_per_ip: Option<u32>,
    pub login_limit_window: Option<HumanDuration>,
    pub register_limit_per_ip: Option<u32>,
    pub request_limit_per_hour: Option<u32>,
    pub messages_per_minute: Option<u32>,
    pub retention: Option<HumanDuration>,
    pub sweep_interval: Option<HumanDuration>,
    pub max_blob_bytes: Option<usize>,
    pub ai_url: Option<String>,
    pub ai_model: Option<String>,
    pub ai_key: Option<String>,
    pub ai_system_prompt: Option<String>,
    pub ai_timeout: Option<HumanDuration>,
    pub ai_requests_per_hour: Option<u32>,
    pub ai_context_bytes: Option<usize>,
    pub bus: Option<String>,
}

/// Every setting: its key in messgo.toml, and the environment variable.
pub const SETTINGS: &[(&str, &str)] = &[
    ("bind", "MESSGO_BIND"),
    ("data_dir", "MESSGO_DATA_DIR"),
    ("database", "MESSGO_DATABASE"),
    ("log", "MESSGO_LOG"),
    ("behind_tls_proxy", "MESSGO_BEHIND_TLS_PROXY"),
    ("trust_forwarded_for", "MESSGO_TRUST_FORWARDED_FOR"),
    ("max_body_bytes", "MESSGO_MAX_BODY_BYTES"),
    ("kdf_iterations", "MESSGO_KDF_ITERATIONS"),
    ("session_idle", "MESSGO_SESSION_IDLE"),
    (
        "login_limit_per_username",
        "MESSGO_LOGIN_LIMIT_PER_USERNAME",
    ),
    ("login_limit_per_ip", "MESSGO_LOGIN_LIMIT_PER_IP"),
    ("login_limit_window", "MESSGO_LOGIN_LIMIT_WINDOW"),
    ("register_limit_per_ip", "MESSGO_REGISTER_LIMIT_PER_IP"),
    ("request_limit_per_hour", "MESSGO_REQUEST_LIMIT_PER_HOUR"),
    ("messages_per_minute", "MESSGO_MESSAGES_PER_MINUTE"),
    ("retention", "MESSGO_RETENTION"),
    ("sweep_interval", "MESSGO_SWEEP_INTERVAL"),
    ("max_blob_bytes", "MESSGO_MAX_BLOB_BYTES"),
    ("ai_url", "MESSGO_AI_URL"),
    ("ai_model", "MESSGO_AI_MODEL"),
    ("ai_key", "MESSGO_AI_KEY"),
    ("ai_system_prompt", "MESSGO_AI_SYSTEM_PROMPT"),
    ("ai_timeout", "MESSGO_AI_TIMEOUT"),
    ("ai_requests_per_hour", "MESSGO_AI_REQUESTS_PER_HOUR"),
    ("ai_context_bytes", "MESSGO_AI_CONTEXT_BYTES"),
    ("bus", "MESSGO_BUS"),
];

/// Settings that may be read from a file named by `<VAR>_FILE`.
const SECRET_SETTINGS: &[&str] = &["MESSGO_DATABASE", "MESSGO_AI_KEY"];

impl ConfigLayer {
    /// Parses messgo.toml; returns the layer and the keys it did not know.
    pub fn from_toml(text: &str) -> Result<(ConfigLayer, Vec<String>), ConfigError> {
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| ConfigError::Toml(e.message().to_owned()))?;
        let unknown = table
            .keys()
            .filter(|k| !SETTINGS.iter().any(|(name, _)| name == k))
            .cloned()
            .collect();
        let layer = table
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Toml(e.message().to_owned()))?;
        Ok((layer, unknown))
    }

    /// Reads `MESSGO_*` variables; returns the layer and the variables it did not know.
    pub fn from_env(
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<(ConfigLayer, Vec<String>), ConfigError> {
        let mut table = toml::Table::new();
        let mut unknown = Vec::new();
        for (name, value) in vars {
            if !name.starts_with("MESSGO_") {
                continue;
            }
            let (env_name, value) = match name.strip_suffix("_FILE") {
                Some(base) if SECRET_SETTINGS.contains(&base) => {
                    let text =
                        std::fs::read_to_string(&value).map_err(|source| ConfigError::Read {
                            path: value.clone(),
                            source,
                        })?;
                    (base.to_owned(), text.trim_end().to_owned())
                }
                _ => (name.clone(), value),
            };
            let Some((key, _)) = SETTINGS.iter().find(|(_, env)| *env == env_name) else {
                unknown.push(name);
                continue;
            };
            table.insert((*key).to_owned(), env_value(key, &value)?);
        }
        let layer = table
            .try_into()
            .map_err(|e: toml::de::Error| invalid("environment", e.message()))?;
        Ok((layer, unknown))
    }
}

/// Environment values are strings; give numbers and booleans their TOML types.
fn env_value(key: &str, value: &str) -> Result<toml::Value, ConfigError> {
    let typed = match key {
        "behind_tls_proxy" | "trust_forwarded_for" => match value {
            "1" | "true" | "yes" | "on" => toml::Value::Boolean(true),
            "0" | "false" | "no" | "off" => toml::Value::Boolean(false),
            _ => return Err(invalid(key, format!("'{value}' is not true or false"))),
        },
        k if k.ends_with("_bytes")
            || k.contains("limit_per")
            || k.contains("_per_")
            || k == "kdf_iterations" =>
        {
            value
                .parse::<i64>()
                .map(toml::Value::Integer)
                .map_err(|_| invalid(key, format!("'{value}' is not a whole number")))?
        }
        _ => toml::Value::String(value.to_owned()),
    };
    Ok(typed)
}

/// The resolved, validated configuration.
#[derive(Clone)]
pub struct Config {
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    /// `postgres://…` for PostgreSQL; otherwise SQLite (`None`: `data_dir/messgo.db`).
    pub database: Option<String>,
    pub log: String,
    /// Mark cookies `Secure` and send HSTS: the server is reached over HTTPS.
    pub behind_tls_proxy: bool,
    /// Take the client address from the last `X-Forwarded-For` hop (only behind a proxy).
    pub trust_forwarded_for: bool,
    pub max_body_bytes: usize,
    pub kdf_iterations: u32,
    pub session_idle: Duration,
    pub login_limit_per_username: u32,
    pub login_limit_per_ip: u32,
    pub login_limit_window: Duration,
    /// Registrations per IP per hour.
    pub register_limit_per_ip: u32,
    /// Connection requests per account per hour.
    pub request_limit_per_hour: u32,
    /// Messages an account may send per minute.
    pub messages_per_minute: u32,
    /// How long conversation data may live: 72 hours, or less; never more.
    pub retention: Duration,
    /// How often expired data is deleted.
    pub sweep_interval: Duration,
    /// Largest encrypted attachment.
    pub max_blob_bytes: usize,
    /// The assistant's model: an OpenAI-compatible `…/v1` base URL and a model name.
    pub ai: Option<AiConfig>,
    pub ai_system_prompt: Option<String>,
    pub ai_timeout: Duration,
    pub ai_requests_per_hour: u32,
    /// Largest context (turns, images as data URLs) one question may carry.
    pub ai_context_bytes: usize,
    /// `nats://…` to share events between server nodes; `None`: this process only.
    pub bus: Option<String>,
}

#[derive(Clone)]
pub struct AiConfig {
    /// Base URL up to `/v1`, e.g. `http://127.0.0.1:11434/v1` for Ollama.
    pub url: String,
    pub model: String,
    pub key: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("messgo-data"),
            database: None,
            log: "info".to_owned(),
            behind_tls_proxy: false,
            trust_forwarded_for: false,
            max_body_bytes: 64 * 1024,
            kdf_iterations: KdfParams::DEFAULT_ITERATIONS,
            session_idle: Duration::from_secs(30 * 24 * 3600),
            login_limit_per_username: 10,
            login_limit_per_ip: 50,
            login_limit_window: Duration::from_secs(15 * 60),
            register_limit_per_ip: 20,
            request_limit_per_hour: 30,
            messages_per_minute: 600,
            retention: MAX_RETENTION,
            sweep_interval: Duration::from_secs(60),
            max_blob_bytes: 10 * 1024 * 1024,
            ai: None,
            ai_system_prompt: None,
            ai_timeout: Duration::from_secs(120),
            ai_requests_per_hour: 60,
            ai_context_bytes: 8 * 1024 * 1024,
            bus: None,
        }
    }
}

impl Config {
    /// Stacks `layers` (later ones win) over the defaults and validates.
    pub fn resolve(layers: impl IntoIterator<Item = ConfigLayer>) -> Result<Config, ConfigError> {
        let mut c = Config::default();
        for l in layers {
            macro_rules! take {
                ($($f:ident),*) => { $( if let Some(v) = l.$f { c.$f = v; } )* };
            }
            take!(
                bind,
                data_dir,
                log,
                behind_tls_proxy,
                trust_forwarded_for,
                max_body_bytes,
                kdf_iterations,
                login_limit_per_username,
                login_limit_per_ip,
                register_limit_per_ip,
                request_limit_per_hour,
                messages_per_minute,
                max_blob_bytes,
                ai_requests_per_hour,
                ai_context_bytes
            );
            if let Some(v) = l.bus {
                c.bus = Some(v);
            }
            if let Some(v) = l.ai_system_prompt {
                c.ai_system_prompt = Some(v);
            }
            if let Some(v) = l.ai_timeout {
                c.ai_timeout = v.0;
            }
            if l.ai_url.is_some() || l.ai_model.is_some() || l.ai_key.is_some() {
                let mut ai = c.ai.take().unwrap_or(AiConfig {
                    url: String::new(),
                    model: String::new(),
                    key: None,
                });
                if let Some(v) = l.ai_url {
                    ai.url = v.trim_end_matches('/').to_owned();
                }
                if let Some(v) = l.ai_model {
                    ai.model = v;
                }
                if let Some(v) = l.ai_key {
                    ai.key = Some(v);
                }
                c.ai = Some(ai);
            }
            if let Some(v) = l.database {
                c.database = Some(v);
            }
            if let Some(v) = l.session_idle {
                c.session_idle = v.0;
            }
            if let Some(v) = l.login_limit_window {
                c.login_limit_window = v.0;
            }
            if let Some(v) = l.retention {
                c.retention = v.0;
            }
            if let Some(v) = l.sweep_interval {
                c.sweep_interval = v.0;
            }
        }
        c.validate()?;
        Ok(c)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if !(KdfParams::MIN_ITERATIONS..=KdfParams::MAX_ITERATIONS).contains(&self.kdf_iterations) {
            return Err(invalid(
                "kdf_iterations",
                format!(
                    "must be between {} and {}",
                    KdfParams::MIN_ITERATIONS,
                    KdfParams::MAX_ITERATIONS
                ),
            ));
        }
        if !(1024..=64 * 1024 * 1024).contains(&self.max_body_bytes) {
            return Err(invalid(
                "max_body_bytes",
                "must be between 1 KiB and 64 MiB",
            ));
        }
        for (key, v) in [
            ("login_limit_per_username", self.login_limit_per_username),
            ("login_limit_per_ip", self.login_limit_per_ip),
            ("register_limit_per_ip", self.register_limit_per_ip),
            ("request_limit_per_hour", self.request_limit_per_hour),
            ("messages_per_minute", self.messages_per_minute),
        ] {
            if v == 0 {
                return Err(invalid(key, "must be at least 1"));
            }
        }
        if self.session_idle < Duration::from_secs(60) {
            return Err(invalid("session_idle", "must be at least one minute"));
        }
        if let Some(bus) = &self.bus {
            if !bus.starts_with("nats://") {
                return Err(invalid(
                    "bus",
                    "must be a nats:// URL (or unset for a single node)",
                ));
            }
        }
        if let Some(ai) = &self.ai {
            if !(ai.url.starts_with("http://") || ai.url.starts_with("https://")) {
                return Err(invalid(
                    "ai_url",
                    "must be an http(s) URL such as http://127.0.0.1:11434/v1",
                ));
            }
            if ai.model.is_empty() {
                return Err(invalid(
                    "ai_model",
                    "must name the model when ai_url is set",
                ));
            }
        }
        if self.ai_requests_per_hour == 0 || self.ai_context_bytes < 1024 {
            return Err(invalid(
                "ai_requests_per_hour",
                "and ai_context_bytes must be positive",
            ));
        }
        if !(1024..=256 * 1024 * 1024).contains(&self.max_blob_bytes) {
            return Err(invalid(
                "max_blob_bytes",
                "must be between 1 KiB and 256 MiB",
            ));
        }
        if self.retention > MAX_RETENTION {
            return Err(invalid(
                "retention",
                "MessGo keeps conversations at most 72 hours; the retention can be lowered, never raised",
            ));
        }
        if self.retention < Duration::from_secs(1)
            || self.sweep_interval < Duration::from_millis(100)
        {
            return Err(invalid(
                "retention",
                "and sweep_interval must be positive (at least 1s and 100ms)",
            ));
        }
        if self.login_limit_window < Duration::from_secs(1) {
            return Err(invalid("login_limit_window", "must be at least one second"));
        }
        Ok(())
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

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("data_dir", &self.data_dir)
            .field("database", &self.database.as_deref().map(redact_url))
            .field("log", &self.log)
            .field("behind_tls_proxy", &self.behind_tls_proxy)
            .field("trust_forwarded_for", &self.trust_forwarded_for)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("kdf_iterations", &self.kdf_iterations)
            .field("session_idle", &self.session_idle)
            .field("login_limit_per_username", &self.login_limit_per_username)
            .field("login_limit_per_ip", &self.login_limit_per_ip)
            .field("login_limit_window", &self.login_limit_window)
            .field("register_limit_per_ip", &self.register_limit_per_ip)
            .field("request_limit_per_hour", &self.request_limit_per_hour)
            .field("messages_per_minute", &self.messages_per_minute)
            .field("retention", &self.retention)
            .field("sweep_interval", &self.sweep_interval)
            .field("max_blob_bytes", &self.max_blob_bytes)
            .field("bus", &self.bus.as_deref().map(redact_url))
            .field("ai_url", &self.ai.as_ref().map(|a| a.url.as_str()))
            .field("ai_model", &self.ai.as_ref().map(|a| a.model.as_str()))
            .field(
                "ai_key",
                &self.ai.as_ref().and_then(|a| a.key.as_ref()).map(|_| "***"),
            )
            .field("ai_timeout", &self.ai_timeout)
            .field("ai_requests_per_hour", &self.ai_requests_per_hour)
            .field("ai_context_bytes", &self.ai_context_bytes)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn layers_stack_in_order() {
        let (file, unknown) = ConfigLayer::from_toml(
            "bind = \"127.0.0.1:9000\"\nkdf_iterations = 700000\nsession_idle = \"2d\"\ncolour = \"blue\"\n",
        )
        .unwrap();
        assert_eq!(unknown, vec!["colour".to_owned()]);
        let (env, unknown_env) = ConfigLayer::from_env(env(&[
            ("MESSGO_BIND", "127.0.0.1:9001"),
            ("MESSGO_NOPE", "1"),
            ("PATH", "/bin"),
        ]))
        .unwrap();
        assert_eq!(unknown_env, vec!["MESSGO_NOPE".to_owned()]);
        let flags = ConfigLayer {
            data_dir: Some("/tmp/x".into()),
            ..Default::default()
        };
        let c = Config::resolve([file, env, flags]).unwrap();
        assert_eq!(c.bind.port(), 9001, "environment beats the file");
        assert_eq!(c.kdf_iterations, 700_000, "the file beats defaults");
        assert_eq!(c.session_idle, Duration::from_secs(2 * 86400));
        assert_eq!(c.data_dir, PathBuf::from("/tmp/x"));
        assert_eq!(c.max_body_bytes, 64 * 1024, "defaults fill the rest");
        let (limits, _) = ConfigLayer::from_env(self::env(&[
            ("MESSGO_REQUEST_LIMIT_PER_HOUR", "2"),
            ("MESSGO_MESSAGES_PER_MINUTE", "7"),
        ]))
        .unwrap();
        let c = Config::resolve([limits]).unwrap();
        assert_eq!(
            (c.request_limit_per_hour, c.messages_per_minute),
            (2, 7),
            "every setting is taken"
        );
    }

    #[test]
    fn secrets_come_from_files_and_are_redacted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        std::fs::write(&path, "postgres://me:hunter2@localhost/db\n").unwrap();
        let (layer, _) =
            ConfigLayer::from_env(env(&[("MESSGO_DATABASE_FILE", path.to_str().unwrap())]))
                .unwrap();
        let c = Config::resolve([layer]).unwrap();
        assert_eq!(
            c.database.as_deref(),
            Some("postgres://me:hunter2@localhost/db")
        );
        let shown = format!("{c:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        let (ai, _) = ConfigLayer::from_env(env(&[
            ("MESSGO_AI_URL", "http://127.0.0.1:11434/v1/"),
            ("MESSGO_AI_MODEL", "llama3"),
            ("MESSGO_AI_KEY", "sk-secret-value"),
        ]))
        .unwrap();
        let c = Config::resolve([ai]).unwrap();
        assert_eq!(c.ai.as_ref().unwrap().url, "http://127.0.0.1:11434/v1");
        assert!(!format!("{c:?}").contains("sk-secret-value"));
        assert!(shown.contains("postgres://me:***@localhost/db"));
    }

    #[test]
    fn bad_values_are_named() {
        let err = ConfigLayer::from_env(env(&[("MESSGO_MAX_BODY_BYTES", "lots")])).unwrap_err();
        assert!(err.to_string().contains("max_body_bytes"), "{err}");
        let weak = ConfigLayer {
            kdf_iterations: Some(1000),
            ..Default::default()
        };
        assert!(Config::resolve([weak])
            .unwrap_err()
            .to_string()
            .contains("kdf_iterations"));
        assert!("soon".parse::<HumanDuration>().is_err());
        let longer = ConfigLayer {
            retention: Some("73h".parse().unwrap()),
            ..Default::default()
        };
        let err = Config::resolve([longer]).unwrap_err().to_string();
        assert!(
            err.contains("retention") && err.contains("72 hours"),
            "{err}"
        );
        let shorter = ConfigLayer {
            retention: Some("5s".parse().unwrap()),
            ..Default::default()
        };
        assert_eq!(
            Config::resolve([shorter]).unwrap().retention,
            Duration::from_secs(5)
        );
    }
}

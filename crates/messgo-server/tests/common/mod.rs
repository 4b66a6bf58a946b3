//! A real server on port 0 with its own SQLite file (or a fresh PostgreSQL database),
//! driven over HTTP by the real client crate.

#![allow(dead_code)]
// each test binary uses a different part of this module
// Test support: a failed setup step panics, and that panic is the test's report.
#![allow(clippy::unwrap_used)]

pub mod reader;
pub mod uploads;

use std::path::PathBuf;
use std::sync::Arc;

use messgo_client::Client;
use messgo_server::{Clock, Config, Server, SystemClock};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const PASSWORD: &str = "correct horse battery staple";

pub struct TestServer {
    pub url: String,
    /// `http://…/metrics` when `metrics_bind` is set.
    pub metrics_url: Option<String>,
    pub services: Arc<messgo_server::service::Services>,
    pub config: Config,
    pub dir: Arc<tempfile::TempDir>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

/// Generous limits so tests exercise rules, not the brakes (tests of the brakes set
/// their own).
pub fn test_config(dir: &tempfile::TempDir) -> Config {
    Config {
        data_dir: dir.path().to_path_buf(),
        register_limit_per_ip: 10_000,
        login_limit_per_ip: 10_000,
        requests_per_address: 1_000_000,
        ..Config::default()
    }
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> TestServer {
        let dir = Arc::new(tempfile::tempdir().unwrap());
        let mut config = test_config(&dir);
        tweak(&mut config);
        Self::start_config(config, dir, Arc::new(SystemClock)).await
    }

    /// Server errors show in a failing test's output (captured otherwise).
    fn init_logs() {
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_env_filter("warn")
            .try_init();
    }

    pub async fn start_config(
        config: Config,
        dir: Arc<tempfile::TempDir>,
        clock: Arc<dyn Clock>,
    ) -> TestServer {
        Self::init_logs();
        let server = Server::build(config.clone(), clock)
            .await
            .expect("server builds");
        let services = server.services();
        let metrics_url = server.metrics_addr().map(|a| format!("http://{a}/metrics"));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server.serve(listener, async {
            let _ = stopped.await;
        }));
        TestServer {
            url,
            metrics_url,
            services,
            config,
            dir,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Runs one sweep now, as the periodic sweeper would.
    pub async fn sweep(&self) {
        messgo_server::sweeper::sweep_once(&self.services).await;
    }

    pub fn client(&self) -> Client {
        Client::new(&self.url).unwrap()
    }

    pub fn http(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap()
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("messgo.db")
    }

    /// Graceful stop: in-flight requests finish, the database closes.
    pub async fn stop(mut self) -> (Config, Arc<tempfile::TempDir>) {
        self.shutdown().await;
        (self.config.clone(), self.dir.clone())
    }

    async fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }

    pub async fn restart(self) -> TestServer {
        let (config, dir) = self.stop().await;
        Self::start_config(config, dir, Arc::new(SystemClock)).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A unique username per call within a test binary.
pub fn username(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}_{}_{}",
        std::process::id() % 10_000,
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// Reads a file's bytes and says whether `needle` occurs in them.
pub fn file_contains(path: &std::path::Path, needle: &[u8]) -> bool {
    match std::fs::read(path) {
        Ok(bytes) => !needle.is_empty() && bytes.windows(needle.len()).any(|w| w == needle),
        Err(_) => false,
    }
}

/// Registers without the client-side KDF (random auth key) when a test needs many
/// accounts and not their passwords. Returns (user id, a client signed in as it).
pub async fn register_fast(srv: &TestServer, name: &str) -> (messgo_proto::UserId, Client) {
    use base64::Engine;
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let secrets = messgo_crypto::bundle::IdentitySecrets::generate(&mut rand::rngs::OsRng);
    let id = messgo_proto::UserId::random();
    let client = srv.client();
    let body = serde_json::json!({
        "user_id": id, "username": name, "auth_key": b64(&rand::random::<[u8; 32]>()),
        "kdf": {"alg": "pbkdf2-sha256", "iterations": 600000}, "key_bundle": b64(&[0u8; 92]),
        "x25519_public": b64(&secrets.x25519_public()), "ed25519_public": b64(&secrets.ed25519_public()),
    });
    let res = client.raw_post("/api/register", &body).await;
    assert_eq!(res.status(), reqwest::StatusCode::CREATED, "{name}");
    (id, client)
}

/// Like [`register_fast`], keeping the identity keys so the test can encrypt.
pub async fn register_identity(srv: &TestServer, name: &str) -> (messgo_client::Identity, Client) {
    use base64::Engine;
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let secrets = messgo_crypto::bundle::IdentitySecrets::generate(&mut rand::rngs::OsRng);
    let client = srv.client();
    let body = serde_json::json!({
        "user_id": messgo_proto::UserId::random(), "username": name,
        "auth_key": b64(&rand::random::<[u8; 32]>()),
        "kdf": {"alg": "pbkdf2-sha256", "iterations": 600000}, "key_bundle": b64(&[0u8; 92]),
        "x25519_public": b64(&secrets.x25519_public()), "ed25519_public": b64(&secrets.ed25519_public()),
    });
    let res = client.raw_post("/api/register", &body).await;
    assert_eq!(res.status(), reqwest::StatusCode::CREATED, "{name}");
    let me: messgo_proto::Me = res.json().await.unwrap();
    (messgo_client::Identity { me, secrets }, client)
}

/// The direct chat of `client` (a test's first connection makes one).
pub async fn direct_chat(client: &Client) -> messgo_proto::Chat {
    client
        .chats()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.kind == messgo_proto::ChatKind::Direct)
        .unwrap()
}

/// Connects two signed-in clients (a asks by username, b accepts).
pub async fn connect(a: &Client, b: &Client) {
    let b_name = b.me().await.unwrap().username;
    a.request_by_username(&b_name).await.unwrap();
    let incoming = b.requests().await.unwrap().incoming;
    let a_name = a.me().await.unwrap().username;
    let req = incoming.iter().find(|r| r.from.username == a_name).unwrap();
    b.accept(req.id).await.unwrap();
}

pub fn now_ms() -> i64 {
    messgo_server::clock::millis(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap(),
    )
}

/// A fresh PostgreSQL database on the machine's server (MESSGO_TEST_POSTGRES names
/// the admin URL); returns its URL and a guard that drops it.
pub async fn fresh_postgres() -> (String, PgGuard) {
    use sqlx::Connection;
    let admin = std::env::var("MESSGO_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let name = format!("messgo_t_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .expect("PostgreSQL must be running");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap();
    let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
    (url, PgGuard { admin, name })
}

pub struct PgGuard {
    admin: String,
    name: String,
}

impl PgGuard {
    pub async fn drop_database(self) {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&self.admin).await.unwrap();
        sqlx::query(&format!("DROP DATABASE {} WITH (FORCE)", self.name))
            .execute(&mut conn)
            .await
            .unwrap();
    }
}

/// Fails the test if any file in `dir` holds any of `needles` (`what` names them).
pub fn assert_no_file_holds(dir: &std::path::Path, needles: &[&[u8]], what: &str) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        for needle in needles {
            assert!(
                !file_contains(&path, needle),
                "{} holds a {what}",
                path.display()
            );
        }
    }
}

/// How many of `traces` (a message's exact sealed parts) someone holding the
/// message log's live keys could read from it now: its files are sealed, so a search
/// of their raw bytes would prove nothing.
pub fn log_holds(srv: &TestServer, traces: &[Vec<u8>]) -> usize {
    let dir = messgo_server::store::log_dir(&srv.db_path());
    let rows = messgo_server::store::log::store::readable_rows(&dir).unwrap();
    traces
        .iter()
        .filter(|t| {
            rows.iter().any(|r| {
                [&r.nonce, &r.ciphertext, &r.signature]
                    .iter()
                    .any(|part| part.as_deref() == Some(t.as_slice()))
            })
        })
        .count()
}

//! A typed MessGo client that does the client's half of the protocol: key derivation,
//! identity keys and the sealed key bundle, so the server only ever sees what a
//! browser would send it.

mod account;
mod blobs;
mod chats;
mod connections;
mod content;
mod download;
mod error;
mod events;
mod files;
mod invites;
mod react;
mod upload;

pub use account::Identity;
pub use chats::Keyring;
pub use content::{About, Opened, Plaintext, ReactionPlain, Reply, MAX_EMOJI_BYTES, MAX_MENTIONS};
pub use error::ClientError;
pub use events::{Events, Socket};
pub use files::{
    human_size, safe_file_name, FileEntry, FileKind, MAX_FILES_PER_MESSAGE, MAX_NAME_CHARS,
    MAX_TYPE_CHARS,
};
pub use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
pub use upload::{FileUpload, Progress, PIECE_LEN};

use messgo_proto::{ConfigResponse, ErrorBody, CSRF_HEADER};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;

pub type Result<T> = std::result::Result<T, ClientError>;

/// One signed-in (or not yet) client, with its own cookie jar, like one browser.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    jar: std::sync::Arc<reqwest::cookie::Jar>,
    base: String,
}

impl Client {
    /// `base` is the server's origin, e.g. `http://127.0.0.1:8080`.
    pub fn new(base: &str) -> Result<Self> {
        Self::build(base, true)
    }

    /// Like [`Client::new`], but closing each HTTP connection after its request
    /// instead of keeping it for the next: for a load generator holding thousands of
    /// clients, whose idle connections would otherwise count against the server's
    /// open files.
    pub fn new_without_keep_alive(base: &str) -> Result<Self> {
        Self::build(base, false)
    }

    /// Like [`Client::new`], for a server whose certificate is signed by `root_pem`
    /// alone (a self-signed one, say), not by the public roots.
    pub fn trusting(base: &str, root_pem: &[u8]) -> Result<Self> {
        let root = reqwest::Certificate::from_pem(root_pem)?;
        Self::build_with(base, |b| {
            b.tls_built_in_root_certs(false).add_root_certificate(root)
        })
    }

    fn build(base: &str, keep_alive: bool) -> Result<Self> {
        Self::build_with(base, |b| {
            if keep_alive {
                b
            } else {
                b.pool_max_idle_per_host(0)
            }
        })
    }

    fn build_with(
        base: &str,
        options: impl FnOnce(reqwest::ClientBuilder) -> reqwest::ClientBuilder,
    ) -> Result<Self> {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        let builder = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .user_agent(concat!("messgo-client/", env!("CARGO_PKG_VERSION")));
        let http = options(builder).build()?;
        Ok(Client {
            http,
            jar,
            base: base.trim_end_matches('/').to_owned(),
        })
    }

    /// The same signed-in client (same cookies) talking to another node of the
    /// same deployment.
    pub fn with_base(&self, base: &str) -> Client {
        let url = reqwest::Url::parse(&self.base).expect("a valid base");
        let other = reqwest::Url::parse(base).expect("a valid base");
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        use reqwest::cookie::CookieStore;
        if let Some(cookies) = self.jar.cookies(&url) {
            for cookie in cookies.to_str().unwrap_or("").split("; ") {
                jar.add_cookie_str(cookie, &other);
            }
        }
        let http = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .user_agent(concat!("messgo-client/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the HTTP client builds");
        Client {
            http,
            jar,
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// The `Cookie` header this client sends, for callers that speak HTTP themselves
    /// (tests of how the server treats a client that stalls).
    pub fn cookie_header(&self) -> Option<String> {
        use reqwest::cookie::CookieStore;
        let url = reqwest::Url::parse(&self.base).ok()?;
        Some(self.jar.cookies(&url)?.to_str().ok()?.to_owned())
    }

    pub async fn config(&self) -> Result<ConfigResponse> {
        self.get("/api/config").await
    }

    pub(crate) async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        let res = self
            .go(self.http.get(format!("{}{path}", self.base)))
            .await?;
        decode(res).await
    }

    /// Sends a state-changing request with the CSRF header and a JSON body.
    pub(crate) async fn send<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: &B,
    ) -> Result<T> {
        let res = self
            .go(self
                .http
                .request(method, format!("{}{path}", self.base))
                .header(CSRF_HEADER, "1")
                .json(body))
            .await?;
        decode(res).await
    }

    /// A POST with the CSRF header and this client's cookies, answered as it came: for
    /// tests that look at raw status, headers and bodies.
    pub async fn raw_post(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .header(CSRF_HEADER, "1")
            .json(body)
            .send()
            .await
            .expect("request reaches the server")
    }

    /// A POST of raw bytes with the CSRF header and this client's cookies.
    pub async fn raw_post_bytes(
        &self,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .header(CSRF_HEADER, "1")
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("request reaches the server")
    }

    /// A GET with this client's cookies, answered as it came.
    pub async fn raw_get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request reaches the server")
    }

    /// DELETE with the CSRF header and no body.
    pub(crate) async fn delete(&self, path: &str) -> Result<()> {
        let res = self
            .go(self
                .http
                .delete(format!("{}{path}", self.base))
                .header(CSRF_HEADER, "1"))
            .await?;
        if res.status().is_success() {
            return Ok(());
        }
        Err(api_error(res).await)
    }

    /// Like [`Client::send`] for answers without a body (204).
    pub(crate) async fn send_empty<B: Serialize>(
        &self,
        method: Method,
        path: &str,
        body: &B,
    ) -> Result<()> {
        let res = self
            .go(self
                .http
                .request(method, format!("{}{path}", self.base))
                .header(CSRF_HEADER, "1")
                .json(body))
            .await?;
        if res.status().is_success() {
            return Ok(());
        }
        Err(api_error(res).await)
    }
}

/// How often a request the server's flood brake held back is tried again.
const BRAKE_RETRIES: u32 = 5;

impl Client {
    /// Sends `req`. An answer of `429 too_many_requests` (the server's per-address
    /// brake, which names a wait of a second or so) is tried again after that wait, a
    /// few times: the brake is meant to slow a busy client, not to fail it. Other
    /// refusals come back as they are.
    pub(crate) async fn go(
        &self,
        req: reqwest::RequestBuilder,
    ) -> reqwest::Result<reqwest::Response> {
        for _ in 0..BRAKE_RETRIES {
            let Some(again) = req.try_clone() else { break };
            let res = again.send().await?;
            if res.status() != StatusCode::TOO_MANY_REQUESTS {
                return Ok(res);
            }
            // Which limit it was is in the body: read it, and hand on any other 429
            // as it came.
            let (status, headers) = (res.status(), res.headers().clone());
            let body = res.bytes().await?;
            let code = serde_json::from_slice::<ErrorBody>(&body)
                .ok()
                .map(|b| b.error.code);
            if code.as_deref() != Some("too_many_requests") {
                let mut back = http::Response::new(body);
                *back.status_mut() = status;
                *back.headers_mut() = headers;
                return Ok(reqwest::Response::from(back));
            }
            tokio::time::sleep(brake_wait(&headers)).await;
        }
        req.send().await
    }
}

/// The wait a `429 too_many_requests` names (a second, unless it says otherwise;
/// never more than a few).
fn brake_wait(headers: &reqwest::header::HeaderMap) -> std::time::Duration {
    let secs = headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(1);
    std::time::Duration::from_secs(secs.clamp(1, 5))
}

async fn decode<T: DeserializeOwned>(res: reqwest::Response) -> Result<T> {
    if res.status().is_success() {
        return Ok(res.json().await?);
    }
    Err(api_error(res).await)
}

async fn api_error(res: reqwest::Response) -> ClientError {
    let status = res.status();
    let retry_after = res
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    match res.json::<ErrorBody>().await {
        Ok(body) => ClientError::Api {
            status: status.as_u16(),
            code: body.error.code,
            message: body.error.message,
            retry_after,
        },
        Err(_) => ClientError::Api {
            status: status.as_u16(),
            code: "unreadable".into(),
            message: format!("the server answered {status} without an error body"),
            retry_after,
        },
    }
}

/// True if the error is the API's `code`.
pub fn is_api_error(e: &ClientError, status: StatusCode, code: &str) -> bool {
    matches!(e, ClientError::Api { status: s, code: c, .. } if *s == status.as_u16() && c == code)
}

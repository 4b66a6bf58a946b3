//! The MessGo server as a library: the binary and the tests both start it with
//! [`Server::build`] (storage open and migrated: ready) then [`Server::serve`].
//! ARCHITECTURE.md at the repository's root maps the folders.

#[macro_use]
pub mod store;

pub mod accounts;
pub mod admin;
pub mod assistant;
pub mod blobs;
pub mod bus;
pub mod chats;
pub mod clock;
pub mod config;
pub mod connections;
pub mod disk;
pub mod erasure;
pub mod http;
pub mod invites;
pub mod messages;
pub mod metrics;
pub mod profile;
pub mod ratelimit;
pub mod refusal;
pub mod service;
pub mod sessions;
pub mod sweeper;

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{Config, ConfigLayer};

use anyhow::Context;
use config::redact_url;

use crate::http::{AppState, WebSettings};
use crate::service::Services;

/// The database an error should name: the URL without its password, or the SQLite
/// file.
fn database_name(config: &Config) -> String {
    match &config.database {
        Some(url) if url.starts_with("postgres") => format!("PostgreSQL at {}", redact_url(url)),
        Some(path) => format!("SQLite at {path}"),
        None => format!("SQLite at {}", config.data_dir.join("messgo.db").display()),
    }
}

/// A server whose storage is open and migrated, ready to accept connections.
pub struct Server {
    services: Arc<Services>,
    config: Config,
    /// Built-in TLS's certificate, when `--tls-cert` is set.
    tls: Option<Arc<http::tls::Certificates>>,
    /// The admin socket, bound (a server opened for `messgo admin` has none).
    admin_socket: Option<admin::socket::AdminSocket>,
    /// Held while the server runs: nobody else writes its SQLite database.
    _lock: Option<store::DbLock>,
    /// `--metrics-bind`'s listener, bound at build so its address is known.
    metrics: Option<TcpListener>,
    pictures: Arc<profile::pictures::Pictures>,
}

impl Server {
    pub async fn build(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Server> {
        // First: a wrong path should not wait for the database to say so.
        let tls = match &config.tls {
            Some(files) => Some(
                http::tls::Certificates::load(files)
                    .context("could not load the TLS certificate (--tls-cert, --tls-key)")?,
            ),
            None => None,
        };
        let mut server = Self::open(config, clock).await?;
        server.tls = tls;
        server.metrics = match server.config.metrics_bind {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("could not listen for metrics on {addr}"))?,
            ),
            None => None,
        };
        let path = server.config.admin_socket_path();
        server.admin_socket = match admin::socket::AdminSocket::bind(&path).await {
            Ok(socket) => Some(socket),
            Err(e @ admin::socket::BindError::InUse(_)) => return Err(e.into()),
            // A server that can serve does (a full disk starts read-only, where no
            // socket can be made): only `messgo admin` cannot reach it, and says so.
            Err(e @ admin::socket::BindError::Other(_)) => {
                tracing::error!(
                    socket = %path.display(),
                    error = %e,
                    "the admin socket could not be opened: `messgo admin` cannot reach this server"
                );
                None
            }
        };
        Ok(server)
    }

    /// The database and services without the admin socket, for `messgo admin`
    /// while no server runs: on SQLite it fails if a server holds the database.
    pub async fn open_for_admin(config: Config) -> anyhow::Result<Server> {
        Self::open(config, Arc::new(SystemClock)).await
    }

    /// Answers admin requests with this server's services.
    pub fn admin(&self) -> admin::Admin {
        admin::Admin::new(self.services.clone())
    }

    /// Closes the store of a server that was never served.
    pub async fn close(self) {
        self.services.db.close().await;
        if let store::Db::Sqlite(_) = &self.services.chunks.store {
            self.services.chunks.store.close().await;
        }
    }

    async fn open(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Server> {
        let lock = match config.sqlite_path() {
            Some(db) => Some(store::DbLock::acquire(&db)?),
            None => None,
        };
        // Each dependency fails with its own name and the address tried (passwords
        // hidden), so an operator knows which one to look at.
        let db = store::Db::open(
            config.database.as_deref(),
            &config.data_dir,
            config.database_pool,
        )
        .await
        .with_context(|| format!("could not open the database ({})", database_name(&config)))?;
        if let store::Db::Sqlite(engine) = &db {
            engine.set_retry_writer(config.full_disk_retry);
        }
        if config.public_url.is_none() && !config.bind.ip().is_loopback() {
            tracing::warn!(
                bind = %config.bind,
                "listening beyond loopback without --public-url (MESSGO_PUBLIC_URL): requests \
                 naming any host are served; set it to the address people use, so that pages \
                 on other names cannot reach this server"
            );
        }
        let (registration, why) = config.registration_mode();
        tracing::info!("registration: {} ({why})", registration.as_str());
        let bus: Arc<dyn bus::Bus> = match &config.bus {
            Some(url) => Arc::new(bus::NatsBus::connect(url).await.with_context(|| {
                format!("could not connect to the bus (NATS at {})", redact_url(url))
            })?),
            None => Arc::new(bus::LocalBus::new()),
        };
        // Checked before anything listens: a bad picture refuses to start.
        let pictures = Arc::new(profile::pictures::Pictures::load(&config)?);
        let services = Arc::new(Services::new(db, bus, clock, &config).await?);
        Ok(Server {
            services,
            config,
            tls: None,
            admin_socket: None,
            _lock: lock,
            metrics: None,
            pictures,
        })
    }

    /// Where `/metrics` is served (`--metrics-bind`), if it is.
    pub fn metrics_addr(&self) -> Option<std::net::SocketAddr> {
        self.metrics.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// The services, for tests that drive the clock and the sweeper directly.
    pub fn services(&self) -> Arc<Services> {
        self.services.clone()
    }

    /// Built-in TLS's certificate, for the binary to reload on SIGHUP.
    pub fn certificates(&self) -> Option<Arc<http::tls::Certificates>> {
        self.tls.clone()
    }

    /// Serves until `shutdown` resolves; in-flight requests finish, then the store
    /// flushes and closes.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let state = AppState {
            services: self.services.clone(),
            web: WebSettings {
                behind_tls_proxy: self.config.behind_tls_proxy || self.tls.is_some(),
                trust_forwarded_for: self.config.trust_forwarded_for,
                max_body_bytes: self.config.max_body_bytes,
                stall_timeout: self.config.stall_timeout,
                ai_context_bytes: self.config.ai_context_bytes,
                public_host: self.config.public_url.as_deref().map(http::host_of_url),
            },
            pictures: self.pictures.clone(),
            sockets: http::SocketLimits::new(
                self.config.sockets_per_account,
                self.config.sockets_per_address,
            ),
            downloads: http::Places::new(self.config.downloads_per_address),
            asking: http::Places::new(http::QUESTIONS_AT_ONCE),
            brake: Arc::new(http::Brake::new(self.config.requests_per_address)),
        };
        let (stop_tx, stop_rx) = watch::channel(false);
        let sweeper = tokio::spawn(sweeper::run(
            self.services.clone(),
            self.config.sweep_interval,
            stop_rx.clone(),
        ));
        let metrics = self
            .metrics
            .map(|listener| serve_metrics(listener, &self.services, &self.config, stop_rx.clone()));
        let flusher = tokio::spawn(messages::pipeline::flush_stale_holds(
            self.services.pipeline.order.clone(),
            stop_rx.clone(),
        ));
        let admin = self.admin_socket.map(|socket| {
            let handler = Arc::new(admin::Admin::new(self.services.clone()));
            tokio::spawn(socket.serve(handler, stop_rx))
        });
        let app = http::router(state).into_make_service_with_connect_info::<http::listener::Peer>();
        // Behind a proxy every connection is the proxy's: it counts them, not us.
        let per_address =
            (!self.config.trust_forwarded_for).then_some(self.config.connections_per_address);
        let tls = self.tls.as_ref().map(|c| c.acceptor()).transpose()?;
        let listener = http::listener::StallingListener::new(
            listener,
            self.config.stall_timeout,
            per_address,
            tls,
            self.services.metrics.clone(),
        );
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await;
        let _ = stop_tx.send(true);
        let _ = sweeper.await;
        let _ = flusher.await;
        if let Some(admin) = admin {
            let _ = admin.await;
        }
        if let Some(metrics) = metrics {
            let _ = metrics.await;
        }
        self.services.db.close().await;
        if let store::Db::Sqlite(_) = &self.services.chunks.store {
            self.services.chunks.store.close().await;
        }
        tracing::info!("stopped; the database is closed");
        Ok(served?)
    }
}

/// Scrapers' connections to `/metrics` one address may hold open at once.
const METRICS_CONNECTIONS_PER_ADDRESS: usize = 8;

/// `/metrics` on its own listener (`--metrics-bind`), until `stop` says so.
/// Its connections have the public listener's bounds (writes time out after the stall
/// timeout; a few per address), but are not counted among the public ones.
fn serve_metrics(
    listener: TcpListener,
    services: &Services,
    config: &Config,
    mut stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<std::io::Result<()>> {
    let app = http::metrics::router(services.metrics_registry());
    let listener = http::listener::StallingListener::new(
        listener,
        config.stall_timeout,
        Some(METRICS_CONNECTIONS_PER_ADDRESS),
        None,
        metrics::Metrics::default(),
    );
    tokio::spawn(async move {
        let stopped = async move {
            let _ = stop.changed().await;
        };
        axum::serve(listener, app)
            .with_graceful_shutdown(stopped)
            .await
    })
}

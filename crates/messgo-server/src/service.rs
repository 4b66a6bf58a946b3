//! The services, assembled: each capability's rules (the service type in its
//! folder's `mod.rs`, with its methods in that folder), built once at start and
//! shared by every request, and the one error type they refuse with. They know nothing of HTTP; handlers call them after parsing and
//! authorizing.

use std::sync::Arc;

pub use crate::accounts::{me_of, new_connect_key, Accounts, AuthHasher, NewAccount};
pub use crate::assistant::Assistant;
pub use crate::blobs::{Blobs, Chunks};
pub use crate::chats::Chats;
pub use crate::connections::{Connections, REQUEST_TTL_MS};
use crate::erasure::Erasure;
pub use crate::invites::Invites;
pub use crate::messages::{message_of, Messages, Pipeline, Sent, MAX_RETENTION_MS, PAGE_MAX};
pub use crate::profile::Profiles;
pub use crate::sessions::{AuthContext, NewSession, Sessions};

use crate::bus::Bus;
use crate::clock::Clock;
use crate::config::Config;
pub use crate::disk::{DiskCheck, DiskState};
use crate::metrics::{Metrics, NodeCounts};
use crate::ratelimit::RetryAfter;
use crate::store::{Db, StoreError};

/// Everything a rule can refuse, in domain terms; the HTTP layer maps each to a status
/// and error code.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    InvalidUsername(#[from] messgo_proto::UsernameError),
    #[error("{field}: {problem}")]
    InvalidField {
        field: &'static str,
        problem: &'static str,
    },
    #[error("invalid connect key")]
    InvalidConnectKey,
    /// A rule checked where the data is refused the change.
    #[error("refused: {0}")]
    Rule(crate::refusal::Refusal),
    #[error("{0} is too large")]
    TooLarge(&'static str),
    #[error("username taken")]
    UsernameTaken,
    #[error("user id taken")]
    UserIdTaken,
    #[error("invalid credentials")]
    InvalidCredentials,
    /// The right password for an account an operator disabled.
    #[error("account disabled")]
    AccountDisabled,
    #[error("not signed in")]
    Unauthenticated,
    #[error("not found")]
    NotFound,
    #[error("rate limited")]
    RateLimited(RetryAfter),
    /// Sign-up or an invite refused by the server's settings.
    #[error("refused by the server's settings: {0:?}")]
    SignUp(SignUpRefusal),
    /// Too much of a costly kind of work is waiting (password hashing): refused at
    /// once rather than queued without end.
    #[error("busy")]
    Busy(RetryAfter),
    /// A limit the operator sets was reached; the answer names it and its value.
    #[error("over a limit: {0:?}")]
    OverLimit(Limit),
    #[error("storage: {0}")]
    Store(#[from] StoreError),
    #[error("internal: {0}")]
    Internal(String),
}

pub type ServiceResult<T> = Result<T, ServiceError>;

/// What the operator's sign-up settings refuse (`--registration`, `--invites-by`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignUpRefusal {
    /// Sign-up is closed on this server.
    Closed,
    /// Sign-up on this server needs an invite, and none was given.
    InviteRequired,
    /// Only the operator makes invites here.
    InvitesByOperator,
}

/// The limits an answer names, with the value the operator set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Largest attachment, in bytes.
    AttachmentSize(u64),
    /// Bytes of attachments one account may have stored at once.
    Quota(u64),
    /// Uploads one account may have under way at once.
    UploadsAtOnce(usize),
    /// Uploads one account may start per hour, and the seconds until the next may.
    UploadsPerHour(u32, u64),
    /// Sockets one account may have open at once.
    SocketsPerAccount(usize),
    /// Sockets one address may have open at once.
    SocketsPerAddress(usize),
    /// Downloads one address may have under way at once.
    DownloadsPerAddress(usize),
    /// Questions to the assistant one account may have under way at once.
    QuestionsAtOnce(usize),
    /// Live invites one account may hold at once.
    LiveInvites(usize),
}

/// A store answer in a rule's terms: missing is NotFound (whether it does not exist
/// or is not the caller's to see), and a refused change keeps its reason.
pub(crate) fn rule(e: StoreError) -> ServiceError {
    match e {
        StoreError::NotFound => ServiceError::NotFound,
        StoreError::Rejected(refusal) => ServiceError::Rule(refusal),
        e @ (StoreError::Conflict(_)
        | StoreError::Database(_)
        | StoreError::Full
        | StoreError::Migrate(_)
        | StoreError::Corrupt(_)
        | StoreError::NotCommitted
        | StoreError::Closed) => ServiceError::Store(e),
    }
}

/// Whether this node can serve: its database answers (and has room to write), and
/// its events reach the other nodes (always true for a single node).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Readiness {
    pub database: DatabaseState,
    pub bus: bool,
    pub disk: DiskState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseState {
    Ok,
    /// It answers reads, but the disk is full: every change answers `storage_full`.
    Full,
    Down,
}

impl Services {
    pub async fn readiness(&self) -> Readiness {
        let database = if !self.db.ping().await {
            DatabaseState::Down
        } else if self.db.full() {
            DatabaseState::Full
        } else {
            DatabaseState::Ok
        };
        Readiness {
            database,
            bus: *self.bus.connected().borrow(),
            disk: self.disk.state(),
        }
    }
}

impl Services {
    /// The registry `/metrics` answers from: every part's metrics, the SQLite
    /// writers' commits, and the bus's and order stage's counters read at each scrape.
    pub fn metrics_registry(&self) -> prometheus_client::registry::Registry {
        let mut stores = Vec::new();
        if let Some(stats) = self.db.commit_stats() {
            stores.push(("main", stats));
        }
        match (&self.db, &self.chunks.store) {
            (Db::Sqlite(main), Db::Sqlite(own)) if Arc::ptr_eq(main, own) => {}
            (_, store) => stores.extend(store.commit_stats().map(|s| ("attachments", s))),
        }
        let (bus, order) = (self.bus.clone(), self.pipeline.order.clone());
        let read = move || {
            let c = bus.counts();
            NodeCounts {
                bus_received: c.received,
                bus_sent: c.sent,
                socket_frames: c.queued,
                users_present: c.interests,
                holes_given_up: order.holes_given_up(),
            }
        };
        let node = crate::metrics::Node {
            read: Arc::new(read),
        };
        self.metrics.registry(stores, node)
    }
}

/// The services, built once at start and shared by every request.
pub struct Services {
    pub accounts: Accounts,
    pub sessions: Sessions,
    pub connections: Connections,
    pub invites: Invites,
    pub profile: Profiles,
    pub chats: Chats,
    pub messages: Messages,
    /// How a message is sent: accept → check → append → ack → order → fan out.
    pub pipeline: Arc<Pipeline>,
    pub blobs: Blobs,
    pub assistant: Assistant,
    pub bus: Arc<dyn Bus>,
    pub db: Db,
    /// The attachments' store (on SQLite a file of its own).
    pub chunks: Chunks,
    pub erasure: Erasure,
    pub clock: Arc<dyn Clock>,
    /// What the parts record for `/metrics` (`--metrics-bind`).
    pub metrics: Metrics,
    /// Free space on the data's disk, for readiness.
    pub disk: DiskCheck,
}

impl Services {
    pub async fn new(
        db: Db,
        bus: Arc<dyn Bus>,
        clock: Arc<dyn Clock>,
        config: &Config,
    ) -> ServiceResult<Self> {
        let store = Db::open_blobs(&db).await?;
        if let Db::Sqlite(engine) = &store {
            engine.set_retry_writer(config.full_disk_retry);
        }
        let metrics = Metrics::default();
        let chunks = Chunks::new(db.clone(), store, clock.clone());
        let erasure = Erasure::new(db.clone(), chunks.clone(), metrics.clone());
        let sessions = Sessions::new(db.clone(), bus.clone(), clock.clone(), config);
        let accounts = Accounts::new(
            db.clone(),
            bus.clone(),
            clock.clone(),
            config,
            erasure.clone(),
            &metrics,
        )
        .await?;
        let connections = Connections::new(
            db.clone(),
            bus.clone(),
            clock.clone(),
            config,
            erasure.clone(),
            &metrics,
        );
        let invites = Invites::new(db.clone(), clock.clone(), config);
        let profile = Profiles::new(db.clone(), bus.clone(), clock.clone());
        let retention_ms = crate::clock::millis(config.retention);
        let pipeline = Arc::new(Pipeline::start(
            db.clone(),
            bus.clone(),
            clock.clone(),
            config.messages_per_minute,
            retention_ms,
            &metrics,
            erasure.clone(),
        ));
        let chats = Chats::new(
            db.clone(),
            bus.clone(),
            clock.clone(),
            pipeline.clone(),
            erasure.clone(),
        );
        let messages = Messages::new(db.clone(), bus.clone(), clock.clone(), erasure.clone());
        let blobs = Blobs::new(db.clone(), chunks.clone(), clock.clone(), config, &metrics);
        let moved = blobs.adopt_inline().await?;
        if moved > 0 {
            tracing::info!(
                count = moved,
                "attachments moved into the attachments' store"
            );
        }
        let assistant = Assistant::new(db.clone(), clock.clone(), config, &metrics);
        Ok(Services {
            accounts,
            sessions,
            connections,
            invites,
            profile,
            chats,
            messages,
            pipeline,
            blobs,
            assistant,
            bus,
            db,
            chunks,
            erasure,
            clock,
            metrics,
            disk: DiskCheck::new(config),
        })
    }
}

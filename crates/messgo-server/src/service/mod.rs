//! Domain services: the rules of MessGo. They talk to [`Store`] and know nothing of
//! HTTP; handlers call them after parsing and authorizing.

mod accounts;
mod appender;
mod assistant;
mod chats;
mod connections;
mod hasher;
mod sequencer;
mod sessions;

use std::sync::Arc;

pub use accounts::{me_of, new_connect_key, Accounts, NewAccount};
pub use assistant::Assistant;
pub use chats::{message_of, Chats, Sent, MAX_RETENTION_MS, PAGE_MAX};
pub use connections::{Connections, REQUEST_TTL_MS};
pub use hasher::AuthHasher;
pub use sessions::{AuthContext, NewSession, Sessions};

use crate::bus::Bus;
use crate::clock::Clock;
use crate::config::Config;
use crate::ratelimit::RetryAfter;
use crate::store::{Store, StoreError};

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
    /// A chat rule refused the change; the code says which (e.g. "not_admin").
    #[error("refused: {0}")]
    Rule(&'static str),
    #[error("{0} is too large")]
    TooLarge(&'static str),
    #[error("username taken")]
    UsernameTaken,
    #[error("user id taken")]
    UserIdTaken,
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("not signed in")]
    Unauthenticated,
    #[error("not found")]
    NotFound,
    #[error("rate limited")]
    RateLimited(RetryAfter),
    #[error("storage: {0}")]
    Store(#[from] StoreError),
    #[error("internal: {0}")]
    Internal(String),
}

pub type ServiceResult<T> = Result<T, ServiceError>;

/// The services, built once at start and shared by every request.
pub struct Services {
    pub accounts: Accounts,
    pub sessions: Sessions,
    pub connections: Connections,
    pub chats: Chats,
    pub assistant: Assistant,
    pub bus: Arc<dyn Bus>,
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
}

impl Services {
    pub async fn new(
        store: Arc<dyn Store>,
        bus: Arc<dyn Bus>,
        clock: Arc<dyn Clock>,
        config: &Config,
    ) -> ServiceResult<Self> {
        let sessions = Sessions::new(store.clone(), bus.clone(), clock.clone(), config);
        let accounts = Accounts::new(store.clone(), bus.clone(), clock.clone(), config).await?;
        let connections = Connections::new(store.clone(), bus.clone(), clock.clone(), config);
        let chats = Chats::new(
            store.clone(),
            bus.clone(),
            clock.clone(),
            config.messages_per_minute,
            config.retention.as_millis() as i64,
        );
        let assistant = Assistant::new(store.clone(), clock.clone(), config);
        Ok(Services {
            accounts,
            sessions,
            connections,
            chats,
            assistant,
            bus,
            store,
            clock,
        })
    }
}

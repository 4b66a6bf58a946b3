//! Domain services: the rules of MessGo. They talk to [`Store`] and know nothing of
//! HTTP; handlers call them after parsing and authorizing.

mod appender;
mod assistant;
mod chats;
mod sequencer;

use std::sync::Arc;

pub use crate::accounts::{me_of, new_connect_key, Accounts, AuthHasher, NewAccount};
pub use crate::connections::{Connections, REQUEST_TTL_MS};
pub use crate::profile::Profiles;
pub use crate::sessions::{AuthContext, NewSession, Sessions};
pub use assistant::Assistant;
pub use chats::{message_of, Chats, Sent, MAX_RETENTION_MS, PAGE_MAX};

use crate::bus::Bus;
use crate::clock::Clock;
use crate::config::Config;
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
    pub profile: Profiles,
    pub chats: Chats,
    pub assistant: Assistant,
    pub bus: Arc<dyn Bus>,
    pub db: Db,
    pub clock: Arc<dyn Clock>,
}

impl Services {
    pub async fn new(
        db: Db,
        bus: Arc<dyn Bus>,
        clock: Arc<dyn Clock>,
        config: &Config,
    ) -> ServiceResult<Self> {
        let sessions = Sessions::new(db.clone(), bus.clone(), clock.clone(), config);
        let accounts = Accounts::new(db.clone(), bus.clone(), clock.clone(), config).await?;
        let connections = Connections::new(db.clone(), bus.clone(), clock.clone(), config);
        let profile = Profiles::new(db.clone(), bus.clone(), clock.clone());
        let chats = Chats::new(
            db.clone(),
            bus.clone(),
            clock.clone(),
            config.messages_per_minute,
            config.retention.as_millis() as i64,
        );
        let assistant = Assistant::new(db.clone(), clock.clone(), config);
        Ok(Services {
            accounts,
            sessions,
            connections,
            profile,
            chats,
            assistant,
            bus,
            db,
            clock,
        })
    }
}

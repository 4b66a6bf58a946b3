//! Consent: connection requests, contacts and blocks. Nobody can learn whether a
//! username or connect key exists: sending a request does the same work and gives the
//! same answer whatever the target is, and a non-contact looks like nobody at all.

use std::sync::Arc;

use messgo_proto::{ConnectKey, ConnectKeyResponse, Contact, UserId};

mod contacts;
pub mod contacts_sql;
mod requests;
pub mod sql;

pub(crate) use contacts::contact_view;

use crate::accounts::new_connect_key;
use crate::accounts::sql as accounts_sql;
use crate::bus::Bus;
use crate::clock::Clock;
use crate::config::Config;
use crate::erasure::Erasure;
use crate::service::{ServiceError, ServiceResult};
use crate::sessions::AuthContext;
use crate::store::Db;
use contacts_sql::ContactRow;

const HOUR_MS: i64 = 3_600_000;
/// Requests live as long as any conversation data may: 72 hours at most, less if the
/// server's retention is shorter.
pub const REQUEST_TTL_MS: i64 = 72 * HOUR_MS;

pub struct Connections {
    db: Db,
    bus: Arc<dyn Bus>,
    clock: Arc<dyn Clock>,
    limit_per_hour: u32,
    ttl_ms: i64,
    erasure: Erasure,
    /// Requests refused for the hourly limit, for the metrics.
    refused: prometheus_client::metrics::counter::Counter,
}

pub(crate) fn contact_of(r: ContactRow) -> Contact {
    Contact {
        user_id: UserId(r.user_id),
        username: r.username,
        display_name: r.display_name,
        bio: r.bio,
        avatar_updated_at: r.avatar_updated_at,
        x25519_public: r.x25519_public.into(),
        ed25519_public: r.ed25519_public.into(),
        connected_at: r.connected_at,
        chat_id: messgo_proto::ChatId(r.chat_id),
    }
}

impl Connections {
    pub fn new(
        db: Db,
        bus: Arc<dyn Bus>,
        clock: Arc<dyn Clock>,
        config: &Config,
        erasure: Erasure,
        metrics: &crate::metrics::Metrics,
    ) -> Self {
        let kind = crate::metrics::Refused::ConnectionRequests.name();
        Connections {
            refused: metrics.refused.get_or_create(&[("kind", kind)]).clone(),
            erasure,
            db,
            bus,
            clock,
            limit_per_hour: config.request_limit_per_hour,
            ttl_ms: crate::clock::millis(config.retention).min(REQUEST_TTL_MS),
        }
    }

    pub async fn connect_key(&self, who: AuthContext) -> ServiceResult<ConnectKeyResponse> {
        let user = db_run!(self.db, read, accounts_sql::user_by_id(who.user_id))
            .map_err(|_| ServiceError::Unauthenticated)?;
        let key = match user.connect_key {
            Some(k) => k,
            None => return self.rotate_key(who).await,
        };
        Ok(key_response(&key))
    }

    /// A fresh key; the old one stops resolving in the same write.
    pub async fn rotate_key(&self, who: AuthContext) -> ServiceResult<ConnectKeyResponse> {
        let key = new_connect_key();
        {
            let key = key.clone();
            db_run!(self.db, write, sql::set_connect_key(who.user_id, &key))?
        };
        Ok(key_response(&key))
    }

    pub async fn sweep(&self) -> ServiceResult<u64> {
        let now = self.clock.now_ms();
        Ok(db_run!(
            self.db,
            write,
            sql::sweep_requests(now, now - HOUR_MS)
        )?)
    }
}

fn key_response(key: &str) -> ConnectKeyResponse {
    let display = ConnectKey::parse(key)
        .map(|k| k.display())
        .unwrap_or_else(|_| key.to_owned());
    ConnectKeyResponse {
        connect_key: key.to_owned(),
        display,
    }
}

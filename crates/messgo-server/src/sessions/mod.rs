//! Login sessions: a random 256-bit token lives only in the client's cookie; the
//! server keeps its SHA-256, so a database leak yields no usable session.

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use futures_util::future::BoxFuture;
use messgo_proto::{SessionId, SessionInfo, UserId};
use rand::RngCore;
use sha2::{Digest, Sha256};

pub mod sql;

pub use sql::SessionRecord;

use crate::bus::{Bus, Ending};
use crate::clock::Clock;
use crate::config::Config;
use crate::service::{ServiceError, ServiceResult};
use crate::store::{Db, StoreError};

/// `last_seen_at` is refreshed at most this often, so reading pages does not turn
/// every request into a database write.
const TOUCH_EVERY_MS: i64 = 60_000;
const TOKEN_BYTES: usize = 32;

/// Who is making a request, once their cookie checked out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthContext {
    pub user_id: UserId,
    pub session_id: SessionId,
}

pub struct NewSession {
    pub id: SessionId,
    /// Goes into the cookie; never stored or logged.
    pub token: String,
}

pub struct Sessions {
    db: Db,
    bus: Arc<dyn Bus>,
    clock: Arc<dyn Clock>,
    idle_ms: i64,
}

impl Sessions {
    pub fn new(db: Db, bus: Arc<dyn Bus>, clock: Arc<dyn Clock>, config: &Config) -> Self {
        Sessions {
            db,
            bus,
            clock,
            idle_ms: crate::clock::millis(config.session_idle),
        }
    }

    /// How long the cookie may live: as long as an idle session does.
    pub fn cookie_max_age_secs(&self) -> i64 {
        self.idle_ms / 1000
    }

    pub async fn create(
        &self,
        user_id: UserId,
        user_agent: Option<&str>,
    ) -> ServiceResult<NewSession> {
        let mut raw = [0u8; TOKEN_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut raw);
        let token = URL_SAFE_NO_PAD.encode(raw);
        let now = self.clock.now_ms();
        let id = SessionId::random();
        let record = SessionRecord {
            id,
            user_id,
            token_hash: token_hash(&token),
            device: describe_device(user_agent),
            created_at: now,
            last_seen_at: now,
        };
        match db_run!(self.db, write, sql::create_session(&record)) {
            Ok(()) => Ok(NewSession { id, token }),
            // Disabled or deleted while the password was checked.
            Err(StoreError::NotFound) => Err(ServiceError::Unauthenticated),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn authenticate(&self, token: &str) -> ServiceResult<AuthContext> {
        if token.len() != 43 || URL_SAFE_NO_PAD.decode(token).is_err() {
            return Err(ServiceError::Unauthenticated);
        }
        let session = match db_run!(
            self.db,
            read,
            sql::session_by_token_hash(&token_hash(token))
        ) {
            Ok(s) => s,
            Err(StoreError::NotFound) => return Err(ServiceError::Unauthenticated),
            Err(e) => return Err(e.into()),
        };
        let now = self.clock.now_ms();
        if now - session.last_seen_at > self.idle_ms {
            // Expired sessions are swept too; this just doesn't wait for the sweeper.
            match db_run!(
                self.db,
                write,
                sql::delete_session(session.user_id, session.id)
            ) {
                Ok(()) | Err(StoreError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
            // Its open sockets end with it, as with any other way a session ends.
            self.bus
                .end_sessions(session.user_id, Ending::Only(session.id));
            return Err(ServiceError::Unauthenticated);
        }
        if now - session.last_seen_at > TOUCH_EVERY_MS {
            match db_run!(self.db, relaxed, sql::touch_session(session.id, now)) {
                // Only a refresh: a full disk must not stop the session from reading.
                Ok(()) | Err(StoreError::Full) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(AuthContext {
            user_id: session.user_id,
            session_id: session.id,
        })
    }

    pub async fn list(&self, who: AuthContext) -> ServiceResult<Vec<SessionInfo>> {
        let sessions = db_run!(self.db, read, sql::sessions_of(who.user_id))?;
        Ok(sessions
            .into_iter()
            .map(|s| SessionInfo {
                current: s.id == who.session_id,
                id: s.id,
                device: s.device,
                created_at: s.created_at,
                last_seen_at: s.last_seen_at,
            })
            .collect())
    }

    /// Revokes one of the caller's own sessions; anyone else's is "not found".
    pub async fn revoke(&self, who: AuthContext, id: SessionId) -> ServiceResult<()> {
        match db_run!(self.db, write, sql::delete_session(who.user_id, id)) {
            Ok(()) => {
                self.bus.end_sessions(who.user_id, Ending::Only(id));
                Ok(())
            }
            Err(StoreError::NotFound) => Err(ServiceError::NotFound),
            Err(e) => Err(e.into()),
        }
    }

    /// Ends every session of `user` and closes their sockets at once (an operator's
    /// `messgo admin sessions revoke`). Returns how many sessions there were.
    pub async fn revoke_all(&self, user: UserId) -> ServiceResult<u64> {
        let ended = db_run!(self.db, write, sql::delete_sessions_of(user))?;
        self.bus.end_sessions(user, Ending::All);
        Ok(ended)
    }

    /// Ends the sessions idle for longer than the limit, and their open sockets.
    pub async fn sweep_idle(&self) -> ServiceResult<u64> {
        let before = self.clock.now_ms() - self.idle_ms;
        let ended = db_run!(self.db, write, sql::delete_sessions_idle_since(before))?;
        for &(user, session) in &ended {
            self.bus.end_sessions(user, Ending::Only(session));
        }
        Ok(ended.len() as u64)
    }

    /// A frame arrived on one of the session's sockets: the session is in use, as a
    /// request would show. `touched` is the socket's own record of when it last said
    /// so (0 at its opening, whose request already did), so a busy socket writes at
    /// most once per [`TOUCH_EVERY_MS`]. Returns the write to wait for when one is due.
    /// A session that has gone, or went idle before this frame, ends the socket.
    pub fn in_use(&self, who: AuthContext, touched: &mut i64) -> Option<BoxFuture<'static, ()>> {
        let now = self.clock.now_ms();
        if *touched == 0 {
            *touched = now;
        }
        if now - *touched <= TOUCH_EVERY_MS {
            return None;
        }
        *touched = now;
        let (db, bus, idle_since) = (self.db.clone(), self.bus.clone(), now - self.idle_ms);
        Some(Box::pin(async move {
            match db_run!(
                db,
                relaxed,
                sql::touch_live_session(who.session_id, now, idle_since)
            ) {
                Ok(true) => {}
                Ok(false) => bus.end_sessions(who.user_id, Ending::Only(who.session_id)),
                // Only a refresh: a full disk, or a failed write, leaves the session as it was.
                Err(e) => tracing::debug!(error = %e, "marking a session in use failed"),
            }
        }))
    }
}

pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// A short label for the sessions list ("Chrome on Linux"), not the raw User-Agent,
/// which is a fingerprint we have no reason to keep.
fn describe_device(user_agent: Option<&str>) -> String {
    let ua = user_agent.unwrap_or("");
    if let Some(rest) = ua.strip_prefix("messgo-") {
        return format!("MessGo {}", rest.split('/').next().unwrap_or("client"));
    }
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| *name);
    let os = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| *name);
    match (browser, os) {
        (Some(b), Some(o)) => format!("{b} on {o}"),
        (Some(b), None) => b.to_owned(),
        (None, Some(o)) => format!("Browser on {o}"),
        (None, None) => "Unknown device".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::describe_device;

    #[test]
    fn devices_are_summarized() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36";
        assert_eq!(describe_device(Some(chrome)), "Chrome on Linux");
        assert_eq!(
            describe_device(Some("messgo-client/0.1.0")),
            "MessGo client"
        );
        assert_eq!(describe_device(None), "Unknown device");
    }
}

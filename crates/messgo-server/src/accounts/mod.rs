//! Accounts without passwords: clients derive an auth key from the password and the
//! server stores only Argon2id of it. Unknown usernames and wrong keys get the same
//! answer at the same cost.

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use messgo_proto::{
    sizes, ConfigResponse, ConnectKey, KdfParams, Me, PreloginResponse, Registration, UserId,
    Username, CONNECT_KEY_BYTES,
};
use rand::RngCore;

mod decoy;
mod hasher;
mod operator;
mod register;
pub mod sql;

pub use hasher::AuthHasher;
pub use sql::{Credentials, UserRecord};

use crate::bus::{Bus, Ending};
use crate::clock::Clock;
use crate::config::{Config, InvitesBy};
use crate::erasure::Erasure;
use crate::metrics::{Metrics, Refused};
use crate::ratelimit::RateLimiter;
use crate::service::{ServiceError, ServiceResult};
use crate::sessions::AuthContext;
use crate::store::{Db, StoreError};

const HOUR_MS: i64 = 3_600_000;

/// A registration, as received (binary fields already decoded).
pub struct NewAccount {
    pub user_id: UserId,
    pub username: String,
    pub auth_key: Vec<u8>,
    pub kdf: KdfParams,
    pub key_bundle: Vec<u8>,
    pub x25519_public: Vec<u8>,
    pub ed25519_public: Vec<u8>,
    /// The invite code it came with, if any.
    pub invite: Option<String>,
}

pub struct Accounts {
    db: Db,
    bus: Arc<dyn Bus>,
    clock: Arc<dyn Clock>,
    hasher: AuthHasher,
    realm_id: String,
    default_kdf: KdfParams,
    decoys: Arc<decoy::Decoys>,
    login_by_username: RateLimiter,
    login_by_ip: RateLimiter,
    register_by_ip: RateLimiter,
    erasure: Erasure,
    /// Who may sign up (`--registration`, or what the bind address implies).
    registration: Registration,
    user_invites: bool,
}

impl Accounts {
    pub async fn new(
        db: Db,
        bus: Arc<dyn Bus>,
        clock: Arc<dyn Clock>,
        config: &Config,
        erasure: Erasure,
        metrics: &Metrics,
    ) -> ServiceResult<Self> {
        let mut candidate = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut candidate);
        let candidate = URL_SAFE_NO_PAD.encode(candidate);
        let realm_id = match db_run!(db, read, sql::stored_realm_id())? {
            Some(id) => id,
            None => db_run!(db, write, sql::realm_id(&candidate))?,
        };
        let window = crate::clock::millis(config.login_limit_window);
        Ok(Accounts {
            login_by_username: RateLimiter::new(
                config.login_limit_per_username,
                window,
                clock.clone(),
            )
            .counting(metrics, Refused::Login),
            login_by_ip: RateLimiter::new(config.login_limit_per_ip, window, clock.clone())
                .counting(metrics, Refused::Login),
            register_by_ip: RateLimiter::new(config.register_limit_per_ip, HOUR_MS, clock.clone())
                .counting(metrics, Refused::Register),
            hasher: AuthHasher::new().await?,
            default_kdf: KdfParams::pbkdf2(config.kdf_iterations),
            decoys: decoy::Decoys::load(
                db.clone(),
                clock.clone(),
                KdfParams::pbkdf2(config.kdf_iterations),
            )
            .await?,
            realm_id,
            erasure,
            registration: config.registration_mode().0,
            user_invites: config.invites_by == InvitesBy::Users,
            db,
            bus,
            clock,
        })
    }

    pub fn config(&self) -> ConfigResponse {
        ConfigResponse {
            realm_id: self.realm_id.clone(),
            kdf: self.default_kdf,
            version: env!("CARGO_PKG_VERSION").to_owned(),
            registration: self.registration,
            user_invites: self.user_invites,
        }
    }

    /// The account's KDF parameters, or for an unknown username a decoy that looks
    /// like some account's (`decoy.rs`). The same lookup and the same decoy draw run
    /// either way, so neither the answer nor its timing tells them apart.
    pub async fn prelogin(&self, username: &str) -> ServiceResult<PreloginResponse> {
        let username = Username::parse(username)?;
        let decoy = self.decoys.kdf_for(&username);
        let kdf = match db_run!(self.db, read, sql::user_by_username(username.as_str())) {
            Ok(user) => user.kdf,
            Err(StoreError::NotFound) => decoy,
            Err(e) => return Err(e.into()),
        };
        Ok(PreloginResponse { kdf })
    }

    pub async fn login(
        &self,
        username: &str,
        auth_key: Vec<u8>,
        ip: &str,
    ) -> ServiceResult<UserRecord> {
        // A malformed username or key cannot belong to anyone: same answer as a miss.
        let Ok(username) = Username::parse(username) else {
            return Err(ServiceError::InvalidCredentials);
        };
        // Counted before the work, so attempts fired at once cannot all slip under
        // the limit; an attempt that succeeds, or never gets checked, is given back.
        let attempt = Attempt::take(&[
            (&self.login_by_ip, ip),
            (&self.login_by_username, username.as_str()),
        ])?;
        let user = match db_run!(self.db, read, sql::user_by_username(username.as_str())) {
            Ok(u) => Some(u),
            Err(StoreError::NotFound) => None,
            Err(e) => return Err(attempt.give_back(e.into())),
        };
        let stored = user.as_ref().map(|u| u.auth_hash.clone());
        let right = auth_key.len() == sizes::AUTH_KEY
            && match self.hasher.verify(auth_key, stored).await {
                Ok(right) => right,
                Err(e) => return Err(attempt.give_back(e)),
            };
        match user {
            // Said only to whoever knows the password: a wrong one gets the answer
            // any wrong password gets, so a stranger learns nothing of the account.
            Some(user) if right && user.disabled_at.is_some() => {
                Err(attempt.give_back(ServiceError::AccountDisabled))
            }
            Some(user) if right => {
                attempt.give_back(());
                Ok(user)
            }
            Some(_) | None => Err(ServiceError::InvalidCredentials),
        }
    }

    pub async fn me(&self, who: AuthContext) -> ServiceResult<Me> {
        let u = match db_run!(self.db, read, sql::user_by_id(who.user_id)) {
            Ok(u) => u,
            // The session outlived its account (deleted in another tab).
            Err(StoreError::NotFound) => return Err(ServiceError::Unauthenticated),
            Err(e) => return Err(e.into()),
        };
        Ok(me_of(u))
    }

    /// The client re-derived its keys and re-wrapped its bundle; every other session
    /// of the account ends in the same transaction.
    pub async fn change_password(
        &self,
        who: AuthContext,
        auth_key: Vec<u8>,
        new_auth_key: Vec<u8>,
        new_kdf: KdfParams,
        new_key_bundle: Vec<u8>,
    ) -> ServiceResult<()> {
        check_len("new_auth_key", &new_auth_key, sizes::AUTH_KEY)?;
        check_kdf(&new_kdf)?;
        check_len("new_key_bundle", &new_key_bundle, sizes::KEY_BUNDLE)?;
        self.confirm(who, auth_key).await?;
        let creds = Credentials {
            auth_hash: self.hasher.hash(new_auth_key).await?,
            kdf: new_kdf,
            key_bundle: new_key_bundle,
        };
        db_run!(
            self.db,
            write,
            sql::set_credentials(who.user_id, &creds, who.session_id)
        )?;
        self.bus
            .end_sessions(who.user_id, Ending::AllBut(who.session_id));
        Ok(())
    }

    /// Removes the account and, by cascade, everything of it, at once.
    pub async fn delete(&self, who: AuthContext, auth_key: Vec<u8>) -> ServiceResult<()> {
        self.confirm(who, auth_key).await?;
        self.remove(who.user_id).await
    }

    /// The deletion itself, once the caller may delete (the owner's password, or the
    /// operator).
    async fn remove(&self, user: messgo_proto::UserId) -> ServiceResult<()> {
        match db_run!(self.db, write, sql::delete_user(user)) {
            Ok(()) | Err(StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
        self.bus.end_sessions(user, Ending::All);
        // "Removed" means gone from the file and the WAL too, now rather than at a
        // later sweep. The account is gone either way; a failure here only delays that.
        self.erasure.erase("a deleted account").await;
        Ok(())
    }

    /// Re-checks the auth key of a signed-in user before a grave change.
    async fn confirm(&self, who: AuthContext, auth_key: Vec<u8>) -> ServiceResult<()> {
        let user = match db_run!(self.db, read, sql::user_by_id(who.user_id)) {
            Ok(u) => u,
            Err(StoreError::NotFound) => return Err(ServiceError::Unauthenticated),
            Err(e) => return Err(e.into()),
        };
        let attempt = Attempt::take(&[(&self.login_by_username, &user.username)])?;
        let right = auth_key.len() == sizes::AUTH_KEY
            && match self.hasher.verify(auth_key, Some(user.auth_hash)).await {
                Ok(right) => right,
                Err(e) => return Err(attempt.give_back(e)),
            };
        if right {
            attempt.give_back(());
            return Ok(());
        }
        Err(ServiceError::InvalidCredentials)
    }
}

/// The account as its owner sees it.
pub fn me_of(u: UserRecord) -> Me {
    Me {
        user_id: u.id,
        username: u.username,
        kdf: u.kdf,
        key_bundle: u.key_bundle.into(),
        x25519_public: u.x25519_public.into(),
        ed25519_public: u.ed25519_public.into(),
        created_at: u.created_at,
        display_name: u.display_name,
        bio: u.bio,
        avatar_updated_at: u.avatar_updated_at,
    }
}

/// 160 random bits; collisions are not a practical concern, and the unique index
/// would refuse one anyway.
pub fn new_connect_key() -> String {
    let mut bytes = [0u8; CONNECT_KEY_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    ConnectKey::from_bytes(&bytes).as_str().to_owned()
}

fn field(field: &'static str, problem: &'static str) -> ServiceError {
    ServiceError::InvalidField { field, problem }
}

fn check_len(name: &'static str, value: &[u8], len: usize) -> ServiceResult<()> {
    if value.len() != len {
        return Err(field(
            name,
            match len {
                32 => "must be exactly 32 bytes",
                _ => "has the wrong length",
            },
        ));
    }
    Ok(())
}

fn check_kdf(kdf: &KdfParams) -> ServiceResult<()> {
    if !kdf.is_acceptable() {
        return Err(field(
            "kdf",
            "iterations must be between 100000 and 10000000",
        ));
    }
    Ok(())
}

fn check_ed25519(key: &[u8]) -> ServiceResult<()> {
    let bytes: [u8; 32] = key
        .try_into()
        .map_err(|_| field("ed25519_public", "must be exactly 32 bytes"))?;
    ed25519_dalek::VerifyingKey::from_bytes(&bytes)
        .map_err(|_| field("ed25519_public", "is not a valid Ed25519 public key"))?;
    Ok(())
}

/// A guess counted against each of its limits before it is checked. It stays counted
/// (a wrong key) unless given back (a right one, or a check that could not run).
struct Attempt<'a> {
    counted: Vec<(&'a RateLimiter, &'a str)>,
}

impl<'a> Attempt<'a> {
    /// Counts one guess against every limit, or none if one of them is used up.
    fn take(limits: &[(&'a RateLimiter, &'a str)]) -> ServiceResult<Attempt<'a>> {
        let mut attempt = Attempt {
            counted: Vec::with_capacity(limits.len()),
        };
        for &(limit, key) in limits {
            if let Err(after) = limit.hit(key) {
                limit.refund(key);
                return Err(attempt.give_back(ServiceError::RateLimited(after)));
            }
            attempt.counted.push((limit, key));
        }
        Ok(attempt)
    }

    /// Uncounts the guess and passes `outcome` through.
    fn give_back<T>(self, outcome: T) -> T {
        for (limit, key) in self.counted {
            limit.refund(key);
        }
        outcome
    }
}

//! Argon2id over the client's auth key.
//!
//! The auth key is already a 256-bit derived secret, so Argon2id here is defence in
//! depth: a stolen database still costs a memory-hard hash per guess. Hashing is
//! CPU- and memory-heavy, so it runs on the blocking pool, a few at a time.

use std::sync::Arc;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use tokio::sync::Semaphore;

use crate::service::{ServiceError, ServiceResult};

#[derive(Clone)]
pub struct AuthHasher {
    permits: Arc<Semaphore>,
    /// Verified against when the username is unknown, so that answer costs the same.
    dummy: Arc<String>,
}

impl AuthHasher {
    pub async fn new() -> ServiceResult<Self> {
        let permits = Arc::new(Semaphore::new(
            std::thread::available_parallelism().map_or(2, |n| n.get()),
        ));
        let dummy = blocking(|| hash(&[0u8; 32])).await??;
        Ok(AuthHasher {
            permits,
            dummy: Arc::new(dummy),
        })
    }

    pub async fn hash(&self, auth_key: Vec<u8>) -> ServiceResult<String> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        blocking(move || hash(&auth_key)).await?
    }

    /// Constant-time comparison inside Argon2's verifier. `stored = None` checks
    /// against the dummy hash and always fails, at the same cost.
    pub async fn verify(&self, auth_key: Vec<u8>, stored: Option<String>) -> ServiceResult<bool> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        let known = stored.is_some();
        let phc = stored.unwrap_or_else(|| self.dummy.as_ref().clone());
        let ok = blocking(move || {
            let parsed = PasswordHash::new(&phc)
                .map_err(|e| ServiceError::Internal(format!("stored hash: {e}")))?;
            Ok::<_, ServiceError>(
                Argon2::default()
                    .verify_password(&auth_key, &parsed)
                    .is_ok(),
            )
        })
        .await??;
        Ok(ok && known)
    }
}

fn hash(auth_key: &[u8]) -> ServiceResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(auth_key, &salt)
        .map(|h| h.to_string())
        .map_err(|e| ServiceError::Internal(format!("argon2: {e}")))
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> ServiceResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ServiceError::Internal(format!("hash task: {e}")))
}

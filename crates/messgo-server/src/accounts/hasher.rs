//! Argon2id over the client's auth key.
//!
//! The auth key is already a 256-bit derived secret, so Argon2id here is defence in
//! depth: a stolen database still costs a memory-hard hash per guess. Hashing is
//! CPU- and memory-heavy, so it runs on the blocking pool, a few at a time: half
//! the cores at most, so a flood of sign-ins leaves the rest to the messages. Work
//! that cannot start at once waits in a bounded queue; past it, the answer is
//! "busy, try again" at once ([`ServiceError::Busy`]), not a wait without end.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use tokio::sync::Semaphore;

use crate::ratelimit::RetryAfter;
use crate::service::{ServiceError, ServiceResult};

/// Hashes waiting per hash under way, at most; at ~30 ms a hash, the last in line
/// waits about half a second.
const WAITING_PER_WORKER: usize = 16;
/// What a refused caller is told to wait.
const BUSY_RETRY_SECS: u64 = 2;

#[derive(Clone)]
pub struct AuthHasher {
    permits: Arc<Semaphore>,
    /// Callers waiting for a permit, and how many may.
    waiting: Arc<AtomicUsize>,
    max_waiting: usize,
    /// Verified against when the username is unknown, so that answer costs the same.
    dummy: Arc<String>,
}

impl AuthHasher {
    pub async fn new() -> ServiceResult<Self> {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self::with_workers((cores / 2).max(1)).await
    }

    pub async fn with_workers(workers: usize) -> ServiceResult<Self> {
        let dummy = blocking(|| hash(&[0u8; 32])).await??;
        Ok(AuthHasher {
            permits: Arc::new(Semaphore::new(workers)),
            waiting: Arc::new(AtomicUsize::new(0)),
            max_waiting: workers * WAITING_PER_WORKER,
            dummy: Arc::new(dummy),
        })
    }

    /// A worker's permit: at once, after a bounded wait, or `Busy`.
    async fn permit(&self) -> ServiceResult<tokio::sync::SemaphorePermit<'_>> {
        if let Ok(permit) = self.permits.try_acquire() {
            return Ok(permit);
        }
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(ServiceError::Busy(RetryAfter(BUSY_RETRY_SECS)));
        }
        let permit = self.permits.acquire().await;
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        permit.map_err(|e| ServiceError::Internal(e.to_string()))
    }

    pub async fn hash(&self, auth_key: Vec<u8>) -> ServiceResult<String> {
        let _permit = self.permit().await?;
        blocking(move || hash(&auth_key)).await?
    }

    /// Constant-time comparison inside Argon2's verifier. `stored = None` checks
    /// against the dummy hash and always fails, at the same cost.
    pub async fn verify(&self, auth_key: Vec<u8>, stored: Option<String>) -> ServiceResult<bool> {
        let _permit = self.permit().await?;
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

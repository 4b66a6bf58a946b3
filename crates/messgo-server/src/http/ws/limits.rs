//! How many sockets one account and one address may have open at once, on this node:
//! each open socket costs memory and a file, so a client that opens them without end
//! is refused (`429 too_many_sockets`, naming the limit) instead.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::service::{Limit, ServiceError, ServiceResult};

/// Open sockets by key (an account, an address), each key up to a limit.
pub struct SocketCounts {
    limit: usize,
    open: Mutex<HashMap<String, usize>>,
}

/// One socket's place; given back when dropped.
pub struct Place {
    counts: Arc<SocketCounts>,
    key: String,
}

impl SocketCounts {
    pub fn new(limit: usize) -> Arc<Self> {
        Arc::new(SocketCounts {
            limit,
            open: Mutex::new(HashMap::new()),
        })
    }

    /// The limit per key.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// A place for one more socket of `key`, if it has fewer than the limit open.
    pub fn take(self: &Arc<Self>, key: String) -> Option<Place> {
        let mut open = self.open.lock().expect("socket counts lock");
        let n = open.entry(key.clone()).or_insert(0);
        if *n >= self.limit {
            return None;
        }
        *n += 1;
        Some(Place {
            counts: Arc::clone(self),
            key,
        })
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        let mut open = self.counts.open.lock().expect("socket counts lock");
        if let Some(n) = open.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.key);
            }
        }
    }
}

/// The per-account and per-address limits together.
#[derive(Clone)]
pub struct SocketLimits {
    pub per_account: Arc<SocketCounts>,
    pub per_address: Arc<SocketCounts>,
}

impl SocketLimits {
    pub fn new(per_account: usize, per_address: usize) -> Self {
        SocketLimits {
            per_account: SocketCounts::new(per_account),
            per_address: SocketCounts::new(per_address),
        }
    }

    /// Places for one more socket of `account` from `address`, or the limit refused.
    pub fn take(&self, account: String, address: String) -> ServiceResult<(Place, Place)> {
        let mine = self
            .per_account
            .take(account)
            .ok_or(ServiceError::OverLimit(Limit::SocketsPerAccount(
                self.per_account.limit,
            )))?;
        let theirs = self
            .per_address
            .take(address)
            .ok_or(ServiceError::OverLimit(Limit::SocketsPerAddress(
                self.per_address.limit,
            )))?;
        Ok((mine, theirs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_counted_per_key_and_given_back() {
        let limits = SocketLimits::new(2, 3);
        let a1 = limits.take("a".into(), "ip".into()).unwrap();
        let _a2 = limits.take("a".into(), "ip".into()).unwrap();
        assert!(matches!(
            limits.take("a".into(), "ip".into()),
            Err(ServiceError::OverLimit(Limit::SocketsPerAccount(2)))
        ));
        let _b1 = limits.take("b".into(), "ip".into()).unwrap();
        assert!(matches!(
            limits.take("c".into(), "ip".into()),
            Err(ServiceError::OverLimit(Limit::SocketsPerAddress(3)))
        ));
        drop(a1);
        assert!(
            limits.take("a".into(), "other".into()).is_ok(),
            "a place came back"
        );
        assert!(
            limits.per_account.open.lock().unwrap().get("c").is_none(),
            "a refused key keeps nothing"
        );
    }
}

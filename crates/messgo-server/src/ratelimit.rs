//! Fixed-window counters keyed by string (an IP, a username, an account).
//!
//! Kept in memory per node: limits are a brake on guessing and abuse, not accounting,
//! and a restart resetting them is acceptable.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::clock::Clock;

/// Beyond this many tracked keys, expired windows are purged, and if that is not
/// enough the oldest windows go, so memory stays bounded under a spray of keys.
const MAX_KEYS: usize = 100_000;

pub struct RateLimiter {
    limit: u32,
    window_ms: i64,
    clock: Arc<dyn Clock>,
    windows: Mutex<HashMap<String, (i64, u32)>>,
    /// Where refusals are counted for the metrics (a total, never the key).
    refused: Option<prometheus_client::metrics::counter::Counter>,
}

/// How long to wait before trying again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub u64);

impl RateLimiter {
    pub fn new(limit: u32, window_ms: i64, clock: Arc<dyn Clock>) -> Self {
        RateLimiter {
            limit,
            window_ms,
            clock,
            windows: Mutex::new(HashMap::new()),
            refused: None,
        }
    }

    /// Counts every refusal of this limiter as a refusal of `kind` in `metrics`.
    pub fn counting(
        mut self,
        metrics: &crate::metrics::Metrics,
        kind: crate::metrics::Refused,
    ) -> Self {
        self.refused = Some(
            metrics
                .refused
                .get_or_create(&[("kind", kind.name())])
                .clone(),
        );
        self
    }

    fn note_refusal(&self) {
        if let Some(refused) = &self.refused {
            refused.inc();
        }
    }

    /// Fails if `key` has used up its window, without counting this call.
    pub fn check(&self, key: &str) -> Result<(), RetryAfter> {
        let now = self.clock.now_ms();
        let windows = self.windows.lock().expect("rate limiter lock");
        match windows.get(key) {
            Some(&(start, count)) if now - start < self.window_ms && count >= self.limit => {
                Err(self.refuse(start, now))
            }
            _ => Ok(()),
        }
    }

    /// Counts one use of `key`; fails (still counting) once over the limit.
    pub fn hit(&self, key: &str) -> Result<(), RetryAfter> {
        let now = self.clock.now_ms();
        let mut windows = self.windows.lock().expect("rate limiter lock");
        if windows.len() >= MAX_KEYS && !windows.contains_key(key) {
            self.shrink(&mut windows, now);
        }
        let entry = windows.entry(key.to_owned()).or_insert((now, 0));
        if now - entry.0 >= self.window_ms {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        if entry.1 > self.limit {
            let start = entry.0;
            return Err(self.refuse(start, now));
        }
        Ok(())
    }

    /// Takes back one use of `key` counted by [`hit`](Self::hit) in the current
    /// window: an attempt counted before its outcome was known, that turned out not
    /// to count (a login that succeeded, a check that never ran).
    pub fn refund(&self, key: &str) {
        let now = self.clock.now_ms();
        let mut windows = self.windows.lock().expect("rate limiter lock");
        if let Some(entry) = windows.get_mut(key) {
            if now - entry.0 < self.window_ms {
                entry.1 = entry.1.saturating_sub(1);
            }
        }
    }

    /// A refusal: counted, and how long until the window ends.
    fn refuse(&self, start: i64, now: i64) -> RetryAfter {
        self.note_refusal();
        let ms = (start + self.window_ms - now).max(1000);
        RetryAfter(((ms + 999) / 1000) as u64)
    }

    fn shrink(&self, windows: &mut HashMap<String, (i64, u32)>, now: i64) {
        windows.retain(|_, (start, _)| now - *start < self.window_ms);
        if windows.len() >= MAX_KEYS {
            let mut starts: Vec<i64> = windows.values().map(|(s, _)| *s).collect();
            starts.sort_unstable();
            let cutoff = starts[starts.len() / 2];
            windows.retain(|_, (start, _)| *start > cutoff);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn limits_within_a_window_and_resets_after() {
        let clock = Arc::new(ManualClock::new(0));
        let rl = RateLimiter::new(2, 60_000, clock.clone());
        assert!(rl.hit("a").is_ok());
        assert!(rl.hit("a").is_ok());
        assert_eq!(rl.check("a"), Err(RetryAfter(60)));
        clock.advance(15_000);
        assert_eq!(rl.hit("a"), Err(RetryAfter(45)));
        assert!(rl.hit("b").is_ok(), "keys are independent");
        clock.advance(45_000);
        assert!(rl.check("a").is_ok());
        assert!(rl.hit("a").is_ok());
    }

    #[test]
    fn a_refund_gives_back_one_use_of_the_current_window() {
        let clock = Arc::new(ManualClock::new(0));
        let rl = RateLimiter::new(1, 60_000, clock.clone());
        assert!(rl.hit("a").is_ok());
        rl.refund("a");
        assert!(rl.hit("a").is_ok(), "the refunded use is free again");
        assert!(rl.hit("a").is_err());
        rl.refund("nobody");
        assert!(rl.check("nobody").is_ok());
    }

    #[test]
    fn memory_stays_bounded() {
        let clock = Arc::new(ManualClock::new(0));
        let rl = RateLimiter::new(1, 60_000, clock.clone());
        for i in 0..(MAX_KEYS + 10) {
            if i % 1000 == 0 {
                clock.advance(1);
            }
            let _ = rl.hit(&i.to_string());
        }
        assert!(rl.windows.lock().unwrap().len() <= MAX_KEYS);
    }
}

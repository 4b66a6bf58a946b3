//! The flood brake: every request is counted against its client's address before
//! anything else runs (no session lookup, no body, no route), so a client that loops
//! on cheap requests cannot take the cores that serve messages.
//!
//! Each address may make `--requests-per-address` requests a second on average, in
//! bursts of ten seconds' worth (a generic cell rate algorithm: one timestamp per
//! address). Beyond that the answer is `429 too_many_requests`, given only after
//! [`HOLD`]: a client that retries at once, as a flooding loop does, then costs one
//! held timer a second instead of thousands of answers. Holds per address are
//! bounded too ([`HOLDS_PER_ADDRESS`]); beyond them the answer comes at once.
//!
//! Written by hand rather than with `governor`: its keyed store grows with every
//! address it sees until swept, and this one must stay bounded under a spray of
//! addresses (IPv6 gives each client a /64 of them, so that is the unit here).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::extract::ClientIp;
use super::ws::SocketCounts;
use super::{ApiError, AppState};

/// How long an answer over the rate is held before it is given.
pub const HOLD: Duration = Duration::from_secs(1);

/// Answers held at once per address; beyond, they are given at once. HTTP/1.1 holds
/// one request per connection, so without a proxy `--connections-per-address` bounds
/// this first; behind one, this does.
pub const HOLDS_PER_ADDRESS: usize = 1024;

/// Seconds of the average rate a burst may use up.
const BURST_SECS: u32 = 10;

/// Addresses tracked at once; beyond this, those back at a full allowance are
/// forgotten, and if that is not enough, all are (see [`Brake::shrink`]).
const MAX_ADDRESSES: usize = 100_000;

pub struct Brake {
    per_second: u32,
    /// Time between two requests at the average rate.
    interval: Duration,
    /// How far ahead of now an address's schedule may run (the burst).
    tolerance: Duration,
    /// When each address's next request would be on schedule.
    schedule: Mutex<HashMap<IpAddr, Instant>>,
    holds: Arc<SocketCounts>,
}

impl Brake {
    pub fn new(per_second: u32) -> Self {
        let per_second = per_second.max(1);
        let interval = Duration::from_secs(1) / per_second;
        Brake {
            per_second,
            interval,
            tolerance: interval * (per_second * BURST_SECS - 1),
            schedule: Mutex::new(HashMap::new()),
            holds: SocketCounts::new(HOLDS_PER_ADDRESS),
        }
    }

    pub fn per_second(&self) -> u32 {
        self.per_second
    }

    /// Counts one request from `address`; false when it is over the rate (and then
    /// it is not counted, so a client held back regains its allowance on time).
    pub fn admit(&self, address: IpAddr, now: Instant) -> bool {
        let mut schedule = self.schedule.lock().expect("brake lock");
        if schedule.len() >= MAX_ADDRESSES && !schedule.contains_key(&address) {
            Self::shrink(&mut schedule, now);
        }
        let due = schedule.get(&address).map_or(now, |&t| t.max(now));
        if due.duration_since(now) > self.tolerance {
            return false;
        }
        schedule.insert(address, due + self.interval);
        true
    }

    /// Forgets addresses whose schedule is in the past (they are back at a full
    /// allowance, as if never seen); if every address is mid-burst, forgets them
    /// all, which only ever gives allowance back.
    fn shrink(schedule: &mut HashMap<IpAddr, Instant>, now: Instant) {
        schedule.retain(|_, due| *due > now);
        if schedule.len() >= MAX_ADDRESSES {
            schedule.clear();
        }
    }

    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.schedule.lock().map(|s| s.len()).unwrap_or(0)
    }
}

/// The unit one client is counted by: an IPv4 address, or an IPv6 /64 (the least a
/// network hands one subscriber).
pub fn unit(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// The middleware: admits the request, or holds and refuses it.
pub async fn brake(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    req: Request,
    next: Next,
) -> Response {
    // An address that does not parse (a proxy's odd header) is counted as one client.
    let address = unit(ip.parse().unwrap_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED)));
    if state.brake.admit(address, Instant::now()) {
        return next.run(req).await;
    }
    state
        .services
        .metrics
        .refused(crate::metrics::Refused::Requests);
    if let Some(_held) = state.brake.holds.take(address.to_string()) {
        tokio::time::sleep(HOLD).await;
    }
    too_many_requests(state.brake.per_second()).into_response()
}

fn too_many_requests(per_second: u32) -> ApiError {
    ApiError {
        retry_after: Some(HOLD.as_secs().max(1)),
        ..ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            format!(
                "At most {per_second} requests a second may come from one address; slow down and try again."
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_ten_seconds_then_the_average_rate() {
        let brake = Brake::new(10);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let t0 = Instant::now();
        let admitted = (0..150).filter(|_| brake.admit(a, t0)).count();
        assert_eq!(admitted, 100, "a burst is ten seconds' worth");
        assert!(!brake.admit(a, t0 + Duration::from_millis(50)));
        assert!(
            brake.admit(a, t0 + Duration::from_millis(100)),
            "one more per interval"
        );
        assert!(!brake.admit(a, t0 + Duration::from_millis(100)));
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        assert!(brake.admit(other, t0), "addresses are independent");
        let later = t0 + Duration::from_secs(11);
        assert_eq!((0..150).filter(|_| brake.admit(a, later)).count(), 100);
    }

    #[test]
    fn ipv6_is_counted_by_its_slash_64() {
        let a = unit("2001:db8:1:2:aaaa::1".parse().unwrap());
        let b = unit("2001:db8:1:2:bbbb::2".parse().unwrap());
        let c = unit("2001:db8:1:3::1".parse().unwrap());
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(
            unit("::ffff:192.0.2.7".parse().unwrap()),
            unit("192.0.2.7".parse().unwrap())
        );
    }

    #[test]
    fn memory_stays_bounded_under_a_spray_of_addresses() {
        let brake = Brake::new(1);
        let t0 = Instant::now();
        for i in 0..(MAX_ADDRESSES + 10) {
            brake.admit(IpAddr::V4(u32::try_from(i).unwrap().into()), t0);
        }
        assert!(brake.tracked() <= MAX_ADDRESSES);
    }
}

//! The targets of the benchmark issue, checked against a run (and, given the peer's
//! run, the ratios to it), and the table that lists them.

use std::fmt::Write;

use super::fanout::{best_fanout, peak_fanout};
use super::format::{num, opt};
use super::Report;

/// One target line: what it asks, what was measured, whether it holds.
pub(super) struct Check {
    what: &'static str,
    measured: String,
    met: bool,
}

impl Report {
    /// The targets of the benchmark issue, checked against this run (and the peer's).
    pub(super) fn checks(&self, peer: Option<&Report>) -> Vec<Check> {
        let mut out = Vec::new();
        self.latency_checks(&mut out);
        if let Some(best) = best_fanout(self) {
            out.push(Check {
                what: "fan-out deliveries/s ≥ 300,000",
                measured: num(best),
                met: best >= 300_000.0,
            });
        }
        self.idle_check(&mut out);
        self.reconnect_check(&mut out);
        if let Some(p) = peer {
            self.peer_checks(p, &mut out);
        }
        out
    }

    /// True when every target this run measured holds.
    pub fn all_met(&self, peer: Option<&Report>) -> bool {
        self.checks(peer).iter().all(|c| c.met)
    }

    fn latency_checks(&self, out: &mut Vec<Check>) {
        let Some(l) = &self.latency else {
            return;
        };
        out.push(Check {
            what: "durable 1:1 messages/s ≥ 50,000",
            measured: num(l.max_acked_per_sec),
            met: l.max_acked_per_sec >= 50_000.0,
        });
        let p99 = l.p99_at(20_000);
        out.push(Check {
            what: "p99 at 20,000/s ≤ 50 ms",
            measured: opt(p99.map(|v| format!("{v:.1} ms"))),
            met: p99.is_some_and(|v| v <= 50.0),
        });
    }

    fn idle_check(&self, out: &mut Vec<Check>) {
        let Some(i) = &self.idle else {
            return;
        };
        let b = i.bytes_per_connection;
        out.push(Check {
            what: "memory per idle connection ≤ 8 KiB (19,000 open)",
            measured: opt(b.map(|b| {
                format!(
                    "{:.1} KiB at {}",
                    b as f64 / 1024.0,
                    num(i.connections as f64)
                )
            })),
            met: b.is_some_and(|b| b <= 8 * 1024) && i.connections >= 19_000,
        });
    }

    fn reconnect_check(&self, out: &mut Vec<Check>) {
        let Some(r) = &self.reconnect else {
            return;
        };
        out.push(Check {
            what: "10,000 reconnect: caught up < 5 s, nothing lost",
            measured: format!(
                "{} clients, {} s, {} lost",
                num(r.clients as f64),
                opt(r.catch_up_secs.map(|s| format!("{s:.2}"))),
                num(r.lost as f64)
            ),
            met: r.clients >= 10_000 && r.lost == 0 && r.catch_up_secs.is_some_and(|s| s < 5.0),
        });
    }

    /// Throughput per core against the peer's (both servers run on one core).
    fn peer_checks(&self, p: &Report, out: &mut Vec<Check>) {
        if let (Some(a), Some(b)) = (&self.latency, &p.latency) {
            let ratio = a.max_acked_per_sec / b.max_acked_per_sec.max(1.0);
            out.push(Check {
                what: "1:1 throughput per core ≥ 3× peer",
                measured: format!("{ratio:.2}×"),
                met: ratio >= 3.0,
            });
        }
        if let (Some(a), Some(b)) = (peak_fanout(self), peak_fanout(p)) {
            let ratio = a / b.max(1.0);
            out.push(Check {
                what: "fan-out per core ≥ 3× peer",
                measured: format!("{ratio:.2}×"),
                met: ratio >= 3.0,
            });
        }
    }
}

/// The targets table, if the run measured any.
pub(super) fn write_table(s: &mut String, checks: &[Check]) {
    if checks.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "\nTargets:\n\n| target | measured | met |\n|---|---:|:---:|"
    );
    for c in checks {
        let _ = writeln!(
            s,
            "| {} | {} | {} |",
            c.what,
            c.measured,
            if c.met { "yes" } else { "**no**" }
        );
    }
}

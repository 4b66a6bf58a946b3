//! The targets of the benchmark issue, checked against a run (and, given the peer's
//! run, the ratios to it), and the table that lists them.

use std::fmt::Write;

use super::fanout::{best_step, largest_group_best};
use super::format::{num, opt};
use super::Report;
use crate::bench::Peer;

/// One target line: what it asks, what was measured, whether it holds.
pub(super) struct Check {
    what: &'static str,
    measured: String,
    met: bool,
}

impl Report {
    /// The targets of the benchmark issue, checked against this run (and the peers').
    pub(super) fn checks(&self, peers: &[Report]) -> Vec<Check> {
        let mut out = Vec::new();
        self.latency_checks(&mut out);
        self.idle_check(&mut out);
        self.reconnect_check(&mut out);
        let relay = peers.iter().find(|p| p.system() == Peer::Socketio);
        let synapse = peers.iter().find(|p| p.system() == Peer::Synapse);
        if let Some(p) = relay {
            self.headline_ratio(p, 1.5, "1:1 at p99 ≤ 50 ms ≥ 1.5× the relay", &mut out);
            self.fanout_ratio(p, &mut out);
        }
        if let Some(p) = synapse {
            self.headline_ratio(p, 300.0, "1:1 at p99 ≤ 50 ms ≥ 300× Synapse", &mut out);
        }
        out
    }

    /// True when every target this run measured holds.
    pub fn all_met(&self, peers: &[Report]) -> bool {
        self.checks(peers).iter().all(|c| c.met)
    }

    fn latency_checks(&self, out: &mut Vec<Check>) {
        let Some(l) = &self.latency else {
            return;
        };
        let p99 = l.at(1_000).map(|s| s.p99_ms);
        out.push(Check {
            what: "p99 at 1,000/s ≤ 10 ms",
            measured: opt(p99.map(|v| format!("{v:.1} ms"))),
            met: p99.is_some_and(|v| v <= 10.0),
        });
    }

    /// This run's headline against a peer's, both by the same rule, in one run.
    fn headline_ratio(&self, p: &Report, at_least: f64, what: &'static str, out: &mut Vec<Check>) {
        let best = |r: &Report| r.latency.as_ref().and_then(|l| l.best_rate_within_p99);
        let sustained = |r: &Report| r.latency.as_ref().and_then(|l| l.sustained_rate);
        if let (Some(ours), None, Some(theirs)) = (best(self), best(p), sustained(p)) {
            // The peer passes the p99 limit at no rate: ours at the limit against
            // what it sustains at any latency (generous to the peer).
            let ratio = f64::from(ours) / f64::from(theirs.max(1));
            out.push(Check {
                what,
                measured: format!(
                    "{ratio:.0}× ({} vs {} at any latency: no rate of the peer's has p99 ≤ 50 ms)",
                    num(f64::from(ours)),
                    num(f64::from(theirs))
                ),
                met: ratio >= at_least,
            });
            return;
        }
        let (Some(ours), Some(theirs)) = (best(self), best(p)) else {
            if self.latency.is_some() && p.latency.is_some() {
                out.push(Check {
                    what,
                    measured: "no passing rate on one side".into(),
                    met: false,
                });
            }
            return;
        };
        let ratio = f64::from(ours) / f64::from(theirs.max(1));
        out.push(Check {
            what,
            measured: format!(
                "{ratio:.2}× ({} vs {})",
                num(f64::from(ours)),
                num(f64::from(theirs))
            ),
            met: ratio >= at_least,
        });
    }

    /// The largest group's headline against the relay's for the same group.
    fn fanout_ratio(&self, p: &Report, out: &mut Vec<Check>) {
        let Some((members, ours)) = largest_group_best(self) else {
            if !self.fanout.is_empty() {
                out.push(Check {
                    what: "fan-out to the largest group ≥ 5× the relay",
                    measured: "no passing step".into(),
                    met: false,
                });
            }
            return;
        };
        let theirs = best_step(p, members).map_or(0.0, |f| f.deliveries_per_sec);
        let ratio = ours / theirs.max(1.0);
        out.push(Check {
            what: "fan-out to the largest group ≥ 5× the relay",
            measured: format!(
                "{ratio:.2}× at {members} members ({} vs {})",
                num(ours),
                num(theirs)
            ),
            met: ratio >= 5.0,
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

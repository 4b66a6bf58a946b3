//! Results: the JSON the generator writes, and the table it prints (Markdown, so the
//! README can carry it as printed), with the targets and, given the peer's JSON,
//! the ratios.
//!
//! This module holds what a run measured (the JSON's shape) and lays the tables out
//! in order: the summary beside the peer's ([`comparison`]), each ladder step by step
//! ([`ladders`]) and the targets ([`targets`]); [`format`] writes the numbers.

pub mod chart;
mod comparison;
mod fanout;
mod format;
mod ladders;
mod targets;

use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
pub struct Report {
    pub target: String,
    pub url: String,
    pub machine: Machine,
    pub finished_at_unix: u64,
    /// The machine while the run ran (absent in runs saved before it was recorded).
    #[serde(default)]
    pub host: Option<Host>,
    pub idle: Option<Idle>,
    pub latency: Option<Latency>,
    pub fanout: Vec<Fanout>,
    pub reconnect: Option<Reconnect>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    pub kernel: String,
    /// CPUs the generator itself may run on (the bench script pins it).
    pub generator_cpus: String,
}

impl Machine {
    pub fn here() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split(':').nth(1))
            .map_or_else(|| "unknown".into(), |s| s.trim().to_owned());
        let cores = cpuinfo
            .lines()
            .filter(|l| l.starts_with("processor"))
            .count();
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .unwrap_or_default()
            .trim()
            .to_owned();
        let generator_cpus = std::fs::read_to_string("/proc/self/status")
            .unwrap_or_default()
            .lines()
            .find(|l| l.starts_with("Cpus_allowed_list:"))
            .and_then(|l| l.split(':').nth(1))
            .map_or_else(String::new, |s| s.trim().to_owned());
        Machine {
            cpu,
            cores,
            kernel,
            generator_cpus,
        }
    }
}

/// The machine over a whole run: the load average at its end and the share of CPU
/// time the hypervisor stole during it. This host is shared and noisy, so every
/// figure is read next to these (and ratios only within one run).
pub use crate::bench::soak::Host;

#[derive(Debug, Serialize, Deserialize)]
pub struct Idle {
    pub connections: usize,
    pub connect_secs: f64,
    pub rss_before: Option<u64>,
    pub rss_after: Option<u64>,
    pub bytes_per_connection: Option<u64>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Step {
    pub offered_per_sec: u32,
    pub sent: u64,
    pub acked: u64,
    pub refused: u64,
    pub delivered: u64,
    pub lost: u64,
    /// Sockets the server cut off as too slow to read (see `fleet::Run::cut_off`).
    #[serde(default)]
    pub cut_off: u64,
    pub acked_per_sec: f64,
    pub delivered_per_sec: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
    pub ack_p99_ms: f64,
}

impl Step {
    /// The honest rule: the acked rate within 2% of the offer, nothing lost or
    /// refused, and p99 within the limit. Past that a user would call it overload.
    pub fn passed(&self) -> bool {
        self.kept_up() && self.p99_ms <= super::scenarios::P99_LIMIT_MS
    }

    /// The rule without its latency limit: what a server sustains at any latency.
    pub fn kept_up(&self) -> bool {
        self.lost == 0
            && self.refused == 0
            && self.acked_per_sec >= 0.98 * f64::from(self.offered_per_sec)
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Latency {
    pub pairs: usize,
    pub step_secs: f64,
    /// The bisection's steps, in the order they ran.
    pub steps: Vec<Step>,
    /// The fixed rates measured after the search (1,000/s, half the headline).
    #[serde(default)]
    pub fixed: Vec<Step>,
    /// The headline: the highest offered rate that passed [`Step::passed`].
    pub best_rate_within_p99: Option<u32>,
    /// Half the headline (or, with none, of the sustained rate), measured on its own.
    #[serde(default)]
    pub half_rate: Option<u32>,
    /// The highest rate kept up with at any latency ([`Step::kept_up`]): found by a
    /// second bisection when no rate passed the p99 limit (Synapse's case).
    #[serde(default)]
    pub sustained_rate: Option<u32>,
    /// The most acknowledged (committed) messages per second of any lossless step,
    /// whatever its latency (the old headline, kept for comparison).
    pub max_acked_per_sec: f64,
}

impl Latency {
    pub fn from_steps(
        pairs: usize,
        step_secs: f64,
        steps: Vec<Step>,
        fixed: Vec<Step>,
        best: Option<u32>,
        sustained_rate: Option<u32>,
        half_rate: Option<u32>,
    ) -> Latency {
        Latency {
            pairs,
            step_secs,
            best_rate_within_p99: best,
            sustained_rate,
            half_rate,
            max_acked_per_sec: steps
                .iter()
                .chain(&fixed)
                .filter(|s| s.lost == 0 && s.refused == 0)
                .map(|s| s.acked_per_sec)
                .fold(0.0, f64::max),
            steps,
            fixed,
        }
    }

    /// The fixed-rate step at `rate`, if one ran.
    pub fn at(&self, rate: u32) -> Option<&Step> {
        self.fixed.iter().rev().find(|s| s.offered_per_sec == rate)
    }

    /// Every step (search and fixed), by offered rate: the latency curve.
    pub fn curve(&self) -> Vec<&Step> {
        let mut all: Vec<&Step> = self.steps.iter().chain(&self.fixed).collect();
        all.sort_by_key(|s| s.offered_per_sec);
        all
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Fanout {
    pub members: usize,
    pub messages: u64,
    pub offered_deliveries_per_sec: f64,
    pub delivered: u64,
    pub lost: u64,
    /// Sockets the server cut off as too slow to read (see `fleet::Run::cut_off`).
    #[serde(default)]
    pub cut_off: u64,
    pub refused: u64,
    pub deliveries_per_sec: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    #[serde(default)]
    pub p999_ms: f64,
}

impl Fanout {
    /// The same rule as 1:1 ([`Step::passed`]), on deliveries.
    pub fn passed(&self) -> bool {
        self.kept_up() && self.p99_ms <= super::scenarios::P99_LIMIT_MS
    }

    /// The rule without its latency limit.
    pub fn kept_up(&self) -> bool {
        self.lost == 0
            && self.refused == 0
            && self.deliveries_per_sec >= 0.98 * self.offered_deliveries_per_sec
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Reconnect {
    pub clients: usize,
    pub missed_each: usize,
    pub reconnect_secs: f64,
    /// From the first reconnect to the last missed message delivered; `None` if
    /// something never arrived.
    pub catch_up_secs: Option<f64>,
    pub delivered: u64,
    pub lost: u64,
}

impl Report {
    /// The whole result as Markdown tables.
    pub fn table(&self, peers: &[Report]) -> String {
        let mut s = String::new();
        comparison::write(&mut s, self, peers);
        ladders::write_latency(&mut s, self);
        ladders::write_fanout(&mut s, self);
        targets::write_table(&mut s, &self.checks(peers));
        s
    }

    /// Which system the run measured, from its target's name.
    pub fn system(&self) -> crate::bench::Peer {
        use crate::bench::Peer;
        if self.target.starts_with("Socket.IO") {
            Peer::Socketio
        } else if self.target.contains("Synapse") {
            Peer::Synapse
        } else {
            Peer::Messgo
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(rate: u32, acked: f64, p99: f64, lost: u64) -> Step {
        Step {
            offered_per_sec: rate,
            sent: 1,
            acked: 1,
            refused: 0,
            delivered: 1,
            lost,
            cut_off: 0,
            acked_per_sec: acked,
            delivered_per_sec: acked,
            p50_ms: 1.0,
            p99_ms: p99,
            p999_ms: p99,
            max_ms: p99,
            ack_p99_ms: p99,
        }
    }

    #[test]
    fn a_step_passes_only_on_time_complete_and_keeping_up() {
        assert!(step(10_000, 9_900.0, 49.0, 0).passed());
        assert!(!step(10_000, 9_700.0, 3.0, 0).passed(), "acked 3% behind");
        assert!(!step(10_000, 10_000.0, 51.0, 0).passed(), "p99 over 50 ms");
        assert!(!step(10_000, 10_000.0, 3.0, 1).passed(), "one lost");
    }

    #[test]
    fn the_curve_holds_search_and_fixed_steps_by_rate() {
        let l = Latency::from_steps(
            10,
            1.0,
            vec![
                step(40_000, 30_000.0, 900.0, 0),
                step(20_000, 19_900.0, 40.0, 0),
                step(80_000, 35_000.0, 2000.0, 5),
            ],
            vec![step(1_000, 1_000.0, 2.0, 0), step(10_000, 10_000.0, 3.0, 0)],
            Some(20_000),
            Some(20_000),
            Some(10_000),
        );
        let rates: Vec<u32> = l.curve().iter().map(|s| s.offered_per_sec).collect();
        assert_eq!(rates, [1_000, 10_000, 20_000, 40_000, 80_000]);
        assert_eq!(l.at(1_000).unwrap().p99_ms, 2.0);
        assert_eq!(l.max_acked_per_sec, 30_000.0, "lossy steps do not count");
    }

    #[test]
    fn a_report_written_before_the_cut_off_count_reads_as_none_cut_off() {
        let old: Fanout = serde_json::from_value(serde_json::json!({
            "members": 10, "messages": 1, "offered_deliveries_per_sec": 1.0, "delivered": 1,
            "lost": 0, "refused": 0, "deliveries_per_sec": 1.0, "p50_ms": 1.0, "p99_ms": 1.0
        }))
        .expect("a report written before the count reads as none cut off");
        assert_eq!(old.cut_off, 0);
    }
}

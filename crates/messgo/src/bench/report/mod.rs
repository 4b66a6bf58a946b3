//! Results: the JSON the generator writes, and the table it prints (Markdown, so the
//! README can carry it as printed), with the targets and, given the peer's JSON,
//! the ratios.
//!
//! This module holds what a run measured (the JSON's shape) and lays the tables out
//! in order: the summary beside the peer's ([`comparison`]), each ladder step by step
//! ([`ladders`]) and the targets ([`targets`]); [`format`] writes the numbers.

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

#[derive(Debug, Serialize, Deserialize)]
pub struct Latency {
    pub pairs: usize,
    pub step_secs: f64,
    pub steps: Vec<Step>,
    /// The highest offered rate whose p99 stayed within the limit with nothing lost.
    pub best_rate_within_p99: Option<u32>,
    /// The most acknowledged (committed) messages per second of any lossless step.
    pub max_acked_per_sec: f64,
}

impl Latency {
    pub fn from_steps(pairs: usize, step_secs: f64, steps: Vec<Step>) -> Latency {
        let clean = |s: &&Step| s.lost == 0 && s.refused == 0;
        Latency {
            pairs,
            step_secs,
            best_rate_within_p99: steps
                .iter()
                .filter(clean)
                .filter(|s| s.p99_ms <= super::scenarios::P99_LIMIT_MS)
                .map(|s| s.offered_per_sec)
                .max(),
            max_acked_per_sec: steps
                .iter()
                .filter(clean)
                .map(|s| s.acked_per_sec)
                .fold(0.0, f64::max),
            steps,
        }
    }

    fn p99_at(&self, rate: u32) -> Option<f64> {
        self.steps
            .iter()
            .find(|s| s.offered_per_sec == rate)
            .map(|s| s.p99_ms)
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
    pub fn table(&self, peer: Option<&Report>) -> String {
        let mut s = String::new();
        comparison::write(&mut s, self, peer);
        ladders::write_latency(&mut s, self);
        ladders::write_fanout(&mut s, self);
        targets::write_table(&mut s, &self.checks(peer));
        s
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
    fn the_ladder_summary_ignores_lossy_and_slow_steps() {
        let l = Latency::from_steps(
            10,
            1.0,
            vec![
                step(10_000, 10_000.0, 3.0, 0),
                step(20_000, 19_000.0, 40.0, 0),
                step(40_000, 30_000.0, 900.0, 0),
                step(80_000, 35_000.0, 2000.0, 5),
            ],
        );
        assert_eq!(l.best_rate_within_p99, Some(20_000));
        assert_eq!(l.max_acked_per_sec, 30_000.0);
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

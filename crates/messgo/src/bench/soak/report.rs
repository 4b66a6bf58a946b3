//! What a soak measured (the JSON `--json` writes) and the Markdown it prints.

use std::collections::BTreeMap;

use serde::Serialize;

use super::args::SoakArgs;
use super::server::{status_bytes, Host, Server};
use crate::bench::report::{Machine, Step};

/// Server memory must stay under this with every kind attacking.
pub const RSS_LIMIT_BYTES: u64 = 256 * 1024 * 1024;
/// Honest p99 under attack may be at most this many times the quiet run's.
pub const P99_RATIO_LIMIT: f64 = 2.0;

const MIB: f64 = 1024.0 * 1024.0;

/// One honest run: its latency step, the server's largest RSS sample during it,
/// and the machine.
#[derive(Serialize)]
pub struct Phase {
    pub honest: Step,
    pub peak_rss_bytes: u64,
    pub host: Host,
}

impl Phase {
    pub fn new(honest: Step, peak_rss_bytes: u64, host: Host) -> Phase {
        Phase {
            honest,
            peak_rss_bytes,
            host,
        }
    }
}

#[derive(Serialize)]
pub struct SoakReport {
    pub machine: Machine,
    pub hostile_per_kind: usize,
    pub kinds: Vec<String>,
    pub stall_timeout_secs: u64,
    pub honest_pairs: usize,
    pub honest_rate: u32,
    pub honest_secs: f64,
    pub quiet: Phase,
    pub attacked: Phase,
    /// The server's VmHWM at the end: the most it ever held, setup included.
    pub peak_rss_bytes: u64,
    /// (seconds since the server started, VmRSS bytes), every 250 ms.
    pub rss: Vec<(f64, u64)>,
    /// Per kind, what became of each attempt.
    pub outcomes: BTreeMap<String, BTreeMap<String, u64>>,
}

impl SoakReport {
    pub fn new(
        args: &SoakArgs,
        server: &Server,
        quiet: Phase,
        attacked: Phase,
        outcomes: BTreeMap<String, BTreeMap<String, u64>>,
        rss: Vec<(f64, u64)>,
    ) -> SoakReport {
        SoakReport {
            machine: Machine::here(),
            hostile_per_kind: args.hostile,
            kinds: args.kinds.iter().map(ToString::to_string).collect(),
            stall_timeout_secs: args.stall_timeout,
            honest_pairs: args.pairs,
            honest_rate: args.rate,
            honest_secs: args.secs,
            quiet,
            attacked,
            peak_rss_bytes: status_bytes(server.pid, "VmHWM:").unwrap_or(0),
            rss,
            outcomes,
        }
    }

    pub fn p99_ratio(&self) -> f64 {
        self.attacked.honest.p99_ms / self.quiet.honest.p99_ms.max(f64::MIN_POSITIVE)
    }

    /// Both targets, and no honest message lost.
    pub fn met(&self) -> bool {
        self.peak_rss_bytes < RSS_LIMIT_BYTES
            && self.p99_ratio() <= P99_RATIO_LIMIT
            && self.attacked.honest.lost == 0
    }

    pub fn table(&self) -> String {
        let (q, a) = (&self.quiet, &self.attacked);
        let mut out = format!(
            "Soak: {} hostile clients of each kind ({}) at once, --stall-timeout {} s; \
             honest: {} pairs, {} msg/s, {} s a run\n\n",
            self.hostile_per_kind,
            self.kinds.join(", "),
            self.stall_timeout_secs,
            self.honest_pairs,
            self.honest_rate,
            self.honest_secs
        );
        out += "| | quiet | under attack | target |\n|---|---|---|---|\n";
        let row =
            |name: &str, q: String, a: String, t: &str| format!("| {name} | {q} | {a} | {t} |\n");
        out += &row(
            "honest p50 (ms)",
            f2(q.honest.p50_ms),
            f2(a.honest.p50_ms),
            "",
        );
        out += &row(
            "honest p99 (ms)",
            f2(q.honest.p99_ms),
            f2(a.honest.p99_ms),
            &format!("≤ {P99_RATIO_LIMIT}× quiet: {:.2}×", self.p99_ratio()),
        );
        out += &row(
            "honest sent / delivered / lost",
            format!(
                "{} / {} / {}",
                q.honest.sent, q.honest.delivered, q.honest.lost
            ),
            format!(
                "{} / {} / {}",
                a.honest.sent, a.honest.delivered, a.honest.lost
            ),
            "0 lost",
        );
        out += &row(
            "server peak RSS in the run (MiB)",
            mib(q.peak_rss_bytes),
            mib(a.peak_rss_bytes),
            "",
        );
        out += &row(
            "server VmHWM, whole soak (MiB)",
            String::new(),
            mib(self.peak_rss_bytes),
            &format!("< {}", mib(RSS_LIMIT_BYTES)),
        );
        out += &row(
            "load average 1 min",
            f2(q.host.load_1m),
            f2(a.host.load_1m),
            "",
        );
        out += &row("CPU busy / steal (%)", host(&q.host), host(&a.host), "");
        out += &format!(
            "\nTargets {}.\n\n| kind | outcome | attempts |\n|---|---|---|\n",
            if self.met() { "met" } else { "MISSED" }
        );
        for (kind, outcomes) in &self.outcomes {
            for (outcome, n) in outcomes {
                out += &format!("| {kind} | {outcome} | {n} |\n");
            }
        }
        out += &format!("\nServer RSS (MiB) every ~5 s: {}\n", self.rss_line());
        out
    }

    fn rss_line(&self) -> String {
        self.rss
            .iter()
            .step_by(20)
            .map(|&(t, b)| format!("{t:.0}s {:.0}", b as f64 / MIB))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn f2(v: f64) -> String {
    format!("{v:.2}")
}

fn mib(b: u64) -> String {
    format!("{:.1}", b as f64 / MIB)
}

fn host(h: &Host) -> String {
    format!("{:.0} / {:.1}", h.busy_percent, h.steal_percent)
}

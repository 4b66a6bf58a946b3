//! Results: the JSON the generator writes, and the table it prints (Markdown, so the
//! README can carry it as printed), with the targets and, given the peer's JSON,
//! the ratios.

use std::fmt::Write;

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

/// Losses as the tables show them, with what explains them: sends the server refused
/// (`busy`: a socket may have 256 sends awaiting their commit) and sockets it cut off
/// for reading too slowly. Both are the server pushing back, which a real client
/// answers by retrying or resuming; the generator does neither.
fn lost(lost: u64, refused: u64, cut_off: u64) -> String {
    let why = pushback(refused, cut_off);
    if why.is_empty() {
        num(lost as f64)
    } else {
        format!("{} ({})", num(lost as f64), why.join(", "))
    }
}

fn pushback(refused: u64, cut_off: u64) -> Vec<String> {
    let mut why = Vec::new();
    if refused > 0 {
        why.push(format!("{} sends refused", num(refused as f64)));
    }
    match cut_off {
        0 => {}
        1 => why.push("1 socket cut off as too slow".into()),
        n => why.push(format!("{n} sockets cut off as too slow")),
    }
    why
}

/// The group sizes measured, in the order they ran.
fn group_sizes(r: &Report) -> Vec<usize> {
    let mut sizes: Vec<usize> = r.fanout.iter().map(|f| f.members).collect();
    sizes.dedup();
    sizes
}

/// A group's best step: the fastest that lost nothing, else the fastest.
fn best_step(r: &Report, members: usize) -> Option<&Fanout> {
    let steps = || r.fanout.iter().filter(move |f| f.members == members);
    let fastest = |a: &&Fanout, b: &&Fanout| a.deliveries_per_sec.total_cmp(&b.deliveries_per_sec);
    steps()
        .filter(|f| f.lost == 0)
        .max_by(fastest)
        .or_else(|| steps().max_by(fastest))
}

/// The most deliveries per second of a fan-out that lost nothing (the target).
fn best_fanout(r: &Report) -> Option<f64> {
    r.fanout
        .iter()
        .filter(|f| f.lost == 0)
        .map(|f| f.deliveries_per_sec)
        .reduce(f64::max)
}

/// The most deliveries per second of any fan-out, late ones included: what a
/// server pushes out per core, for the comparison with the peer.
fn peak_fanout(r: &Report) -> Option<f64> {
    r.fanout
        .iter()
        .map(|f| f.deliveries_per_sec)
        .reduce(f64::max)
}

fn num(v: f64) -> String {
    let v = v.round() as i64;
    let s = v.abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if v < 0 {
        format!("-{out}")
    } else {
        out
    }
}

fn opt(v: Option<String>) -> String {
    v.unwrap_or_else(|| "–".into())
}

/// One target line: what it asks, what was measured, whether it holds.
struct Check {
    what: &'static str,
    measured: String,
    met: bool,
}

impl Report {
    /// The targets of the benchmark issue, checked against this run (and the peer's).
    fn checks(&self, peer: Option<&Report>) -> Vec<Check> {
        let mut out = Vec::new();
        if let Some(l) = &self.latency {
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
        if let Some(best) = best_fanout(self) {
            out.push(Check {
                what: "fan-out deliveries/s ≥ 300,000",
                measured: num(best),
                met: best >= 300_000.0,
            });
        }
        if let Some(i) = &self.idle {
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
        if let Some(r) = &self.reconnect {
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
        if let Some(p) = peer {
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
        out
    }

    /// True when every target this run measured holds.
    pub fn all_met(&self, peer: Option<&Report>) -> bool {
        self.checks(peer).iter().all(|c| c.met)
    }

    /// The whole result as Markdown tables.
    pub fn table(&self, peer: Option<&Report>) -> String {
        let mut s = String::new();
        let names = match peer {
            Some(p) => format!("| | {} | {} |\n|---|---:|---:|", self.target, p.target),
            None => format!("| | {} |\n|---|---:|", self.target),
        };
        let row = |s: &mut String, label: &str, f: &dyn Fn(&Report) -> String| {
            let _ = match peer {
                Some(p) => writeln!(s, "| {label} | {} | {} |", f(self), f(p)),
                None => writeln!(s, "| {label} | {} |", f(self)),
            };
        };
        let _ = writeln!(
            s,
            "Machine: {} ({} cores), Linux {}\n",
            self.machine.cpu, self.machine.cores, self.machine.kernel
        );
        let _ = writeln!(s, "{names}");
        row(&mut s, "durable 1:1 messages/s (acked)", &|r| {
            opt(r.latency.as_ref().map(|l| num(l.max_acked_per_sec)))
        });
        row(&mut s, "highest 1:1 rate with p99 ≤ 50 ms", &|r| {
            opt(r
                .latency
                .as_ref()
                .and_then(|l| l.best_rate_within_p99)
                .map(|v| format!("{}/s", num(v as f64))))
        });
        row(&mut s, "1:1 p50 / p99 at 20,000/s", &|r| {
            opt(r
                .latency
                .as_ref()
                .and_then(|l| l.steps.iter().find(|st| st.offered_per_sec == 20_000))
                .map(|st| format!("{:.1} / {:.1} ms", st.p50_ms, st.p99_ms)))
        });
        for members in group_sizes(self) {
            row(
                &mut s,
                &format!("fan-out to {members} members: deliveries/s (p99)"),
                &|r| {
                    opt(best_step(r, members).map(|f| {
                        let lost = if f.lost > 0 {
                            let mut what = vec![format!("{} lost", num(f.lost as f64))];
                            what.extend(pushback(f.refused, f.cut_off));
                            format!("; {}", what.join(", "))
                        } else {
                            String::new()
                        };
                        format!("{} ({:.0} ms{lost})", num(f.deliveries_per_sec), f.p99_ms)
                    }))
                },
            );
        }
        row(&mut s, "memory per idle connection", &|r| {
            opt(r.idle.as_ref().and_then(|i| {
                i.bytes_per_connection.map(|b| {
                    format!(
                        "{:.1} KiB ({} open)",
                        b as f64 / 1024.0,
                        num(i.connections as f64)
                    )
                })
            }))
        });
        row(&mut s, "reconnect storm: catch-up (lost)", &|r| {
            opt(r.reconnect.as_ref().map(|x| {
                format!(
                    "{} clients: {} ({} lost)",
                    num(x.clients as f64),
                    x.catch_up_secs
                        .map_or("never".into(), |t| format!("{t:.2} s")),
                    num(x.lost as f64)
                )
            }))
        });
        if let Some(l) = &self.latency {
            let _ = writeln!(
                s,
                "\n{} 1:1 ladder ({} pairs, {} s per step):\n",
                self.target, l.pairs, l.step_secs
            );
            let _ = writeln!(s, "| offered/s | acked/s | delivered/s | p50 | p99 | p99.9 | max | lost |\n|---:|---:|---:|---:|---:|---:|---:|---:|");
            for st in &l.steps {
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms | {} |",
                    num(st.offered_per_sec as f64),
                    num(st.acked_per_sec),
                    num(st.delivered_per_sec),
                    st.p50_ms,
                    st.p99_ms,
                    st.p999_ms,
                    st.max_ms,
                    lost(st.lost, st.refused, st.cut_off)
                );
            }
        }
        if !self.fanout.is_empty() {
            let _ = writeln!(
                s,
                "\n{} fan-out ladder (each group on the same sockets, step by step until one loses or falls behind):\n",
                self.target
            );
            let _ = writeln!(
                s,
                "| members | offered deliveries/s | delivered/s | p50 | p99 | lost |\n|---:|---:|---:|---:|---:|---:|"
            );
            for f in &self.fanout {
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {:.1} ms | {:.1} ms | {} |",
                    f.members,
                    num(f.offered_deliveries_per_sec),
                    num(f.deliveries_per_sec),
                    f.p50_ms,
                    f.p99_ms,
                    lost(f.lost, f.refused, f.cut_off)
                );
            }
        }
        let checks = self.checks(peer);
        if !checks.is_empty() {
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

    fn fan(members: usize, delivered: f64, lost: u64) -> Fanout {
        Fanout {
            members,
            messages: 1,
            offered_deliveries_per_sec: delivered,
            delivered: 1,
            lost,
            cut_off: 0,
            refused: 0,
            deliveries_per_sec: delivered,
            p50_ms: 1.0,
            p99_ms: 2.0,
        }
    }

    #[test]
    fn a_group_is_summed_up_by_its_fastest_clean_step() {
        let r = Report {
            fanout: vec![
                fan(100, 100.0, 0),
                fan(100, 300.0, 0),
                fan(100, 350.0, 7),
                fan(1000, 200.0, 4),
                fan(1000, 150.0, 9),
            ],
            target: "MessGo".into(),
            url: String::new(),
            machine: Machine {
                cpu: String::new(),
                cores: 2,
                kernel: String::new(),
                generator_cpus: String::new(),
            },
            finished_at_unix: 0,
            idle: None,
            latency: None,
            reconnect: None,
        };
        assert_eq!(group_sizes(&r), [100, 1000]);
        assert_eq!(best_step(&r, 100).unwrap().deliveries_per_sec, 300.0);
        assert_eq!(
            best_step(&r, 1000).unwrap().deliveries_per_sec,
            200.0,
            "with no clean step, the fastest, its losses shown"
        );
        assert_eq!(best_fanout(&r), Some(300.0));
    }

    #[test]
    fn losses_name_the_refusals_and_cut_offs_behind_them() {
        assert_eq!(lost(0, 0, 0), "0");
        assert_eq!(lost(1368, 0, 0), "1,368");
        assert_eq!(lost(1161, 129, 0), "1,161 (129 sends refused)");
        assert_eq!(lost(1368, 0, 1), "1,368 (1 socket cut off as too slow)");
        assert_eq!(
            lost(3000, 1200, 2),
            "3,000 (1,200 sends refused, 2 sockets cut off as too slow)"
        );
        let old: Fanout = serde_json::from_value(serde_json::json!({
            "members": 10, "messages": 1, "offered_deliveries_per_sec": 1.0, "delivered": 1,
            "lost": 0, "refused": 0, "deliveries_per_sec": 1.0, "p50_ms": 1.0, "p99_ms": 1.0
        }))
        .expect("a report written before the count reads as none cut off");
        assert_eq!(old.cut_off, 0);
    }

    #[test]
    fn numbers_are_grouped() {
        assert_eq!(num(1234567.4), "1,234,567");
        assert_eq!(num(999.0), "999");
        assert_eq!(num(1000.0), "1,000");
    }
}

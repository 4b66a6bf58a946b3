//! The summary table: the machine, then one row per result, this run's column and,
//! given the peer's run, the peer's beside it.

use std::fmt::Write;

use super::fanout::{best_step, group_sizes};
use super::format::{num, opt};
use super::Report;

/// The columns of the summary: this run's, then each peer's.
struct Columns<'a> {
    all: Vec<&'a Report>,
}

impl Columns<'_> {
    fn header(&self) -> String {
        let names: Vec<&str> = self.all.iter().map(|r| r.target.as_str()).collect();
        let rule = "---:|".repeat(names.len());
        format!("| | {} |\n|---|{rule}", names.join(" | "))
    }

    fn row(&self, s: &mut String, label: &str, cell: impl Fn(&Report) -> String) {
        let cells: Vec<String> = self.all.iter().map(|r| cell(r)).collect();
        let _ = writeln!(s, "| {label} | {} |", cells.join(" | "));
    }
}

/// The machine line and the summary table.
pub(super) fn write(s: &mut String, ours: &Report, peers: &[Report]) {
    let cols = Columns {
        all: std::iter::once(ours).chain(peers).collect(),
    };
    let _ = writeln!(
        s,
        "Machine: {} ({} cores), Linux {}\n",
        ours.machine.cpu, ours.machine.cores, ours.machine.kernel
    );
    let _ = writeln!(s, "{}", cols.header());
    cols.row(s, "**1:1 msgs/s at p99 ≤ 50 ms** (bisection)", best_rate);
    cols.row(s, "1:1 p50 / p99 / p99.9 at 1,000/s", |r| {
        at(r, Some(1_000))
    });
    cols.row(s, "1:1 p50 / p99 / p99.9 at half the headline", |r| {
        at(r, r.latency.as_ref().and_then(|l| l.half_rate))
    });
    cols.row(s, "1:1 msgs/s kept up with at any latency", sustained);
    cols.row(s, "most acked 1:1 msgs/s, any latency", acked);
    for members in group_sizes(ours) {
        let label = format!("fan-out to {members} members: deliveries/s at p99 ≤ 50 ms (p99)");
        cols.row(s, &label, |r| fanout(r, members));
    }
    cols.row(s, "memory per idle connection", idle);
    cols.row(s, "reconnect storm: catch-up (lost)", reconnect);
    cols.row(s, "load average (1 min) / CPU steal in the run", host);
}

fn host(r: &Report) -> String {
    opt(r
        .host
        .as_ref()
        .map(|h| format!("{:.2} / {:.1}%", h.load_1m, h.steal_percent)))
}

fn sustained(r: &Report) -> String {
    opt(r
        .latency
        .as_ref()
        .and_then(|l| l.sustained_rate)
        .map(|v| format!("{}/s", num(f64::from(v)))))
}

fn acked(r: &Report) -> String {
    opt(r.latency.as_ref().map(|l| num(l.max_acked_per_sec)))
}

fn best_rate(r: &Report) -> String {
    opt(r
        .latency
        .as_ref()
        .and_then(|l| l.best_rate_within_p99)
        .map(|v| format!("{}/s", num(f64::from(v)))))
}

fn at(r: &Report, rate: Option<u32>) -> String {
    opt(r.latency.as_ref().and_then(|l| {
        let rate = rate?;
        let st = l.at(rate)?;
        Some(format!(
            "{:.1} / {:.1} / {:.1} ms at {}/s{}",
            st.p50_ms,
            st.p99_ms,
            st.p999_ms,
            num(f64::from(rate)),
            if st.lost > 0 {
                format!(" ({} lost)", num(st.lost as f64))
            } else {
                String::new()
            }
        ))
    }))
}

/// A group's best passing step; a dash if none passed, or if the run left the
/// group out.
fn fanout(r: &Report, members: usize) -> String {
    if !r.fanout.iter().any(|f| f.members == members) {
        return opt(None);
    }
    if let Some(f) = best_step(r, members) {
        return format!("{} ({:.0} ms)", num(f.deliveries_per_sec), f.p99_ms);
    }
    // None passed: say what it kept up with at any latency, if anything.
    r.fanout
        .iter()
        .filter(|f| f.members == members && f.kept_up())
        .max_by(|a, b| a.deliveries_per_sec.total_cmp(&b.deliveries_per_sec))
        .map_or_else(
            || "none passed".into(),
            |f| {
                format!(
                    "none passed; kept up with {} at p99 {:.0} ms",
                    num(f.deliveries_per_sec),
                    f.p99_ms
                )
            },
        )
}

fn idle(r: &Report) -> String {
    opt(r.idle.as_ref().and_then(|i| {
        i.bytes_per_connection.map(|b| {
            format!(
                "{:.1} KiB ({} open)",
                b as f64 / 1024.0,
                num(i.connections as f64)
            )
        })
    }))
}

fn reconnect(r: &Report) -> String {
    opt(r.reconnect.as_ref().map(|x| {
        format!(
            "{} clients: {} ({} lost)",
            num(x.clients as f64),
            x.catch_up_secs
                .map_or("never".into(), |t| format!("{t:.2} s")),
            num(x.lost as f64)
        )
    }))
}

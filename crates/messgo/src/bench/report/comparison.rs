//! The summary table: the machine, then one row per result, this run's column and,
//! given the peer's run, the peer's beside it.

use std::fmt::Write;

use super::fanout::{best_step, group_sizes};
use super::format::{num, opt, pushback};
use super::Report;

/// The columns of the summary: this run's, and the peer's if given.
struct Columns<'a> {
    ours: &'a Report,
    peer: Option<&'a Report>,
}

impl Columns<'_> {
    fn header(&self) -> String {
        match self.peer {
            Some(p) => format!("| | {} | {} |\n|---|---:|---:|", self.ours.target, p.target),
            None => format!("| | {} |\n|---|---:|", self.ours.target),
        }
    }

    fn row(&self, s: &mut String, label: &str, cell: impl Fn(&Report) -> String) {
        let _ = match self.peer {
            Some(p) => writeln!(s, "| {label} | {} | {} |", cell(self.ours), cell(p)),
            None => writeln!(s, "| {label} | {} |", cell(self.ours)),
        };
    }
}

/// The machine line and the summary table.
pub(super) fn write(s: &mut String, ours: &Report, peer: Option<&Report>) {
    let cols = Columns { ours, peer };
    let _ = writeln!(
        s,
        "Machine: {} ({} cores), Linux {}\n",
        ours.machine.cpu, ours.machine.cores, ours.machine.kernel
    );
    let _ = writeln!(s, "{}", cols.header());
    cols.row(s, "durable 1:1 messages/s (acked)", acked);
    cols.row(s, "highest 1:1 rate with p99 ≤ 50 ms", best_rate);
    cols.row(s, "1:1 p50 / p99 at 20,000/s", at_20_000);
    for members in group_sizes(ours) {
        let label = format!("fan-out to {members} members: deliveries/s (p99)");
        cols.row(s, &label, |r| fanout(r, members));
    }
    cols.row(s, "memory per idle connection", idle);
    cols.row(s, "reconnect storm: catch-up (lost)", reconnect);
}

fn acked(r: &Report) -> String {
    opt(r.latency.as_ref().map(|l| num(l.max_acked_per_sec)))
}

fn best_rate(r: &Report) -> String {
    opt(r
        .latency
        .as_ref()
        .and_then(|l| l.best_rate_within_p99)
        .map(|v| format!("{}/s", num(v as f64))))
}

fn at_20_000(r: &Report) -> String {
    opt(r
        .latency
        .as_ref()
        .and_then(|l| l.steps.iter().find(|st| st.offered_per_sec == 20_000))
        .map(|st| format!("{:.1} / {:.1} ms", st.p50_ms, st.p99_ms)))
}

/// A group's best step, with its losses and what explains them if it lost any.
fn fanout(r: &Report, members: usize) -> String {
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

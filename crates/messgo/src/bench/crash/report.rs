//! What a crash soak measured (the JSON `--json` writes) and the Markdown it prints.

use std::fmt::Write;

use serde::Serialize;

use super::args::CrashArgs;
use super::check::Tally;
use super::people::People;
use super::torn::TornTrial;
use crate::bench::report::Machine;
use crate::bench::soak::Host;

#[derive(Clone, Debug, Serialize)]
pub struct KillTrial {
    /// Seconds from the load's start to the kill.
    pub kill_after_secs: f64,
    /// New messages sent.
    pub sent: u64,
    /// Unanswered messages sent again (same id, same bytes) at the trial's start.
    pub resent: u64,
    pub tally: Tally,
    /// From spawn to the listening line, recovery included.
    pub restart_ms: f64,
    /// The whole trial: load, kill, restart, read-back.
    pub secs: f64,
}

#[derive(Serialize)]
pub struct CrashReport {
    pub machine: Machine,
    pub chats: usize,
    pub senders: usize,
    pub rate: f64,
    pub kill_window_secs: (f64, f64),
    pub kill: Vec<KillTrial>,
    /// Everything read again from the start of every chat after the last trial:
    /// `acked` here is what was there after earlier crashes, `lost` what is gone since.
    pub final_check: Tally,
    pub torn: Vec<TornTrial>,
    pub host: Option<Host>,
}

impl CrashReport {
    pub fn new(args: &CrashArgs, people: &People) -> CrashReport {
        CrashReport {
            machine: Machine::here(),
            chats: people.rooms.len(),
            senders: people.people.len(),
            rate: args.rate,
            kill_window_secs: (args.min_secs, args.max_secs),
            kill: Vec::new(),
            final_check: Tally::default(),
            torn: Vec::new(),
            host: None,
        }
    }

    pub fn finish(&mut self, host: Host) {
        self.host = Some(host);
    }

    pub fn kill_totals(&self) -> Tally {
        let mut t = Tally::default();
        for k in &self.kill {
            t.add(&k.tally);
        }
        t
    }

    /// 0 lost, 0 duplicated (and nothing else broken) in every kill trial and in the
    /// final read; every torn trial whole.
    pub fn met(&self) -> bool {
        self.kill_totals().clean()
            && self.final_check.clean()
            && self.torn.iter().all(TornTrial::holds)
    }

    pub fn table(&self) -> String {
        let mut s = String::new();
        let t = self.kill_totals();
        let f = &self.final_check;
        let sent: u64 = self.kill.iter().map(|k| k.sent).sum();
        let resent: u64 = self.kill.iter().map(|k| k.resent).sum();
        let secs: Vec<f64> = self.kill.iter().map(|k| k.secs).collect();
        let restart: Vec<f64> = self.kill.iter().map(|k| k.restart_ms).collect();
        let _ = writeln!(
            s,
            "\n## kill -9 under load: {} trials on one data directory\n\n\
             {} chats, {} senders, {:.0} messages/s offered, kill {:.1}–{:.1} s into the load\n",
            self.kill.len(),
            self.chats,
            self.senders,
            self.rate,
            self.kill_window_secs.0,
            self.kill_window_secs.1
        );
        let rows = [
            (
                "sent (new / again after a kill)",
                format!("{sent} / {resent}"),
            ),
            ("acknowledged", t.acked.to_string()),
            ("**lost** (acknowledged, not there)", t.lost.to_string()),
            (
                "**duplicated** (id, content or seq twice)",
                t.duplicated.to_string(),
            ),
            (
                "stored though unacknowledged (fine)",
                t.unacked_stored.to_string(),
            ),
            (
                "served as deleted (the log lost its record)",
                t.deleted.to_string(),
            ),
            (
                "seq differs from the ack / holes / corrupt",
                format!("{} / {} / {}", t.seq_mismatch, t.holes, t.corrupt),
            ),
            (
                "read again at the end: there / lost since / duplicated",
                format!("{} / {} / {}", f.acked, f.lost, f.duplicated),
            ),
            (
                "time per trial: mean / max",
                format!("{:.2} s / {:.2} s", mean(&secs), max(&secs)),
            ),
            (
                "restart to listening: mean / max",
                format!("{:.0} ms / {:.0} ms", mean(&restart), max(&restart)),
            ),
        ];
        let _ = writeln!(s, "| | |\n|---|---:|");
        for (k, v) in rows {
            let _ = writeln!(s, "| {k} | {v} |");
        }
        s += &self.torn_table();
        if let Some(h) = &self.host {
            let _ = writeln!(
                s,
                "\nload average {:.2} (1 min), CPU steal {:.1}%, busy {:.0}%",
                h.load_1m, h.steal_percent, h.busy_percent
            );
        }
        let _ = writeln!(
            s,
            "\ntargets: 0 lost, 0 duplicated, every torn trial whole: {}",
            if self.met() { "met" } else { "**not met**" }
        );
        s
    }
}

impl CrashReport {
    fn torn_table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "\n## torn writes: {} trials\n\n| # | file cut | at / length (floor) | acked | lost by the cut | of which served deleted | stored unacked | restart | holds |\n|---:|---|---:|---:|---:|---:|---:|---:|:---:|",
            self.torn.len()
        );
        for (i, tr) in self.torn.iter().enumerate() {
            let _ = writeln!(
                s,
                "| {} | {} | {} / {} ({}) | {} | {} | {} | {} | {:.0} ms | {} |",
                i + 1,
                tr.cut.file,
                tr.cut.at,
                tr.cut.len,
                tr.cut.floor,
                tr.tally.acked,
                tr.tally.lost,
                tr.tally.deleted,
                tr.tally.unacked_stored,
                tr.restart_ms,
                if tr.holds() { "yes" } else { "**no**" }
            );
        }
        s
    }
}

/// One line of progress for a kill trial.
pub fn kill_line(k: &KillTrial) -> String {
    let t = &k.tally;
    format!(
        "kill at {:.2} s, {} sent (+{} again), {} acked, {} lost, {} duplicated, {} stored unacked, restart {:.0} ms, {:.2} s",
        k.kill_after_secs, k.sent, k.resent, t.acked, t.lost, t.duplicated, t.unacked_stored, k.restart_ms, k.secs
    )
}

/// One line of progress for a torn trial.
pub fn torn_line(tr: &TornTrial) -> String {
    if let Some(why) = &tr.start_failed {
        return format!(
            "{} cut at {}/{}: did not start: {why}",
            tr.cut.file, tr.cut.at, tr.cut.len
        );
    }
    format!(
        "{} cut at {}/{} (floor {}), {} acked, {} lost by the cut ({} served deleted), {} out of order, {} stray deleted, {} vanished, {} chats not writable, holds: {}",
        tr.cut.file,
        tr.cut.at,
        tr.cut.len,
        tr.cut.floor,
        tr.tally.acked,
        tr.tally.lost,
        tr.tally.deleted,
        tr.out_of_order,
        tr.stray_deleted,
        tr.vanished,
        tr.not_writable,
        tr.holds()
    )
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.iter().sum::<f64>() / v.len() as f64
}

fn max(v: &[f64]) -> f64 {
    v.iter().copied().fold(0.0, f64::max)
}

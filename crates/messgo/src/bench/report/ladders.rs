//! Each ladder step by step: the 1:1 rates, and every fan-out group's steps.

use std::fmt::Write;

use super::format::{lost, num};
use super::Report;

/// The 1:1 ladder, if the run measured it.
pub(super) fn write_latency(s: &mut String, r: &Report) {
    let Some(l) = &r.latency else {
        return;
    };
    let _ = writeln!(
        s,
        "\n{} 1:1 ladder ({} pairs, {} s per step):\n",
        r.target, l.pairs, l.step_secs
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

/// The fan-out steps of every group, if the run measured any.
pub(super) fn write_fanout(s: &mut String, r: &Report) {
    if r.fanout.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "\n{} fan-out ladder (each group on the same sockets, step by step until one loses or falls behind):\n",
        r.target
    );
    let _ = writeln!(
        s,
        "| members | offered deliveries/s | delivered/s | p50 | p99 | lost |\n|---:|---:|---:|---:|---:|---:|"
    );
    for f in &r.fanout {
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

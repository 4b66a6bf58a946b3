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
        "\n{} 1:1 steps ({} pairs, {} s per step; the bisection in the order it ran, then the fixed rates):\n",
        r.target, l.pairs, l.step_secs
    );
    let _ = writeln!(s, "| step | offered/s | acked/s | delivered/s | p50 | p99 | p99.9 | max | lost | passed |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|:---:|");
    let search = l.steps.iter().map(|st| ("search", st));
    for (kind, st) in search.chain(l.fixed.iter().map(|st| ("fixed", st))) {
        let _ = writeln!(
            s,
            "| {kind} | {} | {} | {} | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms | {} | {} |",
            num(f64::from(st.offered_per_sec)),
            num(st.acked_per_sec),
            num(st.delivered_per_sec),
            st.p50_ms,
            st.p99_ms,
            st.p999_ms,
            st.max_ms,
            lost(st.lost, st.refused, st.cut_off),
            if st.passed() { "yes" } else { "no" }
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
        "\n{} fan-out steps (each group's bisection on the same sockets, in the order it ran):\n",
        r.target
    );
    let _ = writeln!(
        s,
        "| members | offered deliveries/s | delivered/s | p50 | p99 | p99.9 | lost | passed |\n|---:|---:|---:|---:|---:|---:|---:|:---:|"
    );
    for f in &r.fanout {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {:.1} ms | {:.1} ms | {:.1} ms | {} | {} |",
            f.members,
            num(f.offered_deliveries_per_sec),
            num(f.deliveries_per_sec),
            f.p50_ms,
            f.p99_ms,
            f.p999_ms,
            lost(f.lost, f.refused, f.cut_off),
            if f.passed() { "yes" } else { "no" }
        );
    }
}

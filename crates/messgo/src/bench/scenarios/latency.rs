//! 1:1 latency: the highest offered rate the server carries cleanly, found by
//! bisection over many pairs at once, then the latency at fixed rates.

use std::time::{Duration, Instant};

use super::{close_all, drive, ms, per_sec, quiesce, seal_all, settle, Ctx, GRACE, WARMUP_SECS};
use crate::bench::fleet::Conn;
use crate::bench::report::{Latency, Step};
use crate::bench::saturating;
use crate::bench::search::Search;
use crate::bench::setup::{self, ChatPlan, User};
use crate::bench::BenchError;

/// How the search for the headline runs.
pub struct Plan<'a> {
    pub start: u32,
    pub min: u32,
    pub max: u32,
    pub precision: f64,
    pub max_steps: usize,
    /// Rates always measured after the search (the headline's half is added).
    pub at_rates: &'a [u32],
    pub step_secs: f64,
}

/// Bisects for the highest clean rate (see [`Step::passed`]), then measures each of
/// `plan.at_rates` and half the headline, all on the same sockets.
pub async fn run(
    ctx: &Ctx,
    users: &[User],
    plans: &[ChatPlan],
    plan: &Plan<'_>,
) -> Result<Latency, BenchError> {
    let mut logins = Vec::new();
    for p in plans {
        logins.push((setup::login_for(&users[p.members[0]], &[p.id]), false));
        logins.push((setup::login_for(&users[p.members[1]], &[p.id]), true));
    }
    let all = ctx.open_all(logins, "1:1", None).await?;
    // A short unrecorded warm-up at the lowest fixed rate: caches, JITs and
    // allocators settle before anything is measured.
    let warmup = plan.at_rates.iter().copied().min().unwrap_or(plan.start);
    let _ = step(ctx, users, plans, &all, warmup, WARMUP_SECS).await;
    quiesce(ctx).await;
    let mut steps = Vec::new();
    let best = search(ctx, users, plans, &all, plan, Step::passed, &mut steps).await;
    let sustained = match best {
        // Every step was bracketed by the stricter rule: the fastest that kept up.
        Some(_) => steps
            .iter()
            .filter(|s| s.kept_up())
            .map(|s| s.offered_per_sec)
            .max(),
        // No rate passed the p99 limit: bisect again for what it sustains at all.
        None => search(ctx, users, plans, &all, plan, Step::kept_up, &mut steps).await,
    };
    let mut fixed = Vec::new();
    let half = best.or(sustained).map(|b| (b / 2).max(1));
    for rate in plan.at_rates.iter().copied().chain(half) {
        // With --node-metrics, each node's counters around the fixed-rate steps.
        let before = crate::bench::nodes::read(&ctx.node_metrics).await;
        let st = step(ctx, users, plans, &all, rate, plan.step_secs).await;
        if !ctx.node_metrics.is_empty() {
            let after = crate::bench::nodes::read(&ctx.node_metrics).await;
            crate::bench::nodes::print(rate, st.delivered, &before, &after);
        }
        if !st.passed() {
            quiesce(ctx).await;
        }
        fixed.push(st);
    }
    close_all(all).await;
    Ok(Latency::from_steps(
        plans.len(),
        plan.step_secs,
        steps,
        fixed,
        best,
        sustained,
        half,
    ))
}

/// Bisects for the highest rate whose step satisfies `rule`, appending each step.
async fn search(
    ctx: &Ctx,
    users: &[User],
    plans: &[ChatPlan],
    all: &[Conn],
    plan: &Plan<'_>,
    rule: fn(&Step) -> bool,
    steps: &mut Vec<Step>,
) -> Option<u32> {
    let mut search = Search::new(
        f64::from(plan.start),
        f64::from(plan.min),
        f64::from(plan.max),
        plan.precision,
        plan.max_steps,
    );
    while let Some(rate) = search.next() {
        let rate = saturating::f64_to_u32(rate);
        let st = step(ctx, users, plans, all, rate, plan.step_secs).await;
        search.record(f64::from(rate), rule(&st));
        if !st.passed() {
            // What is still queued would count against the next step.
            quiesce(ctx).await;
        }
        steps.push(st);
    }
    search.best().map(saturating::f64_to_u32)
}

/// Offers `rate` messages a second over all pairs for `secs` on the sockets `all`
/// (each pair's two, in the order of `plans`) and measures what came back.
async fn step(
    ctx: &Ctx,
    users: &[User],
    plans: &[ChatPlan],
    all: &[Conn],
    rate: u32,
    secs: f64,
) -> Step {
    let n = saturating::f64_to_usize(f64::from(rate) * secs).max(1);
    let tag = ctx.tag();
    // Lane i sends on the socket of pair i's first member.
    let frames: Vec<(usize, String)> = seal_all(ctx, users, plans, tag, n)
        .into_iter()
        .map(|(lane, f)| (2 * lane, f))
        .collect();
    ctx.progress.set_message(format!("1:1 at {rate}/s"));
    let start = Instant::now() + Duration::from_millis(20);
    ctx.tracker.begin(tag, start, 1e9 / f64::from(rate));
    drive(ctx, all, frames, start, f64::from(rate)).await;
    let want = n as u64;
    settle(ctx, Instant::now() + GRACE, |r| {
        r.acked + r.refused >= want && r.delivered >= want
    })
    .await;
    let run = ctx.tracker.finish();
    Step {
        offered_per_sec: rate,
        sent: want,
        acked: run.acked,
        refused: run.refused,
        delivered: run.delivered,
        lost: want.saturating_sub(run.delivered),
        cut_off: run.cut_off,
        acked_per_sec: per_sec(run.acked, run.start, run.last_ack),
        delivered_per_sec: per_sec(run.delivered, run.start, run.last_delivery),
        p50_ms: ms(run.deliver.value_at_quantile(0.50)),
        p99_ms: ms(run.deliver.value_at_quantile(0.99)),
        p999_ms: ms(run.deliver.value_at_quantile(0.999)),
        max_ms: ms(run.deliver.max()),
        ack_p99_ms: ms(run.ack.value_at_quantile(0.99)),
    }
}

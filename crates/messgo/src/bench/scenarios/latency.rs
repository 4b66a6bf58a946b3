//! 1:1 latency: a ladder of offered rates over many pairs at once.

use std::time::{Duration, Instant};

use super::{close_all, drive, ms, per_sec, seal_all, settle, Ctx, GRACE, WARMUP_SECS};
use crate::bench::fleet::Conn;
use crate::bench::report::{Latency, Step};
use crate::bench::saturating;
use crate::bench::setup::{self, ChatPlan, User};
use crate::bench::BenchError;

/// 1:1 send → deliver at each rate of the ladder, until p99 passes the limit or
/// a message is lost.
pub async fn run(
    ctx: &Ctx,
    users: &[User],
    plans: &[ChatPlan],
    rates: &[u32],
    step_secs: f64,
) -> Result<Latency, BenchError> {
    let mut logins = Vec::new();
    for p in plans {
        logins.push((setup::login_for(&users[p.members[0]], &[p.id]), false));
        logins.push((setup::login_for(&users[p.members[1]], &[p.id]), true));
    }
    let all = ctx.open_all(logins, "1:1", None).await?;
    let mut steps = Vec::new();
    // A short unrecorded warm-up at the first rate: caches, JITs and allocators
    // settle before anything is measured.
    let warmup = rates.first().copied();
    for (i, &rate) in warmup.iter().chain(rates).enumerate() {
        let recorded = i > 0 || warmup.is_none();
        let secs = if recorded { step_secs } else { WARMUP_SECS };
        let before = crate::bench::nodes::read(&ctx.spread).await;
        let step = step(ctx, users, plans, &all, rate, secs).await;
        if !recorded {
            continue;
        }
        if !ctx.spread.is_empty() {
            let after = crate::bench::nodes::read(&ctx.spread).await;
            crate::bench::nodes::print(rate, step.delivered, &before, &after);
        }
        // Past saturation every further step only queues more: stop there.
        let saturated = step.lost > 0 || step.refused > 0 || step.acked_per_sec < 0.9 * rate as f64;
        steps.push(step);
        if saturated {
            break;
        }
    }
    close_all(all).await;
    Ok(Latency::from_steps(plans.len(), step_secs, steps))
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
    let n = saturating::f64_to_usize(rate as f64 * secs).max(1);
    let tag = ctx.tag();
    // Lane i sends on the socket of pair i's first member.
    let frames: Vec<(usize, String)> = seal_all(ctx, users, plans, tag, n)
        .into_iter()
        .map(|(lane, f)| (2 * lane, f))
        .collect();
    ctx.progress.set_message(format!("1:1 at {rate}/s"));
    let start = Instant::now() + Duration::from_millis(20);
    ctx.tracker.begin(tag, start, 1e9 / rate as f64);
    drive(ctx, all, frames, start, rate as f64).await;
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

//! Fan-out: one sender to a group, a ladder of delivery rates on the same sockets.

use std::time::{Duration, Instant};

use super::{close_all, drive, ms, per_sec, seal_all, settle, Ctx, GRACE};
use crate::bench::fleet::Conn;
use crate::bench::report::Fanout;
use crate::bench::saturating;
use crate::bench::setup::{self, ChatPlan, User};
use crate::bench::BenchError;

/// The fan-out ladder each group climbs.
pub struct Ladder<'a> {
    /// Deliveries per second offered, one step after another.
    pub deliveries_per_sec: &'a [f64],
    /// Caps the messages (a small group at a high delivery rate would measure the
    /// durable write path instead).
    pub max_messages_per_sec: f64,
    /// How long each step runs.
    pub secs: f64,
}

/// One sender and `members - 1` receivers, offered each step of the ladder in turn,
/// on the same sockets, until a step loses anything or falls behind its offer: the
/// last clean step is what the server can fan out.
pub async fn run(
    ctx: &Ctx,
    users: &[User],
    plan: &ChatPlan,
    ladder: &Ladder<'_>,
) -> Result<Vec<Fanout>, BenchError> {
    let receivers = plan.members.len() - 1;
    let logins = plan
        .members
        .iter()
        .enumerate()
        .map(|(i, &m)| (setup::login_for(&users[m], &[plan.id]), i > 0))
        .collect();
    let conns = ctx
        .open_all(
            logins,
            &format!("{}-member group", plan.members.len()),
            None,
        )
        .await?;
    let mut rates: Vec<f64> = ladder
        .deliveries_per_sec
        .iter()
        .map(|d| (d / receivers as f64).clamp(1.0, ladder.max_messages_per_sec))
        .collect();
    rates.dedup();
    let mut steps = Vec::new();
    for rate in rates {
        let step = step(ctx, users, plan, &conns, rate, ladder.secs).await;
        let behind = step.deliveries_per_sec < 0.9 * step.offered_deliveries_per_sec;
        let stop = step.lost > 0 || step.refused > 0 || behind;
        steps.push(step);
        if stop {
            break;
        }
    }
    close_all(conns).await;
    Ok(steps)
}

/// Sends `rate` messages a second to the group for `secs` and counts the deliveries.
async fn step(
    ctx: &Ctx,
    users: &[User],
    plan: &ChatPlan,
    conns: &[Conn],
    rate: f64,
    secs: f64,
) -> Fanout {
    let receivers = plan.members.len() - 1;
    let n = saturating::f64_to_usize(rate * secs).max(1);
    let tag = ctx.tag();
    let frames = seal_all(ctx, users, std::slice::from_ref(plan), tag, n);
    let offered = rate * receivers as f64;
    ctx.progress
        .set_message(format!("fan-out to {receivers} at {offered:.0}/s"));
    let start = Instant::now() + Duration::from_millis(20);
    ctx.tracker.begin(tag, start, 1e9 / rate);
    drive(ctx, conns, frames, start, rate).await;
    let want = (n * receivers) as u64;
    settle(ctx, Instant::now() + GRACE, |r| {
        r.delivered >= want && r.acked + r.refused >= n as u64
    })
    .await;
    let run = ctx.tracker.finish();
    Fanout {
        members: plan.members.len(),
        messages: n as u64,
        offered_deliveries_per_sec: offered,
        delivered: run.delivered,
        lost: want.saturating_sub(run.delivered),
        cut_off: run.cut_off,
        refused: run.refused,
        deliveries_per_sec: per_sec(run.delivered, run.start, run.last_delivery),
        p50_ms: ms(run.deliver.value_at_quantile(0.50)),
        p99_ms: ms(run.deliver.value_at_quantile(0.99)),
    }
}

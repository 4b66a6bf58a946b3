//! Fan-out: one sender to a group, a bisection over delivery rates on the same sockets.

use std::time::{Duration, Instant};

use super::{close_all, drive, ms, per_sec, quiesce, seal_all, settle, Ctx, GRACE};
use crate::bench::fleet::Conn;
use crate::bench::report::Fanout;
use crate::bench::saturating;
use crate::bench::search::Search;
use crate::bench::setup::{self, ChatPlan, User};
use crate::bench::BenchError;

/// How each group's search runs, in deliveries per second.
pub struct Ladder {
    /// The first offer tried.
    pub start: f64,
    /// The highest offer tried.
    pub max: f64,
    /// Caps the messages (a small group at a high delivery rate would measure the
    /// durable write path instead).
    pub max_messages_per_sec: f64,
    pub precision: f64,
    pub max_steps: usize,
    /// How long each step runs.
    pub secs: f64,
}

/// One sender and `members - 1` receivers, on the same sockets throughout: a
/// bisection for the most deliveries per second that pass the 1:1 rule (nothing
/// lost, within 2% of the offer, p99 ≤ 50 ms; see [`Fanout::passed`]).
pub async fn run(
    ctx: &Ctx,
    users: &[User],
    plan: &ChatPlan,
    ladder: &Ladder,
) -> Result<Vec<Fanout>, BenchError> {
    let receivers = (plan.members.len() - 1) as f64;
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
    // In messages a second: at least one, at most the cap.
    let max = (ladder.max / receivers).clamp(1.0, ladder.max_messages_per_sec);
    let start = (ladder.start / receivers).clamp(1.0, max);
    let mut search = Search::new(start, 1.0, max, ladder.precision, ladder.max_steps);
    let mut steps = Vec::new();
    while let Some(rate) = search.next() {
        let step = step(ctx, users, plan, &conns, rate, ladder.secs).await;
        let passed = step.passed();
        search.record(rate, passed);
        steps.push(step);
        if !passed {
            quiesce(ctx).await;
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
        p999_ms: ms(run.deliver.value_at_quantile(0.999)),
    }
}

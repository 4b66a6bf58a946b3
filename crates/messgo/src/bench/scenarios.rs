//! The four scenarios. Each one opens the sockets it needs, drives a fixed schedule
//! (open loop: the schedule does not wait for the server), and turns what the
//! tracker saw into a result for the report.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{stream, StreamExt, TryStreamExt};
use tokio_tungstenite::tungstenite::Message;

use super::fleet::{message_id, Conn, Run, Tracker};
use super::report::{Fanout, Idle, Latency, Reconnect, Step};
use super::setup::{self, ChatPlan, User};
use super::wire::{Login, Peer};
use super::BenchError;

/// What every message says: a realistic short text, padded to 256 bytes when sealed.
pub const TEXT: &str = "benchmark: the quick brown fox jumps over the lazy dog, end to end";
/// Latency the ladder must stay under.
pub const P99_LIMIT_MS: f64 = 50.0;
/// Sockets opened at once; more only queue in the kernel's accept backlog.
const OPEN_CONCURRENCY: usize = 256;
/// Seconds of unrecorded sending before the 1:1 ladder.
const WARMUP_SECS: f64 = 2.0;
/// How long the last send may take to be acked and delivered before it counts lost.
const GRACE: Duration = Duration::from_secs(5);

pub struct Ctx {
    pub peer: Peer,
    pub tracker: Arc<Tracker>,
    pub frames: Arc<AtomicU64>,
    pub progress: indicatif::ProgressBar,
    pub next_tag: AtomicU64,
}

impl Ctx {
    fn tag(&self) -> u64 {
        self.next_tag.fetch_add(1, Ordering::Relaxed)
    }

    /// Opens a socket per login; `hello`, if any, is sent on each as soon as it opens.
    async fn open_all(
        &self,
        logins: Vec<(Login, bool)>,
        what: &str,
        hello: Option<&str>,
    ) -> Result<Vec<Conn>, BenchError> {
        self.progress.set_length(logins.len() as u64);
        self.progress.set_position(0);
        self.progress.set_message(format!("opening {what} sockets"));
        stream::iter(logins)
            .map(|(login, counts)| async move {
                let conn = Conn::open(
                    self.peer,
                    &login,
                    self.tracker.clone(),
                    counts,
                    self.frames.clone(),
                )
                .await?;
                if let Some(hello) = hello {
                    let _ = conn.out.send(Message::Text(hello.into()));
                }
                self.progress.inc(1);
                Ok::<_, BenchError>(conn)
            })
            .buffered(OPEN_CONCURRENCY)
            .try_collect()
            .await
    }
}

async fn close_all(conns: Vec<Conn>) {
    stream::iter(conns)
        .for_each_concurrent(OPEN_CONCURRENCY, Conn::close)
        .await;
}

/// Sends `frames[i]` on socket `lane` at `start + i / rate`, never waiting for
/// answers, and returns when the last one is queued.
async fn drive(ctx: &Ctx, conns: &[Conn], frames: Vec<(usize, String)>, start: Instant, rate: f64) {
    let total = frames.len();
    ctx.progress.set_length(total as u64);
    ctx.progress.set_position(0);
    let interval = Duration::from_secs_f64(1.0 / rate);
    let mut frames = frames.into_iter().enumerate().peekable();
    tokio::time::sleep_until(start.into()).await;
    while frames.peek().is_some() {
        let due = ((start.elapsed().as_secs_f64() * rate) as usize + 1).min(total);
        while let Some((_, (lane, frame))) = frames.next_if(|(i, _)| *i < due) {
            let _ = conns[lane].out.send(Message::Text(frame.into()));
        }
        ctx.progress.set_position(due as u64);
        if let Some((next, _)) = frames.peek() {
            tokio::time::sleep_until((start + interval * *next as u32).into()).await;
        }
    }
}

/// Waits until `done` holds for the current run, or `deadline` passes.
async fn settle(ctx: &Ctx, deadline: Instant, done: impl Fn(&Run) -> bool) {
    let mut tick = tokio::time::interval(Duration::from_millis(5));
    while Instant::now() < deadline {
        tick.tick().await;
        if ctx.tracker.peek(&done).unwrap_or(true) {
            return;
        }
    }
}

fn ms(micros: u64) -> f64 {
    micros as f64 / 1000.0
}

fn per_sec(count: u64, start: Instant, last: Option<Instant>) -> f64 {
    match last {
        Some(t) if t > start => count as f64 / (t - start).as_secs_f64(),
        _ => 0.0,
    }
}

fn seal_all(
    ctx: &Ctx,
    users: &[User],
    plans: &[ChatPlan],
    tag: u64,
    n: usize,
) -> Vec<(usize, String)> {
    ctx.progress.set_length(n as u64);
    ctx.progress.set_position(0);
    ctx.progress.set_message("sealing messages");
    (0..n)
        .map(|i| {
            let lane = i % plans.len();
            let plan = &plans[lane];
            let id = message_id(tag, i as u64);
            let payload = plan.seal(ctx.peer, &users[plan.members[0]], id, TEXT);
            if i % 4096 == 0 {
                ctx.progress.set_position(i as u64);
            }
            (
                lane,
                ctx.peer.send_frame(&plan.id.to_string(), id, &payload),
            )
        })
        .collect()
}

/// Ramps to `n` idle sockets spread over `users` and reads the server's memory.
pub async fn idle(
    ctx: &Ctx,
    users: &[User],
    n: usize,
    server_pid: Option<u32>,
) -> Result<Idle, BenchError> {
    let before = server_pid.and_then(rss_bytes);
    let logins = (0..n)
        .map(|i| (setup::login_for(&users[i % users.len()], &[]), false))
        .collect();
    let started = Instant::now();
    let conns = ctx.open_all(logins, "idle", None).await?;
    let connect_secs = started.elapsed().as_secs_f64();
    if ctx.peer == Peer::Messgo {
        // A ping answered on every socket: the server has set each one up completely.
        let seen = ctx.frames.load(Ordering::Relaxed);
        for c in &conns {
            let _ = c.out.send(Message::Text(r#"{"type":"ping"}"#.into()));
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        while ctx.frames.load(Ordering::Relaxed) < seen + n as u64 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    let after = server_pid.and_then(rss_bytes);
    close_all(conns).await;
    let per_connection = match (before, after) {
        (Some(b), Some(a)) => Some(a.saturating_sub(b) / n.max(1) as u64),
        _ => None,
    };
    Ok(Idle {
        connections: n,
        connect_secs,
        rss_before: before,
        rss_after: after,
        bytes_per_connection: per_connection,
    })
}

/// Resident memory of a process, from `/proc`.
fn rss_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// 1:1 send → deliver at each rate of the ladder, until p99 passes the limit or
/// a message is lost.
pub async fn latency(
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
    // Lane i sends on the socket of pair i's first member.
    let senders: Vec<usize> = (0..plans.len()).map(|i| 2 * i).collect();
    let mut steps = Vec::new();
    // A short unrecorded warm-up at the first rate: caches, JITs and allocators
    // settle before anything is measured.
    let warmup = rates.first().copied();
    for (i, &rate) in warmup.iter().chain(rates).enumerate() {
        let recorded = i > 0 || warmup.is_none();
        let step_secs = if recorded { step_secs } else { WARMUP_SECS };
        let n = ((rate as f64 * step_secs) as usize).max(1);
        let tag = ctx.tag();
        let frames: Vec<(usize, String)> = seal_all(ctx, users, plans, tag, n)
            .into_iter()
            .map(|(lane, f)| (senders[lane], f))
            .collect();
        ctx.progress.set_message(format!("1:1 at {rate}/s"));
        let start = Instant::now() + Duration::from_millis(20);
        ctx.tracker.begin(tag, start, 1e9 / rate as f64);
        drive(ctx, &all, frames, start, rate as f64).await;
        let want = n as u64;
        settle(ctx, Instant::now() + GRACE, |r| {
            r.acked + r.refused >= want && r.delivered >= want
        })
        .await;
        let run = ctx.tracker.finish();
        let step = Step {
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
        };
        if !recorded {
            continue;
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

/// One sender and `members - 1` receivers, offered each of `deliveries_per_sec` in
/// turn for `secs`, on the same sockets, until a step loses anything or falls behind
/// its offer: the last clean step is what the server can fan out.
/// `max_messages_per_sec` caps the messages (a small group at a high delivery rate
/// would measure the durable write path instead).
pub async fn fanout(
    ctx: &Ctx,
    users: &[User],
    plan: &ChatPlan,
    deliveries_per_sec: &[f64],
    max_messages_per_sec: f64,
    secs: f64,
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
    let mut rates: Vec<f64> = deliveries_per_sec
        .iter()
        .map(|d| (d / receivers as f64).clamp(1.0, max_messages_per_sec))
        .collect();
    rates.dedup();
    let mut steps = Vec::new();
    for rate in rates {
        let step = fanout_step(ctx, users, plan, &conns, rate, secs).await;
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
async fn fanout_step(
    ctx: &Ctx,
    users: &[User],
    plan: &ChatPlan,
    conns: &[Conn],
    rate: f64,
    secs: f64,
) -> Fanout {
    let receivers = plan.members.len() - 1;
    let n = ((rate * secs) as usize).max(1);
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

/// `clients` sockets of the group's members drop; `missed` messages are sent; all
/// come back at once and ask for what they missed.
pub async fn reconnect(
    ctx: &Ctx,
    users: &[User],
    plan: &ChatPlan,
    clients: usize,
    missed: usize,
) -> Result<Reconnect, BenchError> {
    let receivers = &plan.members[1..];
    let logins = |counts| -> Vec<(Login, bool)> {
        (0..clients)
            .map(|j| {
                (
                    setup::login_for(&users[receivers[j % receivers.len()]], &[plan.id]),
                    counts,
                )
            })
            .collect()
    };
    let away = ctx.open_all(logins(false), "reconnecting", None).await?;
    let resume_from = match ctx.peer {
        Peer::Messgo => setup::chat_seq(users, plan).await?,
        Peer::Socketio => 0,
    };
    ctx.progress.set_message("dropping every client");
    close_all(away).await;

    // While they are away: `missed` messages, each acknowledged (stored) before the
    // clients return.
    let sender = ctx
        .open_all(
            vec![(setup::login_for(&users[plan.members[0]], &[plan.id]), false)],
            "sender",
            None,
        )
        .await?;
    let tag = ctx.tag();
    let frames = seal_all(ctx, users, std::slice::from_ref(plan), tag, missed);
    let start = Instant::now();
    ctx.tracker.begin(tag, start, 0.0);
    drive(ctx, &sender, frames, start, 10_000.0).await;
    settle(ctx, Instant::now() + GRACE, |r| {
        r.acked + r.refused >= missed as u64
    })
    .await;

    ctx.progress.set_message("everyone returns");
    let back = Instant::now();
    let resume = format!(
        r#"{{"type":"resume","chats":{{"{}":{resume_from}}}}}"#,
        plan.id
    );
    // MessGo clients ask for what they missed the moment they are back; the peer
    // keeps nothing, so its clients have nothing to ask for.
    let hello = (ctx.peer == Peer::Messgo).then_some(resume.as_str());
    let returned = ctx.open_all(logins(true), "returning", hello).await?;
    let all_connected = back.elapsed().as_secs_f64();
    let want = (missed * clients) as u64;
    settle(ctx, Instant::now() + Duration::from_secs(30), |r| {
        r.delivered >= want
    })
    .await;
    let run = ctx.tracker.finish();
    close_all(returned).await;
    close_all(sender).await;
    let caught_up = run.last_delivery.map(|t| (t - back).as_secs_f64());
    Ok(Reconnect {
        clients,
        missed_each: missed,
        reconnect_secs: all_connected,
        catch_up_secs: if run.delivered >= want {
            caught_up
        } else {
            None
        },
        delivered: run.delivered,
        lost: want.saturating_sub(run.delivered),
    })
}

//! The four scenarios, one module each. Each one opens the sockets it needs, drives a
//! fixed schedule (open loop: the schedule does not wait for the server), and turns
//! what the tracker saw into a result for the report. What they share is here.

pub mod fanout;
pub mod idle;
pub mod latency;
pub mod reconnect;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{stream, StreamExt, TryStreamExt};
use tokio_tungstenite::tungstenite::Message;

use super::fleet::{message_id, Conn, Run, Tracker};
use super::saturating;
use super::setup::{ChatPlan, User};
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
    /// Origins the sockets are opened on, in turn (empty: the setup's).
    pub spread: Vec<String>,
    /// The nodes' `/metrics` URLs (`--node-metrics`).
    pub node_metrics: Vec<String>,
}

/// A MessGo client's first frame when it has nothing to resume.
const NOTHING_TO_RESUME: &str = r#"{"type":"resume","chats":{}}"#;

impl Ctx {
    fn tag(&self) -> u64 {
        self.next_tag.fetch_add(1, Ordering::Relaxed)
    }

    /// Opens a socket per login; `hello`, if any, is sent on each as soon as it opens.
    /// A MessGo socket holds chats' messages back until the client's first frame says
    /// where it stands, so without a `hello` it says "nothing to resume".
    async fn open_all(
        &self,
        logins: Vec<(Login, bool)>,
        what: &str,
        hello: Option<&str>,
    ) -> Result<Vec<Conn>, BenchError> {
        let hello = hello.or((self.peer == Peer::Messgo).then_some(NOTHING_TO_RESUME));
        self.progress.set_length(logins.len() as u64);
        self.progress.set_position(0);
        self.progress.set_message(format!("opening {what} sockets"));
        let spread = &self.spread;
        stream::iter(logins.into_iter().enumerate())
            .map(|(i, (login, counts))| async move {
                let login = match login {
                    Login::Messgo(c) if !spread.is_empty() => {
                        Login::Messgo(c.with_base(&spread[i % spread.len()]))
                    }
                    other @ (Login::Messgo(_) | Login::Socketio { .. } | Login::Synapse(_)) => {
                        other
                    }
                };
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
        let due = (saturating::f64_to_usize(start.elapsed().as_secs_f64() * rate) + 1).min(total);
        while let Some((_, (lane, frame))) = frames.next_if(|(i, _)| *i < due) {
            let _ = conns[lane].out.send(Message::Text(frame.into()));
        }
        ctx.progress.set_position(due as u64);
        if let Some(&(next, _)) = frames.peek() {
            let next = u32::try_from(next).expect("a step holds fewer than 2^32 frames in memory");
            tokio::time::sleep_until((start + interval * next).into()).await;
        }
    }
}

/// Waits until frames stop arriving (none for half a second, at most a minute):
/// after an overloaded step the server is still working off its queue, and that
/// work would count against the next step.
async fn quiesce(ctx: &Ctx) {
    ctx.progress.set_message("waiting for the server to drain");
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = ctx.frames.load(Ordering::Relaxed);
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = ctx.frames.load(Ordering::Relaxed);
        if now == seen {
            return;
        }
        seen = now;
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
            (lane, ctx.peer.send_frame(&plan.room, id, &payload))
        })
        .collect()
}

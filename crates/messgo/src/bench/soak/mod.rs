//! `messgo soak`: memory and latency under attack. Starts a server of its own (a
//! child process, so its memory can be read), measures honest 1:1 traffic alone,
//! then again while `--hostile` clients of each kind attack it, and reports the
//! server's peak memory and the honest p99 of both runs.
//!
//! The honest clients and the hostile ones run on two threads with a runtime each:
//! an attacker's hundreds of tasks must not queue in front of the honest readers
//! and make the generator, not the server, look slow.

mod args;
mod cast;
mod hostile;
mod http;
mod raw;
mod report;
mod server;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

pub use args::SoakArgs;
use cast::Cast;
use hostile::{Arsenal, Tally};
use report::{Phase, SoakReport};
use server::RssLog;
pub use server::{cpu_ticks, Host};
pub(crate) use server::{status_bytes, Server};

use super::saturating::f64_to_usize;
use super::scenarios::{self, Ctx};
use super::setup::client;
use super::wire::{socket_config, Peer};
use super::BenchError;

/// Runs the soak and prints (and writes) the report; returns whether both targets hold.
pub fn run(args: &SoakArgs) -> anyhow::Result<bool> {
    let server = Server::start(args.stall_timeout, &args.server_args, args.server_cpu)?;
    let stop = Arc::new(AtomicBool::new(false));
    let rss = RssLog::sample(server.pid, Duration::from_millis(250), stop.clone());
    let rt = current_thread()?;
    let ctx = Ctx {
        peer: Peer::Messgo,
        tracker: Arc::default(),
        frames: Arc::new(AtomicU64::new(0)),
        progress: super::progress_bar(),
        next_tag: AtomicU64::new(u64::from(rand::random::<u32>()) * 1_000),
        spread: Vec::new(),
        node_metrics: Vec::new(),
    };
    let cast = rt.block_on(Cast::make(
        &server.url,
        args.hostile,
        args.pairs,
        &ctx.progress,
    ))?;
    let (before, q0) = (cpu_ticks(), Instant::now());
    let quiet = rt.block_on(honest(&ctx, &cast, args))?;
    let quiet = Phase::new(quiet, rss.peak_since(q0), Host::since(before));
    let stall = Duration::from_secs(args.stall_timeout);
    // Long enough for every kind to be in its steady state (queues full, bodies
    // stalled, first cut-offs done) before the honest run starts measuring.
    let warm = 2 * stall;
    let attack_for = warm + Duration::from_secs_f64(args.secs + 4.0);
    let arsenal = Arc::new(arsenal(&cast, &server.url, stall)?);
    // Attempts under way at the deadline run on for up to three stall timeouts.
    let busy_for = attack_for + 3 * stall;
    let feed = cast_feed(&cast, f64_to_usize(args.busy_rate * busy_for.as_secs_f64()));
    let before = cpu_ticks();
    let a0 = Instant::now();
    let (attacked, tally) = std::thread::scope(|s| {
        let hostile = s.spawn(|| -> anyhow::Result<Tally> {
            let deadline = Instant::now() + attack_for;
            current_thread()?.block_on(async {
                // The group stays busy until the last attempt has ended, so a silent
                // socket still open then was not cut off for want of traffic.
                let busy = tokio::spawn(busy_group(feed, args.busy_rate));
                let tally = hostile::attack(arsenal, &args.kinds, args.hostile, deadline).await;
                busy.abort();
                Ok(tally)
            })
        });
        let attacked = rt.block_on(async {
            tokio::time::sleep(warm).await;
            honest(&ctx, &cast, args).await
        });
        let tally = hostile
            .join()
            .map_err(|_| anyhow::anyhow!("the attackers panicked"))?;
        anyhow::Ok((attacked?, tally?))
    })?;
    let attacked = Phase::new(attacked, rss.peak_since(a0), Host::since(before));
    ctx.progress.finish_and_clear();
    stop.store(true, Ordering::Relaxed);
    let report = SoakReport::new(args, &server, quiet, attacked, tally.take(), rss.seconds());
    println!("{}", report.table());
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)?;
    }
    Ok(report.met())
}

fn current_thread() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

/// The honest pairs at the steady rate, as one step of the 1:1 ladder.
async fn honest(
    ctx: &Ctx,
    cast: &Cast,
    args: &SoakArgs,
) -> Result<crate::bench::report::Step, BenchError> {
    // No search: only the steady rate, measured once after the warm-up.
    let plan = scenarios::latency::Plan {
        start: args.rate,
        min: args.rate,
        max: args.rate,
        precision: 2.0,
        max_steps: 0,
        at_rates: &[args.rate],
        step_secs: args.secs,
    };
    let latency = scenarios::latency::run(ctx, &cast.users, &cast.honest, &plan).await?;
    latency
        .fixed
        .into_iter()
        .next()
        .ok_or_else(|| BenchError::Protocol("the honest run measured nothing".into()))
}

fn arsenal(cast: &Cast, base: &str, stall: Duration) -> Result<Arsenal, BenchError> {
    Ok(Arsenal {
        target: raw::Target::new(base)?,
        cookies: cast.hostile_cookies(),
        group: cast.group.id,
        own_chats: cast.own_chats.clone(),
        foreign_chat: cast.honest.first().map_or_else(Uuid::new_v4, |p| p.id),
        blob: cast.blob,
        blob_len: cast.blob_len,
        victim: cast.victim(),
        stall,
    })
}

/// What the busy group's sender needs, owned, for the attackers' thread.
struct Feed {
    client: messgo_client::Client,
    frames: Vec<String>,
}

/// `n` messages of 32 KiB, sealed ahead (sealing is not what is measured): at the
/// busy rate a silent socket's 1 MiB queue fills within seconds.
fn cast_feed(cast: &Cast, n: usize) -> Feed {
    let text = "x".repeat(32 * 1024);
    let admin = &cast.users[0];
    let chat = cast.group.id.to_string();
    let frames = (0..n.max(1))
        .map(|_| {
            let id = Uuid::now_v7();
            Peer::Messgo.send_frame(&chat, id, &cast.group.seal(Peer::Messgo, admin, id, &text))
        })
        .collect();
    Feed {
        client: client(admin).clone(),
        frames,
    }
}

/// Sends into the busy group at `rate` until aborted (or the feed runs out),
/// reading (and dropping) the acks.
async fn busy_group(feed: Feed, rate: f64) -> Result<(), BenchError> {
    let ws = feed.client.socket(None, Some(socket_config())).await?;
    let (mut tx, mut rx) = ws.split();
    tx.send(Message::Text(r#"{"type":"resume","chats":{}}"#.into()))
        .await
        .map_err(BenchError::socket)?;
    let reader = tokio::spawn(async move { while rx.next().await.is_some() {} });
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate.max(0.1)));
    for frame in &feed.frames {
        tick.tick().await;
        if tx.send(Message::Text(frame.clone().into())).await.is_err() {
            break;
        }
    }
    reader.abort();
    Ok(())
}

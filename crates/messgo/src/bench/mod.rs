//! `messgo bench`: an open-loop load generator for MessGo (or, through its
//! Socket.IO adapter, for the peer in `peers/socketio`).
//!
//! Every message is sealed for real (AES-256-GCM, Ed25519) ahead of its slot, sent
//! at its scheduled time whether or not the server has kept up, and timed from that
//! scheduled time, so a stalled server shows as latency instead of hiding it.

mod args;
pub mod crash;
pub mod files;
mod fleet;
mod nodes;
mod population;
mod report;
mod saturating;
mod scenarios;
mod search;
mod setup;
pub mod soak;
mod synapse;
mod wire;

use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};

pub use args::{BenchArgs, Scenario};
pub use crash::CrashArgs;
pub use files::FilesArgs;
use population::Population;
pub use report::Report;
pub use soak::SoakArgs;
pub use wire::Peer;

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error(transparent)]
    Client(#[from] messgo_client::ClientError),
    #[error("crypto: {0}")]
    Crypto(#[from] messgo_crypto::CryptoError),
    #[error("socket: {0}")]
    Socket(String),
    #[error("protocol: {0}")]
    Protocol(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl BenchError {
    fn socket(e: impl std::fmt::Display) -> BenchError {
        BenchError::Socket(e.to_string())
    }
}

fn progress_bar() -> ProgressBar {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {msg:<32} [{bar:30}] {pos}/{len} {per_sec} eta {eta}",
        )
        .expect("a valid template")
        .progress_chars("=> "),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

/// Runs the chosen scenarios and prints (and writes) the report. Returns whether
/// every measured target holds.
pub async fn run(args: BenchArgs) -> anyhow::Result<bool> {
    let peers = args
        .compare
        .iter()
        .map(|p| read_report(p))
        .collect::<anyhow::Result<Vec<_>>>()?;
    if let Some(path) = &args.report {
        let saved = read_report(path)?;
        finish(&saved, &peers, &args)?;
        return Ok(saved.all_met(&peers));
    }
    let ticks = soak::cpu_ticks();
    let base = args.url.trim_end_matches('/').to_owned();
    if args.peer == Peer::Synapse && (args.wants(Scenario::Idle) || args.wants(Scenario::Reconnect))
    {
        anyhow::bail!("against Synapse only the latency and fanout scenarios run (it has no sockets to hold idle, and a sync loop resumes from its own token)");
    }
    let ctx = scenarios::Ctx {
        peer: args.peer,
        tracker: Arc::default(),
        frames: Arc::new(AtomicU64::new(0)),
        progress: progress_bar(),
        next_tag: AtomicU64::new(u64::from(rand::random::<u32>()) * 1_000),
        spread: args.spread.clone(),
        node_metrics: args.node_metrics.clone(),
    };
    let population = Population::set_up(&args, &base, &ctx.progress).await?;
    let mut report = empty_report(args.peer, base);
    for &scenario in &args.scenarios {
        run_scenario(scenario, &args, &ctx, &population, &mut report).await?;
    }
    ctx.progress.finish_and_clear();
    report.finished_at_unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    report.host = Some(report::Host::since(ticks));
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)?;
    }
    finish(&report, &peers, &args)?;
    Ok(report.all_met(&peers))
}

/// Prints the tables and draws the chart, if asked for.
fn finish(report: &Report, peers: &[Report], args: &BenchArgs) -> anyhow::Result<()> {
    println!("{}", report.table(peers));
    if let Some(path) = &args.chart {
        let all: Vec<&Report> = std::iter::once(report).chain(peers).collect();
        std::fs::write(path, report::chart::svg(&all))?;
    }
    Ok(())
}

/// A saved run: the JSON `--json` wrote.
fn read_report(path: &Path) -> anyhow::Result<Report> {
    Ok(serde_json::from_str(&std::fs::read_to_string(path)?)?)
}

/// A report of `peer` at `url` with nothing measured yet.
fn empty_report(peer: Peer, url: String) -> Report {
    Report {
        target: match peer {
            Peer::Messgo => "MessGo".into(),
            Peer::Socketio => "Socket.IO 4 peer".into(),
            Peer::Synapse => "Matrix Synapse".into(),
        },
        url,
        machine: report::Machine::here(),
        finished_at_unix: 0,
        host: None,
        idle: None,
        latency: None,
        fanout: Vec::new(),
        reconnect: None,
    }
}

/// Runs one scenario and puts its result in `report`.
async fn run_scenario(
    scenario: Scenario,
    args: &BenchArgs,
    ctx: &scenarios::Ctx,
    population: &Population,
    report: &mut Report,
) -> Result<(), BenchError> {
    let users = &population.users;
    match scenario {
        Scenario::Idle => {
            report.idle = Some(scenarios::idle::run(ctx, users, args.idle, args.server_pid).await?);
        }
        Scenario::Latency => {
            let direct = &population.direct;
            let plan = scenarios::latency::Plan {
                start: args.start_rate,
                min: args.min_rate,
                max: args.max_rate,
                precision: args.precision,
                max_steps: args.max_steps,
                at_rates: &args.at_rates,
                step_secs: args.step_secs,
            };
            let l = scenarios::latency::run(ctx, users, direct, &plan).await?;
            if args.peer == Peer::Messgo {
                if let Some(plan) = direct.first() {
                    setup::verify_one(users, plan, scenarios::TEXT).await?;
                }
            }
            report.latency = Some(l);
        }
        Scenario::Fanout => {
            let ladder = scenarios::fanout::Ladder {
                start: args.fanout_start,
                max: args.fanout_max,
                max_messages_per_sec: args.fanout_message_cap,
                precision: args.precision,
                max_steps: args.max_steps,
                secs: args.fanout_secs,
            };
            for &size in &args.groups {
                let plan = population.group(size);
                let steps = scenarios::fanout::run(ctx, users, plan, &ladder).await?;
                report.fanout.extend(steps);
            }
        }
        Scenario::Reconnect => {
            let plan = population.largest_group();
            report.reconnect = Some(
                scenarios::reconnect::run(ctx, users, plan, args.reconnect, args.missed).await?,
            );
        }
    }
    Ok(())
}

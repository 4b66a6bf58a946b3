//! `messgo bench`: an open-loop load generator for MessGo (or, through its
//! Socket.IO adapter, for the peer in `peers/socketio`).
//!
//! Every message is sealed for real (AES-256-GCM, Ed25519) ahead of its slot, sent
//! at its scheduled time whether or not the server has kept up, and timed from that
//! scheduled time, so a stalled server shows as latency instead of hiding it.

mod fleet;
mod report;
mod scenarios;
mod setup;
mod wire;

use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

pub use report::Report;
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    /// Ramp to --idle sockets and read the server's memory per connection.
    Idle,
    /// 1:1 send → deliver latency over the --rates ladder.
    Latency,
    /// One sender to groups of each --groups size.
    Fanout,
    /// --reconnect clients drop, miss messages, and return at once.
    Reconnect,
}

#[derive(Args, Clone, Debug)]
pub struct BenchArgs {
    /// The server's origin.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// Which protocol the server speaks.
    #[arg(long, value_enum, default_value = "messgo")]
    pub peer: Peer,
    /// Scenarios to run, in this order.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "idle,latency,fanout,reconnect"
    )]
    pub scenarios: Vec<Scenario>,
    /// The server's process id, to read its memory (idle scenario).
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Idle sockets to hold open at once.
    #[arg(long, default_value_t = 19_000)]
    pub idle: usize,
    /// 1:1 offered rates (messages/s), tried in order until the server saturates
    /// (acks fall 10% behind the offered rate, or a message is lost).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "5000,10000,20000,25000,30000,35000,40000,50000,60000,80000,100000"
    )]
    pub rates: Vec<u32>,
    /// Seconds each rate is held.
    #[arg(long, default_value_t = 5.0)]
    pub step_secs: f64,
    /// 1:1 chats sending at once (each its own pair of users and sockets).
    #[arg(long, default_value_t = 200)]
    pub pairs: usize,
    /// Group sizes for the fan-out scenario (members, the sender included).
    #[arg(long, value_delimiter = ',', default_value = "10,100,1000")]
    pub groups: Vec<usize>,
    /// Deliveries per second offered to each group, one step after another until a
    /// step loses anything or falls behind.
    #[arg(
        long,
        value_delimiter = ',',
        value_parser = at_least_one,
        default_value = "100000,200000,300000,400000,500000,600000,800000,1000000,1250000,1500000,2000000"
    )]
    pub fanout_rates: Vec<f64>,
    /// Most messages per second offered to a group: a small group at the full
    /// delivery rate would measure the durable write path instead of fan-out.
    #[arg(long, default_value_t = 5_000.0, value_parser = at_least_one)]
    pub fanout_message_cap: f64,
    /// Seconds each fan-out runs.
    #[arg(long, default_value_t = 3.0)]
    pub fanout_secs: f64,
    /// Clients in the reconnect storm (sockets of the largest group's members).
    #[arg(long, default_value_t = 10_000)]
    pub reconnect: usize,
    /// Messages each returning client missed.
    #[arg(long, default_value_t = 10)]
    pub missed: usize,
    /// Write the results as JSON here.
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
    /// A previous run's JSON (the peer's) to compare with, side by side.
    #[arg(long, value_name = "PATH")]
    pub compare: Option<PathBuf>,
    /// Print the tables of a saved run (its JSON) instead of running.
    #[arg(long, value_name = "PATH")]
    pub report: Option<PathBuf>,
    /// Exit with status 3 unless every target is met.
    #[arg(long)]
    pub require_targets: bool,
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
    let peer_report: Option<Report> = match &args.compare {
        Some(path) => Some(serde_json::from_str(&std::fs::read_to_string(path)?)?),
        None => None,
    };
    if let Some(path) = &args.report {
        let saved: Report = serde_json::from_str(&std::fs::read_to_string(path)?)?;
        println!("{}", saved.table(peer_report.as_ref()));
        return Ok(saved.all_met(peer_report.as_ref()));
    }
    let base = args.url.trim_end_matches('/').to_owned();
    let ctx = scenarios::Ctx {
        peer: args.peer,
        tracker: Arc::default(),
        frames: Arc::new(AtomicU64::new(0)),
        progress: progress_bar(),
        next_tag: AtomicU64::new(rand::random::<u32>() as u64 * 1_000),
    };
    let wants = |s| args.scenarios.contains(&s);
    let largest_group = args.groups.iter().copied().max().unwrap_or(0);
    let mut population = 0;
    if wants(Scenario::Latency) {
        population = population.max(2 * args.pairs);
    }
    if wants(Scenario::Fanout) || wants(Scenario::Reconnect) {
        population = population.max(largest_group.max(2));
    }
    if wants(Scenario::Idle) {
        population = population.max(args.idle.div_ceil(100).max(1));
    }
    let users = setup::users(args.peer, &base, rand::random(), population, &ctx.progress).await?;

    // Who must be connected to whom: the 1:1 pairs, and the groups' admin (user 0)
    // with every member.
    let pairs: Vec<(usize, usize)> = if wants(Scenario::Latency) {
        (0..args.pairs).map(|i| (2 * i, 2 * i + 1)).collect()
    } else {
        vec![]
    };
    let admin_links: Vec<(usize, usize)> = if wants(Scenario::Fanout) || wants(Scenario::Reconnect)
    {
        (1..largest_group)
            .filter(|&m| !pairs.contains(&(0, m)))
            .map(|m| (0, m))
            .collect()
    } else {
        vec![]
    };
    if args.peer == Peer::Messgo {
        setup::connect(
            &users,
            &[pairs.clone(), admin_links].concat(),
            &ctx.progress,
        )
        .await?;
    }
    let direct = setup::direct_chats(args.peer, &users, &pairs).await?;
    let mut groups = Vec::new();
    if wants(Scenario::Fanout) || wants(Scenario::Reconnect) {
        ctx.progress.set_message("creating groups");
        let mut sizes = if wants(Scenario::Fanout) {
            args.groups.clone()
        } else {
            vec![largest_group]
        };
        sizes.sort_unstable();
        sizes.dedup();
        for size in sizes {
            groups.push(setup::group(args.peer, &users, (0..size).collect()).await?);
        }
    }

    let mut report = Report {
        target: match args.peer {
            Peer::Messgo => "MessGo".into(),
            Peer::Socketio => "Socket.IO 4 peer".into(),
        },
        url: base.clone(),
        machine: report::Machine::here(),
        finished_at_unix: 0,
        idle: None,
        latency: None,
        fanout: Vec::new(),
        reconnect: None,
    };
    for scenario in &args.scenarios {
        match scenario {
            Scenario::Idle => {
                report.idle = Some(scenarios::idle(&ctx, &users, args.idle, args.server_pid).await?)
            }
            Scenario::Latency => {
                let l =
                    scenarios::latency(&ctx, &users, &direct, &args.rates, args.step_secs).await?;
                if args.peer == Peer::Messgo {
                    if let Some(plan) = direct.first() {
                        setup::verify_one(&users, plan, scenarios::TEXT).await?;
                    }
                }
                report.latency = Some(l);
            }
            Scenario::Fanout => {
                for size in &args.groups {
                    let plan = groups
                        .iter()
                        .find(|g| g.members.len() == *size)
                        .expect("made above");
                    let steps = scenarios::fanout(
                        &ctx,
                        &users,
                        plan,
                        &args.fanout_rates,
                        args.fanout_message_cap,
                        args.fanout_secs,
                    )
                    .await?;
                    report.fanout.extend(steps);
                }
            }
            Scenario::Reconnect => {
                let plan = groups
                    .iter()
                    .max_by_key(|g| g.members.len())
                    .expect("made above");
                report.reconnect = Some(
                    scenarios::reconnect(&ctx, &users, plan, args.reconnect, args.missed).await?,
                );
            }
        }
    }
    ctx.progress.finish_and_clear();
    report.finished_at_unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    println!("{}", report.table(peer_report.as_ref()));
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)?;
    }
    Ok(report.all_met(peer_report.as_ref()))
}

/// A rate of at least one a second.
fn at_least_one(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 1.0 => Ok(v),
        _ => Err(format!("`{s}` is not a rate of at least 1 per second")),
    }
}

#[cfg(test)]
mod tests {
    use super::at_least_one;

    #[test]
    fn rates_below_one_per_second_are_refused_with_a_reason() {
        assert_eq!(at_least_one("2000000"), Ok(2_000_000.0));
        assert_eq!(at_least_one("1"), Ok(1.0));
        for bad in ["0.5", "0", "-3", "NaN", "inf", "fast"] {
            let e = at_least_one(bad).unwrap_err();
            assert!(e.contains(bad), "{e}");
        }
    }
}

//! `messgo crash-soak`: "nothing lost" under kill -9, many times over, and torn
//! writes. Drives the real server binary on a data directory from outside, so it
//! holds whatever the storage engine is:
//!
//! - a seed directory: the server started once, everyone registered, connected and
//!   given chats and epoch keys, then stopped cleanly;
//! - kill trials, all on one copy of the seed: load from every sender at a steady
//!   rate, `kill -9` at a random moment, restart on the same files, read everything
//!   new back and judge it against what the clients were told (`check.rs`); the
//!   next trial sends again whatever went unanswered, as a client would; at the end
//!   every chat is read again from its start;
//! - torn trials, each on a fresh copy of the seed: load, kill, cut the newest file
//!   (of all, or of the message log's segments, in turn: `cut.rs`), restart, judge
//!   (`torn.rs`).

mod args;
mod check;
mod cut;
mod ledger;
mod load;
mod node;
mod people;
mod report;
mod torn;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::Rng;

pub use args::CrashArgs;
use check::{judge, read_all_again, read_room, Seen, Tally};
use ledger::Ledger;
use node::{copy_dir, Launch};
use people::People;
use report::{CrashReport, KillTrial};
use torn::TornTrial;

/// Runs both soaks, prints (and writes) the report; returns whether every
/// assertion held (0 lost, 0 duplicated, every torn trial whole).
pub fn run(args: &CrashArgs) -> anyhow::Result<bool> {
    let temp = tempfile::tempdir()?;
    let root = args
        .keep
        .clone()
        .unwrap_or_else(|| temp.path().to_path_buf());
    std::fs::create_dir_all(&root)?;
    let launch = Launch {
        exe: std::env::current_exe()?,
        cpu: args.server_cpu,
        extra: args.server_args.clone(),
        log: root.join("serve.log"),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let seed = fresh(&root.join("seed"))?;
    let node = launch.start(&seed)?;
    let mut people = rt.block_on(People::make(
        &node.url,
        args.direct,
        args.groups,
        args.group_size,
    ))?;
    node.stop()?;
    let before = crate::bench::soak::cpu_ticks();
    let mut report = CrashReport::new(args, &people);
    let dir = fresh(&root.join("kill"))?;
    copy_dir(&seed, &dir)?;
    let (kills, final_check) = kill_trials(args, &launch, &rt, &mut people, &dir)?;
    report.kill = kills;
    report.final_check = final_check;
    for i in 0..args.torn_trials {
        let dir = fresh(&root.join(format!("torn-{i}")))?;
        copy_dir(&seed, &dir)?;
        let only = args
            .cut_file
            .get(i % args.cut_file.len().max(1))
            .map(String::as_str)
            .filter(|f| *f != "any");
        let trial = torn_trial(args, only, &launch, &rt, &mut people, &dir)?;
        eprintln!(
            "torn {}/{}: {}",
            i + 1,
            args.torn_trials,
            report::torn_line(&trial)
        );
        report.torn.push(trial);
        if args.keep.is_none() {
            std::fs::remove_dir_all(&dir)?;
        }
    }
    report.finish(crate::bench::soak::Host::since(before));
    println!("{}", report.table());
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)?;
    }
    Ok(report.met())
}

/// An empty directory at `path`.
fn fresh(path: &Path) -> std::io::Result<PathBuf> {
    if path.exists() {
        std::fs::remove_dir_all(path)?;
    }
    std::fs::create_dir_all(path)?;
    Ok(path.to_path_buf())
}

fn kill_moment(args: &CrashArgs) -> Duration {
    let (lo, hi) = (args.min_secs.max(0.0), args.max_secs.max(args.min_secs));
    Duration::from_secs_f64(rand::thread_rng().gen_range(lo..=hi))
}

/// The kill trials on `dir`, then the read-again of everything.
fn kill_trials(
    args: &CrashArgs,
    launch: &Launch,
    rt: &tokio::runtime::Runtime,
    people: &mut People,
    dir: &Path,
) -> anyhow::Result<(Vec<KillTrial>, Tally)> {
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let mut seen = Seen::new(people.rooms.len());
    let mut node = launch.start(dir)?;
    people.rebase(&node.url);
    let mut trials = Vec::with_capacity(args.trials);
    for i in 0..args.trials {
        let t0 = Instant::now();
        let after = kill_moment(args);
        let running = node;
        let load = rt.block_on(load::drive(
            people,
            &ledger,
            args.rate,
            &format!("k{i}"),
            after,
            || running.kill9(),
        ))?;
        node = launch.start(dir)?;
        people.rebase(&node.url);
        let mut book = ledger
            .lock()
            .map_err(|_| anyhow::anyhow!("ledger poisoned"))?;
        let mut tally = Tally::default();
        for r in 0..people.rooms.len() {
            let found = rt.block_on(read_room(people, r, seen.last_seq[r]))?;
            seen.take(r, &found, &mut book, &mut tally);
        }
        judge(&mut book, &mut tally);
        let trial = KillTrial {
            kill_after_secs: after.as_secs_f64(),
            sent: load.sent,
            resent: load.resent,
            tally,
            restart_ms: node.started_in.as_secs_f64() * 1e3,
            secs: t0.elapsed().as_secs_f64(),
        };
        eprintln!(
            "kill {}/{}: {}",
            i + 1,
            args.trials,
            report::kill_line(&trial)
        );
        trials.push(trial);
    }
    let mut book = ledger
        .lock()
        .map_err(|_| anyhow::anyhow!("ledger poisoned"))?;
    let again = rt.block_on(read_all_again(people, &mut book))?;
    node.stop()?;
    Ok((trials, again))
}

/// One torn trial on `dir` (a fresh copy of the seed).
fn torn_trial(
    args: &CrashArgs,
    only: Option<&str>,
    launch: &Launch,
    rt: &tokio::runtime::Runtime,
    people: &mut People,
    dir: &Path,
) -> anyhow::Result<TornTrial> {
    let t0 = Instant::now();
    let node = launch.start(dir)?;
    people.rebase(&node.url);
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let after = kill_moment(args);
    rt.block_on(load::drive(
        people,
        &ledger,
        args.rate,
        "torn",
        after,
        || node.kill9(),
    ))?;
    let cut = cut::cut_newest(dir, only, &mut rand::thread_rng())?;
    let mut trial = TornTrial::new(cut, after.as_secs_f64());
    match launch.start(dir) {
        Err(e) => trial.start_failed = Some(e.to_string()),
        Ok(node) => {
            trial.restart_ms = node.started_in.as_secs_f64() * 1e3;
            people.rebase(&node.url);
            let mut book = ledger
                .lock()
                .map_err(|_| anyhow::anyhow!("ledger poisoned"))?;
            rt.block_on(torn::judge_torn(people, &mut book, &mut trial))?;
            drop(book);
            // The copy is thrown away: no need for a clean stop.
            node.kill9()?;
        }
    }
    trial.secs = t0.elapsed().as_secs_f64();
    Ok(trial)
}

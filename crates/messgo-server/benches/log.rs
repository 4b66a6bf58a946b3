//! The message log's hot paths (docs/storage.md): a commit of 256 messages (one
//! write, one fdatasync), store + erase per message in process CPU time (the
//! target: at most 5 µs at 256 per commit), a resume of the last 10 messages of a
//! chat, the drop of an expired bucket, and a start: reading a log of 200,000 live
//! messages back, with the index's memory per message (the process's resident size
//! before and after, printed beside the timing).

// A benchmark harness: a failed step panics, and that panic is the report.
#![allow(
    clippy::unwrap_used,
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap
)]

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use messgo_server::store::log::record::LogRow;
use messgo_server::store::log::store::{From, Log};
use messgo_server::store::log::BUCKET_MS;
use rand::{Rng, RngCore};
use uuid::Uuid;

const PER_COMMIT: usize = 256;
const CHATS: usize = 10_000;

struct Feed {
    chats: Vec<Uuid>,
    seqs: Vec<i64>,
}

impl Feed {
    fn new() -> Feed {
        Feed {
            chats: (0..CHATS).map(|_| Uuid::new_v4()).collect(),
            seqs: vec![0; CHATS],
        }
    }

    /// A commit's worth of 400-byte messages to random chats, expiring in `bucket`.
    fn batch(&mut self, bucket: i64) -> Vec<LogRow> {
        let mut rng = rand::thread_rng();
        (0..PER_COMMIT)
            .map(|_| {
                let c = rng.gen_range(0..CHATS);
                self.seqs[c] += 1;
                let mut ciphertext = vec![0u8; 400];
                rng.fill_bytes(&mut ciphertext);
                LogRow {
                    chat_id: self.chats[c],
                    seq: self.seqs[c],
                    id: Uuid::now_v7(),
                    sender: Some(Uuid::new_v4()),
                    epoch: 1,
                    system: None,
                    nonce: Some(vec![1; 12]),
                    ciphertext: Some(ciphertext),
                    signature: Some(vec![3; 64]),
                    created_at: 0,
                    expires_at: bucket * BUCKET_MS,
                    deleted: false,
                    blobs: Vec::new(),
                }
            })
            .collect()
    }
}

fn log_paths(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::open(dir.path()).unwrap();
    let mut feed = Feed::new();
    let mut g = c.benchmark_group("log");
    g.throughput(Throughput::Elements(PER_COMMIT as u64));
    g.bench_function("append a commit of 256 (fsynced)", |b| {
        b.iter_batched(
            || feed.batch(1),
            |rows| log.append(&rows).unwrap(),
            BatchSize::SmallInput,
        )
    });
    // Store and erase, in the process's CPU time: commits into the newest bucket, and
    // every 40 commits (10,240 messages) the oldest bucket dropped, 24 kept live.
    let mut bucket = 2;
    let mut commits = 0;
    g.bench_function("store + erase per commit of 256, CPU time", |b| {
        b.iter_custom(|iters| {
            // Making the messages is the clients' work, not the store's: untimed.
            let mut took = Duration::ZERO;
            for _ in 0..iters {
                let rows = feed.batch(bucket);
                let start = cpu_time::ProcessTime::now();
                log.append(&rows).unwrap();
                commits += 1;
                if commits % 40 == 0 {
                    bucket += 1;
                    log.drop_expired((bucket - 24) * BUCKET_MS).unwrap();
                }
                took += start.elapsed();
            }
            took
        })
    });
    let chat = feed.chats[0];
    let last = log.last_seq(chat);
    g.throughput(Throughput::Elements(10));
    g.bench_function("resume the last 10 messages of a chat", |b| {
        b.iter(|| {
            let rows = log.page(chat, 0, From::After(last - 10), 64, 0).unwrap();
            assert!(rows.len() <= 10);
        })
    });
    g.finish();
    let mut g = c.benchmark_group("log bucket");
    g.sample_size(10);
    g.throughput(Throughput::Elements(40 * PER_COMMIT as u64));
    g.bench_function("drop an expired bucket of 10,240 messages", |b| {
        // The bucket is filled outside the timed part.
        b.iter_custom(|iters| {
            let mut took = Duration::ZERO;
            for _ in 0..iters {
                bucket += 1;
                for _ in 0..40 {
                    log.append(&feed.batch(bucket)).unwrap();
                }
                let start = std::time::Instant::now();
                log.drop_expired(bucket * BUCKET_MS).unwrap();
                took += start.elapsed();
            }
            took
        })
    });
    g.finish();
}

/// The process's resident bytes now.
fn resident() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

fn log_start(c: &mut Criterion) {
    const MESSAGES: usize = 200_000;
    let dir = tempfile::tempdir().unwrap();
    let mut feed = Feed::new();
    {
        let mut log = Log::open(dir.path()).unwrap();
        // Six buckets' worth, as a server with a few timers would hold.
        for i in 0..MESSAGES / PER_COMMIT {
            log.append(&feed.batch(100 + (i % 6) as i64)).unwrap();
        }
    }
    let before = resident();
    let log = Log::open(dir.path()).unwrap();
    let after = resident();
    assert_eq!(log.size().0, MESSAGES / PER_COMMIT * PER_COMMIT);
    eprintln!(
        "log start: the index of {} messages in {CHATS} chats takes {} bytes per message (resident size {} → {} MiB)",
        log.size().0,
        after.saturating_sub(before) / log.size().0 as u64,
        before >> 20,
        after >> 20
    );
    drop(log);
    let mut g = c.benchmark_group("log start");
    g.sample_size(10);
    g.throughput(Throughput::Elements(MESSAGES as u64));
    g.bench_function("open a log of 200,000 live messages", |b| {
        b.iter(|| Log::open(dir.path()).unwrap())
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(5));
    targets = log_paths, log_start
}
criterion_main!(benches);

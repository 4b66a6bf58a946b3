//! The storage design study (issue 20): what storing and later erasing a message
//! costs in each candidate SQLite layout, measured the same way in one run.
//!
//! `cargo bench -p messgo-server --bench storage_design` (add `-- --quick` for a
//! short run). Each layout gets a fresh file with the server's pragmas (WAL,
//! synchronous FULL, secure_delete, incremental auto-vacuum), a chats table of
//! 10,000 chats, and a steady state of live expiry buckets. Then, bucket after
//! bucket: commits of 256 messages (400-byte ciphertexts to random chats, one
//! fsynced transaction each, with the chats' counters updated as the batch append
//! does), and at each bucket's end the oldest bucket is erased. Reported per
//! message: process CPU time (SQLite runs on sqlx's thread in this process) and
//! bytes handed to write(2) (WAL and checkpoints), and the time of a resume (the
//! last 10 messages of a chat).
//!
//! Layouts:
//! - `today`: the current schema (rowid table, primary key (chat, seq), unique id,
//!   an expiry index); expired rows deleted through the expiry index.
//! - `bucketed`: arrival order as the rowid, an expiry-bucket column and index; a
//!   bucket deleted as a range.
//! - `bucketed+sealed`: the same, each ciphertext sealed again under its bucket's
//!   key (AES-256-GCM), and the bucket deleted without secure_delete: destroying the
//!   key is what makes its bytes unreadable.
//! - `table per bucket`: each bucket its own table and indexes, dropped whole; a
//!   resume reads every live bucket.
//! - `segment log`: no SQLite for messages; each bucket an append-only file of
//!   records sealed under the bucket's key, fdatasync'd per commit, an in-memory
//!   index by (chat, seq), counters in memory; a bucket erased by deleting its file
//!   and its key. (Recovery, torn tails and single-message erasure are not modelled:
//!   this is the cost of the steady state.)

// A benchmark harness: a failed step panics, and that panic is the report.
#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]

use std::time::{Duration, Instant};

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use rand::{Rng, RngCore};
use sqlx::sqlite::{SqliteAutoVacuum, SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, SqliteConnection};

const CHATS: usize = 10_000;
const PER_COMMIT: usize = 256;
const PAYLOAD: usize = 400;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Layout {
    Today,
    Bucketed,
    Sealed,
    TablePerBucket,
}

impl Layout {
    fn name(self) -> &'static str {
        match self {
            Layout::Today => "today",
            Layout::Bucketed => "bucketed",
            Layout::Sealed => "bucketed+sealed",
            Layout::TablePerBucket => "table per bucket",
        }
    }
}

struct Shape {
    commits_per_bucket: usize,
    live_buckets: usize,
    measured_buckets: usize,
}

struct Run {
    conn: SqliteConnection,
    layout: Layout,
    seqs: Vec<i64>,
    chat_ids: Vec<Vec<u8>>,
    keys: Vec<Aes256Gcm>,
    oldest: usize,
    newest: usize,
}

async fn open(path: &std::path::Path) -> SqliteConnection {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .auto_vacuum(SqliteAutoVacuum::Incremental)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .pragma("secure_delete", "ON")
        .pragma("wal_autocheckpoint", "10000")
        .pragma("cache_size", "-32768")
        .pragma("temp_store", "MEMORY")
        .connect()
        .await
        .unwrap()
}

const TODAY: &str = "CREATE TABLE messages (chat_id BLOB NOT NULL, seq INTEGER NOT NULL, \
    id BLOB NOT NULL, sender BLOB, epoch INTEGER NOT NULL, nonce BLOB, ciphertext BLOB, \
    signature BLOB, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, \
    PRIMARY KEY (chat_id, seq)) STRICT; \
    CREATE UNIQUE INDEX messages_id ON messages(id); \
    CREATE INDEX messages_expiry ON messages(expires_at);";

const BUCKETED: &str = "CREATE TABLE messages (arrival INTEGER PRIMARY KEY, \
    bucket INTEGER NOT NULL, chat_id BLOB NOT NULL, seq INTEGER NOT NULL, \
    id BLOB NOT NULL, sender BLOB, epoch INTEGER NOT NULL, nonce BLOB, ciphertext BLOB, \
    signature BLOB, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL) STRICT; \
    CREATE UNIQUE INDEX messages_chat ON messages(chat_id, seq); \
    CREATE UNIQUE INDEX messages_id ON messages(id); \
    CREATE INDEX messages_bucket ON messages(bucket);";

fn bucket_table(b: usize) -> String {
    format!(
        "CREATE TABLE m{b} (chat_id BLOB NOT NULL, seq INTEGER NOT NULL, id BLOB NOT NULL, \
         sender BLOB, epoch INTEGER NOT NULL, nonce BLOB, ciphertext BLOB, signature BLOB, \
         created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (chat_id, seq)) STRICT; \
         CREATE UNIQUE INDEX m{b}_id ON m{b}(id);"
    )
}

impl Run {
    async fn new(dir: &std::path::Path, layout: Layout) -> Run {
        let mut conn = open(&dir.join(format!("{}.db", layout.name().replace(' ', "_")))).await;
        let schema = match layout {
            Layout::Today => TODAY.to_owned(),
            Layout::Bucketed | Layout::Sealed => BUCKETED.to_owned(),
            Layout::TablePerBucket => bucket_table(0),
        };
        let ddl = format!(
            "CREATE TABLE chats (id BLOB PRIMARY KEY, seq INTEGER NOT NULL, last_activity_at INTEGER NOT NULL) STRICT; {schema}"
        );
        sqlx::raw_sql(&ddl).execute(&mut conn).await.unwrap();
        let chat_ids: Vec<Vec<u8>> = (0..CHATS)
            .map(|_| uuid::Uuid::new_v4().as_bytes().to_vec())
            .collect();
        let mut tx = conn.begin().await.unwrap();
        for id in &chat_ids {
            sqlx::query("INSERT INTO chats VALUES ($1, 0, 0)")
                .bind(id)
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
        Run {
            conn,
            layout,
            seqs: vec![0; CHATS],
            chat_ids,
            keys: vec![new_key()],
            oldest: 0,
            newest: 0,
        }
    }

    /// One fsynced transaction of `PER_COMMIT` messages into the newest bucket.
    async fn commit(&mut self) {
        let mut rng = rand::thread_rng();
        let b = self.newest;
        let mut rows = Vec::with_capacity(PER_COMMIT);
        for _ in 0..PER_COMMIT {
            let chat = rng.gen_range(0..CHATS);
            self.seqs[chat] += 1;
            let mut ciphertext = vec![0u8; PAYLOAD];
            rng.fill_bytes(&mut ciphertext);
            if self.layout == Layout::Sealed {
                let mut nonce = [0u8; 12];
                rng.fill_bytes(&mut nonce);
                let mut sealed = nonce.to_vec();
                sealed.extend(
                    self.keys[b - self.oldest]
                        .encrypt(Nonce::from_slice(&nonce), ciphertext.as_slice())
                        .unwrap(),
                );
                ciphertext = sealed;
            }
            rows.push((chat, self.seqs[chat], ciphertext));
        }
        // The batch append writes a batch's rows in (chat, seq) order.
        rows.sort_by_key(|r| (self.chat_ids[r.0].clone(), r.1));
        let now = b as i64;
        let (table, bucket_col) = match self.layout {
            Layout::Today => ("messages".to_owned(), false),
            Layout::Bucketed | Layout::Sealed => ("messages".to_owned(), true),
            Layout::TablePerBucket => (format!("m{b}"), false),
        };
        let cols = if bucket_col { 11 } else { 10 };
        // `?`, not `$n`: sqlx looks up each numbered parameter's name, a scan of
        // all of them, which made binding quadratic in the batch.
        let row = format!("({})", vec!["?"; cols].join(","));
        let values = vec![row; rows.len()];
        let sql = format!(
            "INSERT INTO {table} ({}chat_id, seq, id, sender, epoch, nonce, ciphertext, signature, created_at, expires_at) VALUES {}",
            if bucket_col { "bucket, " } else { "" },
            values.join(",")
        );
        let mut q = sqlx::query(&sql);
        for (chat, seq, ciphertext) in &rows {
            if bucket_col {
                q = q.bind(b as i64);
            }
            q = q
                .bind(self.chat_ids[*chat].clone())
                .bind(*seq)
                .bind(uuid::Uuid::now_v7().as_bytes().to_vec())
                .bind(vec![9u8; 16])
                .bind(1_i64)
                .bind(vec![1u8; 12])
                .bind(ciphertext.clone())
                .bind(vec![3u8; 64])
                .bind(now)
                .bind(now);
        }
        let mut tx = self.conn.begin().await.unwrap();
        q.execute(&mut *tx).await.unwrap();
        let mut touched: Vec<usize> = rows.iter().map(|r| r.0).collect();
        touched.sort_unstable();
        touched.dedup();
        // One statement for the batch's counters, as the batch append does.
        let values = vec!["(?, ?, ?)"; touched.len()].join(", ");
        let sql = format!(
            "WITH v(id, seq, at) AS (VALUES {values}) \
             UPDATE chats SET seq = v.seq, last_activity_at = v.at FROM v WHERE chats.id = v.id"
        );
        let mut q = sqlx::query(&sql);
        for chat in touched {
            q = q.bind(&self.chat_ids[chat]).bind(self.seqs[chat]).bind(now);
        }
        q.execute(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
    }

    /// Opens the next bucket.
    async fn next_bucket(&mut self) {
        self.newest += 1;
        self.keys.push(new_key());
        if self.layout == Layout::TablePerBucket {
            sqlx::raw_sql(&bucket_table(self.newest))
                .execute(&mut self.conn)
                .await
                .unwrap();
        }
    }

    /// Erases the oldest bucket, as the sweep would once it has expired.
    async fn erase_oldest(&mut self) {
        let b = self.oldest as i64;
        match self.layout {
            Layout::Today => {
                sqlx::query("DELETE FROM messages WHERE expires_at <= $1")
                    .bind(b)
                    .execute(&mut self.conn)
                    .await
                    .unwrap();
            }
            Layout::Bucketed => {
                sqlx::query("DELETE FROM messages WHERE bucket = $1")
                    .bind(b)
                    .execute(&mut self.conn)
                    .await
                    .unwrap();
            }
            Layout::Sealed => {
                // The key goes first (in the server: overwritten in its key file).
                self.keys.remove(0);
                sqlx::raw_sql("PRAGMA secure_delete = OFF")
                    .execute(&mut self.conn)
                    .await
                    .unwrap();
                sqlx::query("DELETE FROM messages WHERE bucket = $1")
                    .bind(b)
                    .execute(&mut self.conn)
                    .await
                    .unwrap();
                sqlx::raw_sql("PRAGMA secure_delete = ON")
                    .execute(&mut self.conn)
                    .await
                    .unwrap();
            }
            Layout::TablePerBucket => {
                sqlx::raw_sql(&format!("DROP TABLE m{b}"))
                    .execute(&mut self.conn)
                    .await
                    .unwrap();
            }
        }
        if self.layout != Layout::Sealed {
            self.keys.remove(0);
        }
        self.oldest += 1;
        // The sweep's compaction: free pages back to the file system, WAL emptied.
        sqlx::raw_sql("PRAGMA incremental_vacuum; PRAGMA wal_checkpoint(TRUNCATE);")
            .execute(&mut self.conn)
            .await
            .unwrap();
    }

    /// Reads the last 10 messages of one chat; returns how long it took.
    async fn resume(&mut self, chat: usize) -> Duration {
        let after = (self.seqs[chat] - 10).max(0);
        let sql = match self.layout {
            Layout::TablePerBucket => (self.oldest..=self.newest)
                .map(|b| format!("SELECT seq, ciphertext FROM m{b} WHERE chat_id = $1 AND seq > $2"))
                .collect::<Vec<_>>()
                .join(" UNION ALL ")
                + " ORDER BY seq LIMIT 64",
            Layout::Today | Layout::Bucketed | Layout::Sealed => {
                "SELECT seq, ciphertext FROM messages WHERE chat_id = $1 AND seq > $2 ORDER BY seq LIMIT 64".into()
            }
        };
        let started = Instant::now();
        let rows = sqlx::query(&sql)
            .bind(&self.chat_ids[chat])
            .bind(after)
            .fetch_all(&mut self.conn)
            .await
            .unwrap();
        let took = started.elapsed();
        assert!(rows.len() <= 64);
        took
    }
}

fn new_key() -> Aes256Gcm {
    let mut key = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut key);
    Aes256Gcm::new_from_slice(&key).unwrap()
}

/// Bytes this process has handed to write(2) so far.
fn written() -> u64 {
    let io = std::fs::read_to_string("/proc/self/io").unwrap_or_default();
    io.lines()
        .find_map(|l| l.strip_prefix("wchar: "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

struct Figures {
    cpu_us: f64,
    bytes: f64,
    resume_us: f64,
}

async fn measure(dir: &std::path::Path, layout: Layout, shape: &Shape) -> Figures {
    let mut run = Run::new(dir, layout).await;
    // The steady state: `live_buckets` full buckets before anything is measured.
    for _ in 0..shape.live_buckets {
        for _ in 0..shape.commits_per_bucket {
            run.commit().await;
        }
        run.next_bucket().await;
    }
    let (cpu0, w0) = (cpu_time::ProcessTime::now(), written());
    for _ in 0..shape.measured_buckets {
        for _ in 0..shape.commits_per_bucket {
            run.commit().await;
        }
        run.next_bucket().await;
        run.erase_oldest().await;
    }
    let cpu = cpu0.elapsed();
    let bytes = written() - w0;
    let messages = (shape.measured_buckets * shape.commits_per_bucket * PER_COMMIT) as f64;
    let mut resume = Duration::ZERO;
    for i in 0..200 {
        resume += run.resume(i * (CHATS / 200)).await;
    }
    Figures {
        cpu_us: cpu.as_secs_f64() * 1e6 / messages,
        bytes: bytes as f64 / messages,
        resume_us: resume.as_secs_f64() * 1e6 / 200.0,
    }
}

/// A live bucket of the log: its file, its key, and its records' index keys.
type Bucket = (std::fs::File, Aes256Gcm, Vec<(u32, i64)>);

/// The segment log's state.
struct Log {
    dir: std::path::PathBuf,
    buckets: std::collections::VecDeque<Bucket>,
    index: std::collections::BTreeMap<(u32, i64), (usize, u64, u32)>,
    seqs: Vec<i64>,
    oldest: usize,
}

impl Log {
    fn new(dir: &std::path::Path) -> Log {
        let dir = dir.join("log");
        std::fs::create_dir_all(&dir).unwrap();
        let mut log = Log {
            dir,
            buckets: Default::default(),
            index: Default::default(),
            seqs: vec![0; CHATS],
            oldest: 0,
        };
        log.next_bucket();
        log
    }

    fn next_bucket(&mut self) {
        let b = self.oldest + self.buckets.len();
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(self.dir.join(format!("{b}.seg")))
            .unwrap();
        self.buckets.push_back((file, new_key(), Vec::new()));
    }

    fn commit(&mut self) {
        use std::io::Write;
        let mut rng = rand::thread_rng();
        let b = self.oldest + self.buckets.len() - 1;
        let (file, key, keys) = self.buckets.back_mut().unwrap();
        let mut offset = file.metadata().unwrap().len();
        let mut buf = Vec::with_capacity(PER_COMMIT * (PAYLOAD + 200));
        for _ in 0..PER_COMMIT {
            let chat = rng.gen_range(0..CHATS);
            self.seqs[chat] += 1;
            let seq = self.seqs[chat];
            // The record: what the table's row holds, sealed whole.
            let mut plain = Vec::with_capacity(PAYLOAD + 140);
            plain.extend_from_slice(&(chat as u32).to_le_bytes());
            plain.extend_from_slice(&seq.to_le_bytes());
            plain.extend_from_slice(uuid::Uuid::now_v7().as_bytes());
            plain.extend_from_slice(&[9u8; 16]);
            plain.extend_from_slice(&[1u8; 12]);
            let mut ciphertext = vec![0u8; PAYLOAD];
            rng.fill_bytes(&mut ciphertext);
            plain.extend_from_slice(&ciphertext);
            plain.extend_from_slice(&[3u8; 64]);
            let mut nonce = [0u8; 12];
            rng.fill_bytes(&mut nonce);
            let sealed = key
                .encrypt(Nonce::from_slice(&nonce), plain.as_slice())
                .unwrap();
            let len = (4 + 12 + sealed.len()) as u32;
            buf.extend_from_slice(&len.to_le_bytes());
            buf.extend_from_slice(&nonce);
            buf.extend_from_slice(&sealed);
            self.index.insert((chat as u32, seq), (b, offset, len));
            keys.push((chat as u32, seq));
            offset += u64::from(len);
        }
        file.write_all(&buf).unwrap();
        file.sync_data().unwrap();
    }

    fn erase_oldest(&mut self) {
        let (file, key, keys) = self.buckets.pop_front().unwrap();
        drop((file, key));
        for k in keys {
            self.index.remove(&k);
        }
        std::fs::remove_file(self.dir.join(format!("{}.seg", self.oldest))).unwrap();
        self.oldest += 1;
    }

    fn resume(&self, chat: usize) -> Duration {
        use std::os::unix::fs::FileExt;
        let started = Instant::now();
        let after = (self.seqs[chat] - 10).max(0);
        for (_, &(b, offset, len)) in self
            .index
            .range((chat as u32, after + 1)..=(chat as u32, i64::MAX))
            .take(64)
        {
            let (file, key, _) = &self.buckets[b - self.oldest];
            let mut record = vec![0u8; len as usize];
            file.read_exact_at(&mut record, offset).unwrap();
            key.decrypt(Nonce::from_slice(&record[4..16]), &record[16..])
                .unwrap();
        }
        started.elapsed()
    }
}

fn measure_log(dir: &std::path::Path, shape: &Shape) -> Figures {
    let mut log = Log::new(dir);
    for _ in 0..shape.live_buckets {
        for _ in 0..shape.commits_per_bucket {
            log.commit();
        }
        log.next_bucket();
    }
    let (cpu0, w0) = (cpu_time::ProcessTime::now(), written());
    for _ in 0..shape.measured_buckets {
        for _ in 0..shape.commits_per_bucket {
            log.commit();
        }
        log.next_bucket();
        log.erase_oldest();
    }
    let cpu = cpu0.elapsed();
    let bytes = written() - w0;
    let messages = (shape.measured_buckets * shape.commits_per_bucket * PER_COMMIT) as f64;
    let resume: Duration = (0..200).map(|i| log.resume(i * (CHATS / 200))).sum();
    Figures {
        cpu_us: cpu.as_secs_f64() * 1e6 / messages,
        bytes: bytes as f64 / messages,
        resume_us: resume.as_secs_f64() * 1e6 / 200.0,
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let shape = if quick {
        Shape {
            commits_per_bucket: 8,
            live_buckets: 6,
            measured_buckets: 6,
        }
    } else {
        Shape {
            commits_per_bucket: 40,
            live_buckets: 24,
            measured_buckets: 24,
        }
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    println!(
        "{} messages of {PAYLOAD} bytes per bucket, {PER_COMMIT} per fsynced commit, {} live buckets, {} measured; load average {}",
        shape.commits_per_bucket * PER_COMMIT,
        shape.live_buckets,
        shape.measured_buckets,
        std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim()
    );
    println!(
        "| layout | CPU µs per message (store + erase) | bytes written per message | resume (µs) |"
    );
    println!("|---|---|---|---|");
    for layout in [
        Layout::Today,
        Layout::Bucketed,
        Layout::Sealed,
        Layout::TablePerBucket,
    ] {
        let f = rt.block_on(measure(dir.path(), layout, &shape));
        println!(
            "| {} | {:.1} | {:.0} | {:.0} |",
            layout.name(),
            f.cpu_us,
            f.bytes,
            f.resume_us
        );
    }
    let f = measure_log(dir.path(), &shape);
    println!(
        "| segment log | {:.1} | {:.0} | {:.0} |",
        f.cpu_us, f.bytes, f.resume_us
    );
}

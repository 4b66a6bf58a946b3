//! The server under attack, run as a child process so its memory can be read from
//! `/proc/<pid>/status`, and the machine's own numbers (load, CPU steal) that say
//! whether a slow run was the server's fault or a busy host's.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;

/// A running `messgo serve`, killed when dropped.
pub struct Server {
    child: Child,
    pub url: String,
    pub pid: u32,
    _data: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts this very binary as `serve` on a free loopback port with a fresh data
    /// directory, the given extra flags, and waits for the line
    /// that names its address.
    pub fn start(
        stall_timeout_secs: u64,
        extra: &[String],
        cpu: Option<usize>,
    ) -> anyhow::Result<Server> {
        let data = tempfile::tempdir()?;
        let exe = std::env::current_exe()?;
        let stall = format!("{stall_timeout_secs}s");
        // `taskset` execs the server, so the child's pid is the server's.
        let mut command = match cpu {
            Some(cpu) => {
                let mut c = Command::new("taskset");
                c.arg("-c").arg(cpu.to_string()).arg(exe);
                c
            }
            None => Command::new(exe),
        };
        // The soak's settings go in as MESSGO_* variables so that any flag in
        // `extra` overrides them (flags are the top layer).
        let mut child = command
            .arg("serve")
            .env("MESSGO_BIND", "127.0.0.1:0")
            .env("MESSGO_LOG", "warn")
            .env("MESSGO_DATA_DIR", data.path())
            // Limits meant for people, raised so the setup (hundreds of accounts made
            // from one address) and the honest senders are not what gets refused.
            .env("MESSGO_REGISTER_LIMIT_PER_IP", "1000000000")
            .env("MESSGO_REQUEST_LIMIT_PER_HOUR", "1000000000")
            .env("MESSGO_MESSAGES_PER_MINUTE", "1000000000")
            .env("MESSGO_UPLOADS_PER_HOUR", "1000000000")
            .env("MESSGO_STALL_TIMEOUT", &stall)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let pid = child.id();
        let out = child
            .stdout
            .take()
            .ok_or_else(|| anyhow::anyhow!("the server's stdout was not piped"))?;
        let mut lines = BufReader::new(out).lines();
        let url = loop {
            let Some(line) = lines.next().transpose()? else {
                anyhow::bail!("the server ended before saying where it listens");
            };
            if let Some(w) = line.split_whitespace().find(|w| w.starts_with("http://")) {
                break w.trim_end_matches(|c: char| !c.is_ascii_digit()).to_owned();
            }
        };
        // Keep draining stdout so a chatty server never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Ok(Server {
            child,
            url,
            pid,
            _data: data,
        })
    }
}

/// A `kB` field of `/proc/<pid>/status` (VmRSS, VmHWM), in bytes.
pub fn status_bytes(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// RSS samples over time: (when, bytes).
#[derive(Clone)]
pub struct RssLog {
    start: Instant,
    samples: Arc<Mutex<Vec<(Instant, u64)>>>,
}

impl RssLog {
    /// Samples the server's VmRSS every `every` on its own thread until `stop` is set.
    pub fn sample(pid: u32, every: Duration, stop: Arc<std::sync::atomic::AtomicBool>) -> RssLog {
        let log = RssLog {
            start: Instant::now(),
            samples: Arc::default(),
        };
        let into = log.samples.clone();
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                if let Some(rss) = status_bytes(pid, "VmRSS:") {
                    if let Ok(mut v) = into.lock() {
                        v.push((Instant::now(), rss));
                    }
                }
                std::thread::sleep(every);
            }
        });
        log
    }

    /// The largest sample taken since `from`.
    pub fn peak_since(&self, from: Instant) -> u64 {
        self.samples
            .lock()
            .map(|v| v.iter().filter(|(t, _)| *t >= from).map(|&(_, b)| b).max())
            .ok()
            .flatten()
            .unwrap_or(0)
    }

    /// Every sample: (seconds since sampling began, bytes).
    pub fn seconds(&self) -> Vec<(f64, u64)> {
        self.samples
            .lock()
            .map(|v| {
                v.iter()
                    .map(|&(t, b)| ((t - self.start).as_secs_f64(), b))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The machine over one run: load average at its end and the share of CPU time
/// stolen by the hypervisor during it.
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct Host {
    pub load_1m: f64,
    pub load_5m: f64,
    pub steal_percent: f64,
    pub busy_percent: f64,
}

/// `/proc/stat`'s aggregate `cpu` line: (steal, idle + iowait, total) in ticks.
pub fn cpu_ticks() -> (u64, u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let fields: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    let get = |i: usize| fields.get(i).copied().unwrap_or(0);
    // user nice system idle iowait irq softirq steal (guest time is inside user).
    let total: u64 = fields.iter().take(8).sum();
    (get(7), get(3) + get(4), total)
}

impl Host {
    /// The machine between `before` (from [`cpu_ticks`]) and now.
    pub fn since(before: (u64, u64, u64)) -> Host {
        let (steal, idle, total) = cpu_ticks();
        let span = total.saturating_sub(before.2).max(1) as f64;
        let loadavg = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
        let mut l = loadavg.split_whitespace().map(|f| f.parse().unwrap_or(0.0));
        Host {
            load_1m: l.next().unwrap_or(0.0),
            load_5m: l.next().unwrap_or(0.0),
            steal_percent: 100.0 * steal.saturating_sub(before.0) as f64 / span,
            busy_percent: 100.0 * (1.0 - idle.saturating_sub(before.1) as f64 / span),
        }
    }
}

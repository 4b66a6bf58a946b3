//! The server under test as a child process on a data directory it does not own:
//! started, killed with SIGKILL, started again on the same files. Readiness is the
//! line that names its address, never a sleep.

use std::fs::OpenOptions;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long a start (recovery included) may take before the trial fails.
const START_DEADLINE: Duration = Duration::from_secs(60);
/// How long a graceful stop may take before it is a kill.
const STOP_DEADLINE: Duration = Duration::from_secs(30);

/// How to start the server: the binary, its flags, where its log goes.
#[derive(Clone)]
pub struct Launch {
    pub exe: PathBuf,
    pub cpu: Option<usize>,
    pub extra: Vec<String>,
    pub log: PathBuf,
}

/// A running `messgo serve`, killed (SIGKILL) when dropped.
pub struct Node {
    child: Child,
    pub url: String,
    /// From spawn to the line that names the address: start-up and recovery.
    pub started_in: Duration,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Launch {
    /// Starts the server on `data` and waits (with a deadline) for the line that
    /// names its address. An error says why it did not come up, log tail included.
    pub fn start(&self, data: &Path) -> anyhow::Result<Node> {
        let t0 = Instant::now();
        // `taskset` execs the server, so the child's pid is the server's and a kill
        // reaches the server itself.
        let mut command = match self.cpu {
            Some(cpu) => {
                let mut c = Command::new("taskset");
                c.arg("-c").arg(cpu.to_string()).arg(&self.exe);
                c
            }
            None => Command::new(&self.exe),
        };
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)?;
        let mut child = command
            .arg("serve")
            .env("MESSGO_BIND", "127.0.0.1:0")
            .env("MESSGO_LOG", "warn")
            .env("MESSGO_DATA_DIR", data)
            // The generator is one very busy client on one address: the limits meant
            // for people and the per-address flood brakes are raised for it, so that
            // what a trial measures is storage, not a 429.
            .env("MESSGO_REGISTER_LIMIT_PER_IP", "1000000000")
            .env("MESSGO_REQUEST_LIMIT_PER_HOUR", "1000000000")
            .env("MESSGO_MESSAGES_PER_MINUTE", "1000000000")
            .env("MESSGO_REQUESTS_PER_ADDRESS", "1000000")
            .env("MESSGO_CONNECTIONS_PER_ADDRESS", "100000")
            .env("MESSGO_SOCKETS_PER_ADDRESS", "100000")
            .args(&self.extra)
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()?;
        let out = child
            .stdout
            .take()
            .ok_or_else(|| anyhow::anyhow!("the server's stdout was not piped"))?;
        let (tx, rx) = mpsc::channel();
        // Reads on its own thread so the wait below can have a deadline; then keeps
        // draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut lines = BufReader::new(out).lines();
            for line in lines.by_ref().map_while(Result::ok) {
                if let Some(w) = line.split_whitespace().find(|w| w.starts_with("http://")) {
                    let _ = tx.send(w.trim_end_matches(|c: char| !c.is_ascii_digit()).to_owned());
                    break;
                }
            }
            lines.for_each(drop);
        });
        match rx.recv_timeout(START_DEADLINE) {
            Ok(url) => Ok(Node {
                child,
                url,
                started_in: t0.elapsed(),
            }),
            Err(_) => {
                let _ = child.kill();
                let status = child.wait()?;
                anyhow::bail!(
                    "the server did not come up ({status}); its log ends:\n{}",
                    tail(&self.log)
                )
            }
        }
    }
}

impl Node {
    /// kill -9: no shutdown, no flush, no final checkpoint.
    pub fn kill9(mut self) -> anyhow::Result<()> {
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }

    /// SIGTERM and wait for the exit, as an operator stops it.
    pub fn stop(mut self) -> anyhow::Result<()> {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status()?;
        // Wait for the exit itself on a thread; past the deadline, SIGKILL ends the
        // wait and the stop is reported as failed.
        let child = &mut self.child;
        let (done, exited) = std::sync::mpsc::channel();
        std::thread::scope(|s| {
            s.spawn(move || {
                let _ = done.send(child.wait());
            });
            match exited.recv_timeout(STOP_DEADLINE) {
                Ok(status) => status.map(drop).map_err(anyhow::Error::from),
                Err(_) => {
                    let _ = Command::new("kill").args(["-KILL", &pid]).status();
                    Err(anyhow::anyhow!("the server did not stop"))
                }
            }
        })
    }
}

/// The last lines of a log, for an error.
fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// Copies every file under `from` to `to` (the server must be stopped).
pub fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

//! `messgo soak`'s command line.

use clap::{Args, ValueEnum};

/// A kind of hostile client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum Kind {
    /// Sockets that resume the busy group from its start and never read.
    Sockets,
    /// Downloads of the 10 MiB attachment that never read the body.
    Downloads,
    /// Uploads that stall after 64 KiB (own chat), and uploads to a chat the client
    /// is not in, in turn.
    Uploads,
    /// Sockets that send a frame over the 96 KiB cap.
    Frames,
    /// Wrong keys for one username, as fast as they are answered.
    Logins,
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = self
            .to_possible_value()
            .map(|v| v.get_name().to_owned())
            .unwrap_or_default();
        f.write_str(&name)
    }
}

#[derive(Args, Clone, Debug)]
pub struct SoakArgs {
    /// Hostile clients of each kind.
    #[arg(long, default_value_t = 200)]
    pub hostile: usize,
    /// Kinds of hostile client, all at once.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "sockets,downloads,uploads,frames,logins"
    )]
    pub kinds: Vec<Kind>,
    /// The server's --stall-timeout in seconds: short, so cut-offs come within the run.
    #[arg(long, default_value_t = 5)]
    pub stall_timeout: u64,
    /// Honest 1:1 pairs sending at once.
    #[arg(long, default_value_t = 10)]
    pub pairs: usize,
    /// Honest messages per second over all pairs.
    #[arg(long, default_value_t = 100)]
    pub rate: u32,
    /// Seconds each honest run (quiet, then under attack) is measured.
    #[arg(long, default_value_t = 30.0)]
    pub secs: f64,
    /// Messages per second sent into the busy group the silent sockets resume.
    #[arg(long, default_value_t = 20.0)]
    pub busy_rate: f64,
    /// Extra flags for the server, space-separated (not those the soak sets itself:
    /// its own go in through MESSGO_* variables, which flags override).
    #[arg(long, allow_hyphen_values = true, value_delimiter = ' ')]
    pub server_args: Vec<String>,
    /// Pin the server to this CPU (with `taskset`), as `scripts/soak` does with the
    /// generator on another, so the two do not compete for one core.
    #[arg(long, value_name = "CPU")]
    pub server_cpu: Option<usize>,
    /// Write the results as JSON here.
    #[arg(long, value_name = "PATH")]
    pub json: Option<std::path::PathBuf>,
    /// Exit with status 3 unless both targets are met.
    #[arg(long)]
    pub require_targets: bool,
}

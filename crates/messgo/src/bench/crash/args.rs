//! `messgo crash-soak`'s command line.

use clap::Args;

#[derive(Args, Clone, Debug)]
pub struct CrashArgs {
    /// kill -9 trials on one data directory (each: load, kill at a random moment,
    /// restart, read everything back).
    #[arg(long, default_value_t = 100)]
    pub trials: usize,
    /// Torn-write trials (each on a fresh copy of the seeded directory: load, kill,
    /// truncate the newest file at a random offset, restart, read everything back).
    #[arg(long, default_value_t = 20)]
    pub torn_trials: usize,
    /// Which file each torn trial cuts, comma-separated and taken in turn: the
    /// newest file whose path in the data directory contains the text, or `any` for
    /// the newest of all (with the message log, SQLite's WAL or database file). The
    /// default alternates the newest of all and the newest log segment.
    #[arg(long, value_name = "TEXT,…", value_delimiter = ',', default_values = ["any", ".seg"])]
    pub cut_file: Vec<String>,
    /// Direct (1:1) chats, both members sending.
    #[arg(long, default_value_t = 4)]
    pub direct: usize,
    /// Group chats, every member sending.
    #[arg(long, default_value_t = 4)]
    pub groups: usize,
    /// Members of each group.
    #[arg(long, default_value_t = 4)]
    pub group_size: usize,
    /// Messages per second over all senders, at a steady pace.
    #[arg(long, default_value_t = 400.0)]
    pub rate: f64,
    /// The earliest moment of the kill, in seconds after the load starts.
    #[arg(long, default_value_t = 0.3)]
    pub min_secs: f64,
    /// The latest moment of the kill, in seconds after the load starts.
    #[arg(long, default_value_t = 2.5)]
    pub max_secs: f64,
    /// Pin the server to this CPU (with `taskset`), the generator being elsewhere.
    #[arg(long, value_name = "CPU")]
    pub server_cpu: Option<usize>,
    /// Extra flags for the server, space-separated (flags override the MESSGO_*
    /// variables the soak sets itself).
    #[arg(long, allow_hyphen_values = true, value_delimiter = ' ')]
    pub server_args: Vec<String>,
    /// Keep the data directories here instead of a temporary directory.
    #[arg(long, value_name = "DIR")]
    pub keep: Option<std::path::PathBuf>,
    /// Write the results as JSON here.
    #[arg(long, value_name = "PATH")]
    pub json: Option<std::path::PathBuf>,
}

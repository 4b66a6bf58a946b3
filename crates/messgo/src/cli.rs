//! Command-line flags. The server's settings are declared on `messgo_server::Config`;
//! each can also come from `messgo.toml` or the environment, and flags win over both.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use messgo_server::ConfigLayer;

#[derive(Parser)]
#[command(
    name = "messgo",
    version,
    about = "MessGo: a private, ephemeral, end-to-end-encrypted messenger",
    long_about = "MessGo: a private, ephemeral, end-to-end-encrypted messenger.\n\n\
        With no subcommand, `messgo` serves (same as `messgo serve`).\n\
        Settings are layered: defaults < messgo.toml < MESSGO_* environment < flags.\n\
        A secret can also be read from the file its [or file: …] variable names.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve the API, the WebSocket and the web client (the default).
    Serve(Box<ServeArgs>),
    /// A terminal client: send, wait for, or list end-to-end encrypted messages.
    Chat(crate::chat::ChatArgs),
    /// Load-test a running server (or the Socket.IO peer) and print the results.
    Bench(Box<crate::bench::BenchArgs>),
    /// Start a server, attack it with hostile clients beside honest traffic, and
    /// report its peak memory and the honest p99, quiet and under attack.
    Soak(Box<crate::bench::SoakArgs>),
    /// Kill the server (kill -9) under load many times over, and cut its newest
    /// file short after a kill: report acknowledged, lost and duplicated messages.
    CrashSoak(Box<crate::bench::CrashArgs>),
}

#[derive(Args, Clone, Default)]
pub struct ServeArgs {
    /// Config file to read [default: ./messgo.toml when it exists].
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,

    // Every setting, as declared on `messgo_server::Config`.
    #[command(flatten)]
    pub settings: ConfigLayer,
}

impl ServeArgs {
    /// The settings given as flags: the top layer.
    pub fn layer(&self) -> ConfigLayer {
        self.settings.clone()
    }
}

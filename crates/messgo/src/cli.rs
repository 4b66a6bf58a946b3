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
    /// Start a server, upload (resumably, in pieces) and download large files from
    /// many clients at once, and report its idle and peak memory.
    FilesSoak(Box<crate::bench::FilesArgs>),
    /// Manage the server: users, sessions, totals. Talks to the running server over
    /// its admin socket, or to the database while the server is stopped. Never
    /// shows message content, keys, contacts or who talks to whom.
    Admin(Box<AdminArgs>),
    /// Write what must survive a server move (accounts, contacts, blocks, settings;
    /// never messages) to a new file.
    Backup(Box<BackupArgs>),
    /// Restore a backup into an empty data dir (or a PostgreSQL database with no
    /// account): users sign in with their passwords and find their contacts; chats
    /// start empty.
    Restore(Box<RestoreArgs>),
}

#[derive(Args)]
pub struct AdminArgs {
    /// Print JSON for scripts instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// Settings naming the server (--config, --data-dir, --database, --admin-socket…).
    #[command(flatten)]
    pub server: ServeArgs,
    #[command(subcommand)]
    pub command: AdminCommand,
}

#[derive(Subcommand, Clone)]
pub enum AdminCommand {
    /// Accounts.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Sign-in sessions.
    #[command(subcommand)]
    Sessions(SessionsCommand),
    /// Totals: accounts, sessions, chats, messages stored, attachment bytes, sockets open.
    Stats,
    /// The operator's invite links (they connect the person to nobody).
    #[command(subcommand)]
    Invites(InvitesCommand),
}

#[derive(Subcommand, Clone)]
pub enum InvitesCommand {
    /// Make an invite link; its code is shown this once.
    Create {
        /// How many people it signs up (1 to 100) [default: 1].
        #[arg(long)]
        uses: Option<u32>,
        /// How long it lasts, e.g. 7d, 12h (at most 30 days) [default: 7 days].
        #[arg(long, value_parser = humantime::parse_duration)]
        expires_in: Option<std::time::Duration>,
    },
    /// The live invites: id, uses left, expiry (never their codes).
    List,
    /// Revoke an invite at once.
    Revoke { id: String },
}

#[derive(Subcommand, Clone)]
pub enum UsersCommand {
    /// How many accounts there are.
    Count,
    /// Every account: username, created, last seen, disabled (never contacts or chats).
    List,
    /// The account cannot sign in; its sessions end and its sockets close at once.
    Disable { username: String },
    /// The account can sign in again.
    Enable { username: String },
    /// Delete the account as its owner would: what it sent is erased, its direct
    /// chats go, its groups pass to another admin.
    Delete {
        username: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Subcommand, Clone)]
pub enum SessionsCommand {
    /// End every session of the account and close its sockets.
    Revoke { username: String },
}

#[derive(Args)]
pub struct BackupArgs {
    /// The backup file to write (must not exist).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Settings naming the database (--config, --data-dir, --database).
    #[command(flatten)]
    pub server: ServeArgs,
}

#[derive(Args)]
pub struct RestoreArgs {
    /// The backup file to read.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Settings naming the database to restore into (--data-dir, --database).
    #[command(flatten)]
    pub server: ServeArgs,
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

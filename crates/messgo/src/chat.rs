//! `messgo chat`: a minimal terminal client on `messgo-client`, end-to-end encrypted
//! like the browser. Scriptable: `send` prints the acknowledged sequence number,
//! `wait` exits 0 once a given message arrived, `history` prints what is readable,
//! `send --file` and `download` move attachments (`chat_files.rs`).

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, Context};
use clap::{Args, Subcommand};
use messgo_client::{Client, Identity, Keyring};
use messgo_proto::{Chat, ChatKind, ServerEvent};

use crate::{chat_files, chat_react};

#[derive(Args)]
pub struct ChatArgs {
    /// The MessGo server, e.g. http://127.0.0.1:8080.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub server: String,
    #[arg(long)]
    pub username: String,
    /// Your password (prefer the environment variable: it stays out of shell history).
    #[arg(long, env = "MESSGO_CHAT_PASSWORD", hide_env_values = true)]
    pub password: String,
    #[command(subcommand)]
    pub action: ChatAction,
}

#[derive(Subcommand)]
pub enum ChatAction {
    /// Send a message to a contact's direct chat, with files if given.
    Send {
        #[arg(long)]
        to: String,
        /// Attach this file (up to 10 times): encrypted and uploaded in pieces; its
        /// name, size and type (from the extension) travel inside the sealed message.
        #[arg(long = "file", value_name = "PATH")]
        files: Vec<PathBuf>,
        /// Reply to the message with this sequence number (as `history` shows it).
        #[arg(long, value_name = "SEQ")]
        reply_to: Option<i64>,
        /// The message's text (the files' caption); needed when no file is attached.
        #[arg(required_unless_present = "files")]
        text: Option<String>,
    },
    /// React to message `--seq` of the direct chat with a contact with one emoji;
    /// `--remove` takes your reaction of that emoji back.
    React {
        #[arg(long)]
        to: String,
        #[arg(long)]
        seq: i64,
        #[arg(long)]
        remove: bool,
        emoji: String,
    },
    /// Replace the text of your message `--seq` (its files, reply and mentions stay).
    Edit {
        #[arg(long)]
        to: String,
        #[arg(long)]
        seq: i64,
        text: String,
    },
    /// Download and decrypt the files of a message in the direct chat with a contact:
    /// the one at `--seq`, else the latest with files from that contact. Never replaces
    /// a file: a name taken is saved as `name (1)`, …; prints each path written.
    Download {
        #[arg(long)]
        from: String,
        /// The message's sequence number (as `history` shows it).
        #[arg(long)]
        seq: Option<i64>,
        /// The directory to save into.
        #[arg(long, value_name = "DIR", default_value = ".")]
        out: PathBuf,
    },
    /// Wait until a message from a contact with exactly this text has arrived.
    Wait {
        #[arg(long)]
        from: String,
        #[arg(long)]
        text: String,
        #[arg(long, default_value_t = 20)]
        timeout_secs: u64,
    },
    /// Print the readable history of the direct chat with a contact.
    History {
        #[arg(long)]
        with: String,
    },
    /// Create the account (`--username`, `--password`) and stay signed in as it.
    Register {
        /// Write the session's cookie (`messgo_session=…`) to this file, readable by
        /// its owner only, for tools that speak HTTP themselves (scripts/schemathesis).
        #[arg(long, value_name = "PATH")]
        session_file: Option<PathBuf>,
    },
    /// Sign in, and write the new session's cookie to a file (owner-only), for tools
    /// that speak HTTP themselves. The session lasts until logged out, revoked or idle.
    Session {
        #[arg(long, value_name = "PATH")]
        session_file: PathBuf,
    },
}

/// Milliseconds since the Unix epoch (0 for a clock set before it; saturating, though
/// i64 milliseconds last 292 million years).
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

pub(crate) async fn direct_chat_with(client: &Client, username: &str) -> anyhow::Result<Chat> {
    let name = username.to_ascii_lowercase();
    client
        .chats()
        .await?
        .into_iter()
        .find(|c| c.kind == ChatKind::Direct && c.members.iter().any(|m| m.username == name))
        .ok_or_else(|| anyhow!("no direct chat with {username}: are you connected?"))
}

pub async fn run(args: ChatArgs) -> anyhow::Result<()> {
    let client = Client::new(&args.server)?;
    let me: Identity = match args.action {
        ChatAction::Register { .. } => client
            .register(&args.username, &args.password)
            .await
            .context("could not register")?,
        ChatAction::Send { .. }
        | ChatAction::React { .. }
        | ChatAction::Edit { .. }
        | ChatAction::Download { .. }
        | ChatAction::Wait { .. }
        | ChatAction::History { .. }
        | ChatAction::Session { .. } => client
            .login(&args.username, &args.password)
            .await
            .context("could not sign in")?,
    };
    let mut keys = Keyring::new(&me);
    match args.action {
        ChatAction::Register { session_file } => {
            if let Some(path) = session_file {
                write_session(&client, &path)?;
            }
            println!("registered {}", me.me.username);
        }
        ChatAction::Session { session_file } => {
            write_session(&client, &session_file)?;
            println!("signed in as {}", me.me.username);
        }
        ChatAction::Send {
            to,
            files,
            reply_to,
            text,
        } => {
            let chat = direct_chat_with(&client, &to).await?;
            let text = text.unwrap_or_default();
            let ack = if let Some(seq) = reply_to {
                let h = chat_react::open_history(&client, &mut keys, &chat).await?;
                let plain = chat_react::reply_to(&h, seq, text)?;
                keys.send_plaintext(&client, chat.id, &plain, now_ms())
                    .await?
            } else if files.is_empty() {
                keys.send_text(&client, chat.id, &text, now_ms()).await?
            } else {
                let plain = chat_files::upload(&client, chat.id, &files, text).await?;
                keys.send_plaintext(&client, chat.id, &plain, now_ms())
                    .await?
            };
            println!("sent seq {}", ack.seq);
        }
        ChatAction::Download { from, seq, out } => {
            let chat = direct_chat_with(&client, &from).await?;
            chat_files::download(&client, &mut keys, &chat, &from, seq, &out).await?;
        }
        ChatAction::React {
            to,
            seq,
            remove,
            emoji,
        } => chat_react::react(&client, &mut keys, &to, seq, remove, &emoji).await?,
        ChatAction::Edit { to, seq, text } => {
            chat_react::edit(&client, &mut keys, &to, seq, text).await?;
        }
        ChatAction::History { with } => {
            let chat = direct_chat_with(&client, &with).await?;
            let h = chat_react::open_history(&client, &mut keys, &chat).await?;
            for line in h.lines(&chat) {
                println!("{line}");
            }
        }
        ChatAction::Wait {
            from,
            text,
            timeout_secs,
        } => wait_for(&client, &mut keys, &from, &text, timeout_secs).await?,
    }
    Ok(())
}

/// Waits until a message from `from` with exactly `text` is readable.
async fn wait_for(
    client: &Client,
    keys: &mut Keyring<'_>,
    from: &str,
    text: &str,
    timeout_secs: u64,
) -> anyhow::Result<()> {
    let mut events = client.events().await?;
    let chat = direct_chat_with(client, from).await?;
    let sender = chat
        .members
        .iter()
        .find(|m| m.username == from.to_ascii_lowercase())
        .map(|m| m.user_id)
        .ok_or_else(|| anyhow!("{from} is not in the chat"))?;
    // Already there? (The socket was opened first, so nothing falls between.)
    for m in client.messages(chat.id, None, Some(0), 200).await? {
        if let Ok(o) = keys.open(client, &chat, &m).await {
            if o.sender == sender && o.text == text {
                println!("received seq {}", o.seq);
                return Ok(());
            }
        }
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout_secs);
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if left.is_zero() {
            bail!("no such message within {timeout_secs} s");
        }
        let event = events
            .next_within(left)
            .await
            .map_err(|_| anyhow!("no such message within {timeout_secs} s"))?;
        let Some(ServerEvent::Message { message }) = event else {
            continue;
        };
        if message.chat_id != chat.id {
            continue;
        }
        let current = client.chat(chat.id).await?;
        if let Ok(o) = keys.open(client, &current, &message).await {
            if o.sender == sender && o.text == text {
                println!("received seq {}", o.seq);
                return Ok(());
            }
        }
    }
}

/// The session cookie, in a file only its owner may read; never printed.
fn write_session(client: &Client, path: &std::path::Path) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let cookie = client
        .cookie_header()
        .ok_or_else(|| anyhow!("the server set no session cookie"))?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("could not write {}", path.display()))?;
    writeln!(file, "{cookie}")?;
    Ok(())
}

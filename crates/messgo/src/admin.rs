//! `messgo admin`, `messgo backup` and `messgo restore`: the operator's commands.
//! `admin` asks the running server over its admin socket; with no server answering
//! there, it opens the database itself (refused on SQLite while a server holds it)
//! and runs the same handler. The server side is `messgo_server::admin`.

use std::io::{BufRead, Write};
use std::time::{Duration, UNIX_EPOCH};

use anyhow::{bail, Context};
use messgo_server::admin::client::AdminClient;
use messgo_server::admin::protocol::{Answer, Reply, Request, Stats, UserSummary, MAX_PAGE};
use messgo_server::store::LockError;
use messgo_server::{Config, Server};

use crate::cli::{
    AdminArgs, AdminCommand, BackupArgs, InvitesCommand, RestoreArgs, SessionsCommand, UsersCommand,
};

/// Where the answers come from.
enum Via {
    Socket(AdminClient),
    /// No server runs: its database, opened here.
    Direct(Box<Server>),
}

impl Via {
    async fn reach(config: &Config) -> anyhow::Result<Via> {
        let path = config.admin_socket_path();
        let connected = AdminClient::connect(&path)
            .await
            .with_context(|| format!("could not reach the admin socket {}", path.display()))?;
        if let Some(client) = connected {
            return Ok(Via::Socket(client));
        }
        // Opening would create an empty database: a mistyped --data-dir says so instead.
        if let Some(db) = config.sqlite_path().filter(|db| !db.exists()) {
            bail!(
                "no server answers on {} and there is no database at {} (is --data-dir right?)",
                path.display(),
                db.display()
            );
        }
        match Server::open_for_admin(config.clone()).await {
            Ok(server) => Ok(Via::Direct(Box::new(server))),
            Err(e) if matches!(e.downcast_ref::<LockError>(), Some(LockError::Held(_))) => bail!(
                "no server answers on the admin socket {} and its database is locked by a \
                 running server (is its --admin-socket set elsewhere?)",
                path.display()
            ),
            Err(e) => Err(e),
        }
    }

    async fn ask(&mut self, request: Request) -> anyhow::Result<Answer> {
        let reply = match self {
            Via::Socket(client) => client
                .ask(&request)
                .await
                .context("the server's admin socket failed")?,
            Via::Direct(server) => server.admin().handle(request).await,
        };
        match reply {
            Reply::Ok(answer) => Ok(answer),
            Reply::Error(e) => bail!("{}", e.message),
        }
    }

    async fn close(self) {
        if let Via::Direct(server) = self {
            server.close().await;
        }
    }
}

pub async fn run(args: AdminArgs) -> anyhow::Result<()> {
    let config = crate::resolve_config(&args.server)?;
    let request = match &args.command {
        AdminCommand::Users(UsersCommand::Count) => Request::UsersCount,
        AdminCommand::Users(UsersCommand::List) => Request::UsersList {
            after: None,
            limit: MAX_PAGE,
        },
        AdminCommand::Users(UsersCommand::Disable { username }) => Request::UsersDisable {
            username: username.clone(),
        },
        AdminCommand::Users(UsersCommand::Enable { username }) => Request::UsersEnable {
            username: username.clone(),
        },
        AdminCommand::Users(UsersCommand::Delete { username, yes }) => {
            if !yes {
                confirm_deletion(username)?;
            }
            Request::UsersDelete {
                username: username.clone(),
            }
        }
        AdminCommand::Sessions(SessionsCommand::Revoke { username }) => Request::SessionsRevoke {
            username: username.clone(),
        },
        AdminCommand::Stats => Request::Stats,
        AdminCommand::Invites(InvitesCommand::Create { uses, expires_in }) => {
            Request::InvitesCreate {
                uses: *uses,
                expires_in_secs: expires_in.map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
            }
        }
        AdminCommand::Invites(InvitesCommand::List) => Request::InvitesList,
        AdminCommand::Invites(InvitesCommand::Revoke { id }) => {
            Request::InvitesRevoke { id: id.clone() }
        }
    };
    let mut via = Via::reach(&config).await?;
    let answer = if matches!(request, Request::UsersList { .. }) {
        all_users(&mut via).await
    } else {
        via.ask(request).await
    };
    via.close().await;
    let answer = answer?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&answer)?);
    } else {
        print!("{}", text(&answer, config.public_url.as_deref()));
    }
    Ok(())
}

/// Every page of the user list, as one answer.
async fn all_users(via: &mut Via) -> anyhow::Result<Answer> {
    let mut users: Vec<UserSummary> = Vec::new();
    loop {
        let after = users.last().map(|u| u.username.clone());
        let answer = via
            .ask(Request::UsersList {
                after,
                limit: MAX_PAGE,
            })
            .await?;
        let Answer::Users { users: page } = answer else {
            bail!("the server answered a user list with {answer:?}");
        };
        let done = page.len() < MAX_PAGE as usize;
        users.extend(page);
        if done {
            return Ok(Answer::Users { users });
        }
    }
}

fn confirm_deletion(username: &str) -> anyhow::Result<()> {
    eprint!(
        "Delete the account {username} now? What it sent is erased and its direct chats go; \
         this cannot be undone. Type the username to confirm: "
    );
    std::io::stderr().flush()?;
    let mut typed = String::new();
    std::io::stdin().lock().read_line(&mut typed)?;
    if typed.is_empty() {
        eprintln!();
    }
    if typed.trim() != username {
        bail!("not confirmed: nothing was deleted (pass --yes to skip the question)");
    }
    Ok(())
}

fn text(answer: &Answer, public_url: Option<&str>) -> String {
    match answer {
        Answer::Count { accounts, disabled } => {
            format!("{accounts} accounts ({disabled} disabled)\n")
        }
        Answer::Users { users } => user_table(users),
        Answer::Changed { username, changed } => match changed {
            true => format!("{username}: done\n"),
            false => format!("{username}: no change (it was so already)\n"),
        },
        Answer::Deleted { username } => format!("{username}: deleted and erased\n"),
        Answer::Revoked { username, sessions } => {
            format!("{username}: {sessions} sessions ended, their sockets closed\n")
        }
        Answer::Stats(s) => stats_text(s),
        Answer::Invite(made) => {
            // The code rides in the fragment, which browsers never send to a server.
            let base = public_url.map_or("https://<this server>", |u| u.trim_end_matches('/'));
            format!(
                "invite {}: {} uses, until {} UTC\n{base}/#invite={}\n(the code is shown this once)\n",
                made.invite.id,
                made.invite.uses,
                date_time(made.invite.expires_at),
                made.code
            )
        }
        Answer::Invites { invites } => {
            let mut out = format!("{:36}  {:9}  EXPIRES (UTC)\n", "ID", "USES LEFT");
            for i in invites {
                let left = format!("{}/{}", i.uses_left, i.uses);
                out += &format!("{:36}  {left:9}  {}\n", i.id, date_time(i.expires_at));
            }
            out + &format!("{} invites\n", invites.len())
        }
        Answer::InviteRevoked { id } => format!("invite {id}: revoked\n"),
    }
}

fn user_table(users: &[UserSummary]) -> String {
    let width = users
        .iter()
        .map(|u| u.username.len())
        .max()
        .unwrap_or(8)
        .max(8);
    let mut out = format!(
        "{:width$}  {:10}  {:10}  STATUS\n",
        "USERNAME", "CREATED", "LAST SEEN"
    );
    for u in users {
        let seen = u.last_seen_at.map_or_else(|| "-".to_owned(), date);
        let status = if u.disabled { "disabled" } else { "active" };
        out += &format!(
            "{:width$}  {:10}  {:10}  {status}\n",
            u.username,
            date(u.created_at),
            seen
        );
    }
    out += &format!("{} accounts\n", users.len());
    out
}

fn stats_text(s: &Stats) -> String {
    format!(
        "accounts:          {} ({} disabled)\nsessions:          {}\nchats:             {}\n\
         messages stored:   {}\nattachment bytes:  {}\nsockets open:      {}\n",
        s.accounts,
        s.disabled_accounts,
        s.sessions,
        s.chats,
        s.messages,
        s.attachment_bytes,
        s.sockets_open
    )
}

/// A UTC date and minute (YYYY-MM-DD HH:MM) from milliseconds since the epoch.
fn date_time(ms: i64) -> String {
    let at = UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0));
    humantime::format_rfc3339_seconds(at)
        .to_string()
        .replace('T', " ")
        .chars()
        .take(16)
        .collect()
}

/// A UTC date (YYYY-MM-DD) from milliseconds since the epoch.
fn date(ms: i64) -> String {
    let at = UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0));
    humantime::format_rfc3339_seconds(at)
        .to_string()
        .chars()
        .take(10)
        .collect()
}

pub async fn backup(args: BackupArgs) -> anyhow::Result<()> {
    let config = crate::resolve_config(&args.server)?;
    let s = messgo_server::admin::backup::backup(&config, &args.out).await?;
    println!(
        "backup written to {}: {} accounts, {} contacts, {} blocks (no messages: chats start \
         empty after a restore)",
        args.out.display(),
        s.accounts,
        s.contacts,
        s.blocks
    );
    Ok(())
}

pub async fn restore(args: RestoreArgs) -> anyhow::Result<()> {
    let config = crate::resolve_config(&args.server)?;
    let s = messgo_server::admin::backup::restore(&config, &args.file).await?;
    println!(
        "restored {} accounts, {} contacts, {} blocks; users sign in with their passwords",
        s.accounts, s.contacts, s.blocks
    );
    Ok(())
}

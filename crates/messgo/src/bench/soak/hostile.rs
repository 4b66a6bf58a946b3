//! The hostile clients: `n` of each chosen kind, each one repeating its attack until
//! the deadline (a client the server cuts off comes straight back, as an attacker
//! would), and what became of every attempt, by kind and outcome.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;
use uuid::Uuid;

use super::args::Kind;
use super::http;
use super::raw::Target;

/// What the attacks need: where to go, whose cookies, and what to ask for.
pub struct Arsenal {
    pub target: Target,
    /// One session cookie per hostile account.
    pub cookies: Vec<String>,
    /// The busy group every hostile account is in.
    pub group: Uuid,
    /// Each hostile account's own (assistant) chat, to upload to.
    pub own_chats: Vec<Uuid>,
    /// A chat no hostile account is in.
    pub foreign_chat: Uuid,
    /// The 10 MiB attachment in the group, and its length.
    pub blob: Uuid,
    pub blob_len: u64,
    /// The username the login flood guesses at.
    pub victim: String,
    pub stall: Duration,
}

/// Outcomes counted by kind, then by what happened.
#[derive(Clone, Default)]
pub struct Tally(Arc<Mutex<BTreeMap<String, BTreeMap<String, u64>>>>);

impl Tally {
    pub fn add(&self, kind: Kind, outcome: impl Into<String>) {
        if let Ok(mut t) = self.0.lock() {
            *t.entry(kind.to_string())
                .or_default()
                .entry(outcome.into())
                .or_default() += 1;
        }
    }

    pub fn take(&self) -> BTreeMap<String, BTreeMap<String, u64>> {
        self.0.lock().map(|t| t.clone()).unwrap_or_default()
    }
}

/// The loopback address a kind attacks from (see [`Target`]).
fn address(kind: Kind) -> IpAddr {
    let last = match kind {
        Kind::Sockets => 2,
        Kind::Downloads => 3,
        Kind::Uploads => 4,
        Kind::Frames => 5,
        Kind::Logins => 6,
    };
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, last))
}

/// A receive buffer small enough that a client that stops reading stops the
/// server's writes within a few kilobytes.
pub const SMALL_RCVBUF: u32 = 4096;

/// Runs `n` clients of each of `kinds` until `deadline` (attempts under way then
/// finish) and returns what happened.
pub async fn attack(arsenal: Arc<Arsenal>, kinds: &[Kind], n: usize, deadline: Instant) -> Tally {
    let tally = Tally::default();
    let mut tasks = tokio::task::JoinSet::new();
    for &kind in kinds {
        for i in 0..n {
            let (a, t) = (arsenal.clone(), tally.clone());
            tasks.spawn(async move {
                let mut attempt = 0u64;
                while Instant::now() < deadline {
                    let outcome = once(&a, kind, i, attempt).await;
                    t.add(kind, outcome);
                    attempt += 1;
                }
            });
        }
    }
    while tasks.join_next().await.is_some() {}
    tally
}

/// One attack of `kind` by client `i`; returns what became of it.
async fn once(a: &Arsenal, kind: Kind, i: usize, attempt: u64) -> String {
    let from = address(kind);
    let cookie = &a.cookies[i % a.cookies.len()];
    match kind {
        Kind::Sockets => silent_socket(a, from, cookie).await,
        Kind::Frames => oversized_frame(a, from, cookie).await,
        Kind::Downloads => http::stalled_download(a, from, cookie).await,
        Kind::Uploads if attempt.is_multiple_of(2) => {
            http::stalled_upload(a, from, cookie, a.own_chats[i % a.own_chats.len()]).await
        }
        Kind::Uploads => http::foreign_upload(a, from, cookie).await,
        Kind::Logins => http::wrong_login(a, from).await,
    }
}

fn short(e: impl std::fmt::Display) -> String {
    let s = e.to_string();
    s.chars().take(60).collect()
}

/// Opens a socket with a small receive buffer, resumes the busy group from its first
/// message, then reads nothing for twice the stall timeout; then reads what is left
/// to learn whether, and how, the server let it go.
async fn silent_socket(a: &Arsenal, from: IpAddr, cookie: &str) -> String {
    let ws = match open(a, from, cookie, SMALL_RCVBUF).await {
        Ok(ws) => ws,
        Err(e) => return e,
    };
    let mut ws = ws;
    let resume = format!(r#"{{"type":"resume","chats":{{"{}":0}}}}"#, a.group);
    if let Err(e) = ws.send(Message::Text(resume.into())).await {
        return format!("resume not sent: {}", short(e));
    }
    tokio::time::sleep(2 * a.stall).await;
    ending(&mut ws, a.stall).await
}

/// Opens a socket and sends one 128 KiB frame (the cap is 96 KiB).
async fn oversized_frame(a: &Arsenal, from: IpAddr, cookie: &str) -> String {
    let mut ws = match open(a, from, cookie, 64 * 1024).await {
        Ok(ws) => ws,
        Err(e) => return e,
    };
    let _ = ws
        .send(Message::Text(r#"{"type":"resume","chats":{}}"#.into()))
        .await;
    let pad = "A".repeat(128 * 1024);
    let frame = format!(
        r#"{{"type":"send","chat_id":"{}","id":"{}","epoch":1,"nonce":"AA","ciphertext":"{pad}","signature":"AA"}}"#,
        a.group,
        Uuid::new_v4()
    );
    if let Err(e) = ws.send(Message::Text(frame.into())).await {
        return format!("cut off while sending: {}", short(e));
    }
    ending(&mut ws, a.stall).await
}

async fn open(
    a: &Arsenal,
    from: IpAddr,
    cookie: &str,
    rcvbuf: u32,
) -> Result<WebSocketStream<TcpStream>, String> {
    let stream = a
        .target
        .connect(from, rcvbuf)
        .await
        .map_err(|e| format!("no connection: {}", short(e)))?;
    a.target
        .websocket(stream, cookie)
        .await
        .map_err(|e| format!("refused at open: {}", short(e)))
}

/// Reads `ws` until the server closes it (or `limit` passes) and names how it ended.
async fn ending(ws: &mut WebSocketStream<TcpStream>, limit: Duration) -> String {
    let read = async {
        while let Some(m) = ws.next().await {
            match m {
                Ok(Message::Close(Some(f))) => return format!("closed {}", u16::from(f.code)),
                Ok(Message::Close(None)) => return "closed without a code".into(),
                Ok(_) => {}
                Err(e) => return format!("ended: {}", short(e)),
            }
        }
        "ended without a close frame".into()
    };
    tokio::time::timeout(limit, read)
        .await
        .unwrap_or_else(|_| "still open".into())
}

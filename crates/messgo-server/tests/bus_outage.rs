//! A bus outage does not stop a node: with its NATS server gone, a message sent over
//! a socket is still acknowledged once it is stored, and the node's own sockets
//! still get it; `/api/ready` says the bus is down. When NATS is back, the node's
//! sockets are told to resync (whatever other nodes said meanwhile is read from the
//! database on resume), and it is ready again.
//!
//! The test runs its own nats-server on a free port, so stopping it touches nobody
//! else.

// A test: a failed step panics and that panic is the report; a match's other arm
// is a failure too (`other => panic!`), and test data may be cut to size.
#![allow(
    clippy::unwrap_used,
    clippy::wildcard_enum_match_arm,
    clippy::cast_possible_truncation
)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use common::{connect, direct_chat, now_ms, register_identity, username, TestServer};
use messgo_client::{Client, Events, Keyring};
use messgo_proto::{ChatId, ClientFrame, MessageId, ServerEvent};

/// A private nats-server, stopped when dropped.
struct Nats {
    child: Child,
    url: String,
}

impl Nats {
    fn start() -> Nats {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Nats::start_on(port)
    }

    fn start_on(port: u16) -> Nats {
        let bin = ["/usr/sbin/nats-server", "/usr/bin/nats-server"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .unwrap_or("nats-server");
        // Owned at once, so it is stopped (and waited for) however the test ends.
        let mut nats = Nats {
            child: Command::new(bin)
                .args(["-a", "127.0.0.1", "-p", &port.to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("nats-server runs (scripts/test installs it)"),
            url: format!("nats://127.0.0.1:{port}"),
        };
        // Ready when it says so; its log ends (and this fails) if it cannot start.
        let mut log = BufReader::new(nats.child.stderr.take().unwrap()).lines();
        let mut said = Vec::new();
        for line in log.by_ref() {
            let line = line.unwrap();
            if line.contains("Server is ready") {
                // Keep reading what it says, so its writes never meet a closed pipe.
                std::thread::spawn(move || log.for_each(drop));
                return nats;
            }
            said.push(line);
        }
        panic!("nats-server did not start on port {port}: {said:?}");
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Sends `text` over `socket` and waits for its ack; the receiver's socket must get
/// the message.
async fn send_and_deliver(
    keys: &mut Keyring<'_>,
    a: &Client,
    socket: &mut Events,
    b_socket: &mut Events,
    chat: ChatId,
    text: &str,
) {
    let current = a.chat(chat).await.unwrap();
    let epoch = keys.ensure_epoch(a, &current, now_ms()).await.unwrap();
    let m = keys
        .seal(a, chat, epoch, MessageId::new_v7(), text)
        .await
        .unwrap();
    socket
        .send_raw(&serde_json::to_string(&ClientFrame::Send(m.clone())).unwrap())
        .await
        .unwrap();
    loop {
        match socket.next().await.unwrap() {
            ServerEvent::Ack(ack) if ack.id == m.id => break,
            ServerEvent::Nack { id, code, .. } if id == m.id => panic!("refused: {code}"),
            _ => {}
        }
    }
    loop {
        match b_socket.next().await.unwrap() {
            ServerEvent::Message { message } if message.id == m.id => break,
            _ => {}
        }
    }
}

#[tokio::test]
async fn with_nats_down_a_node_still_acks_and_serves_its_own_sockets() {
    let mut nats = Nats::start();
    let url = nats.url.clone();
    let srv = TestServer::start_with(|c| c.bus = Some(url)).await;
    let (a_id, a) = register_identity(&srv, &username("ann")).await;
    let (_, b) = register_identity(&srv, &username("ben")).await;
    connect(&a, &b).await;
    let chat = direct_chat(&a).await.id;
    let mut keys = Keyring::new(&a_id);
    let mut a_socket = a.events().await.unwrap();
    let mut b_socket = b.events().await.unwrap();
    send_and_deliver(&mut keys, &a, &mut a_socket, &mut b_socket, chat, "bus up").await;

    assert_eq!(readiness(&srv).await, (200, "ok".to_owned()));

    nats.stop();
    send_and_deliver(
        &mut keys,
        &a,
        &mut a_socket,
        &mut b_socket,
        chat,
        "bus down",
    )
    .await;
    assert_eq!(
        b.messages(chat, None, None, 10).await.unwrap().len(),
        2,
        "both stored"
    );
    assert_eq!(
        readiness_when(&srv, false).await,
        (503, "down".to_owned()),
        "ready says the bus is down"
    );

    let port: u16 = nats.url.rsplit(':').next().unwrap().parse().unwrap();
    let _back = Nats::start_on(port);
    assert_eq!(readiness_when(&srv, true).await, (200, "ok".to_owned()));
    // The node's sockets are cut off so their clients resume from the database.
    loop {
        match b_socket
            .next_within(std::time::Duration::from_secs(10))
            .await
        {
            Ok(None) => break,
            Ok(Some(_)) => continue,
            Err(e) => panic!("the socket was not told to resync: {e}"),
        }
    }
}

/// `/api/ready`'s status and what it says of the bus.
async fn readiness(srv: &TestServer) -> (u16, String) {
    let res = srv.http().get(srv.url("/api/ready")).send().await.unwrap();
    let status = res.status().as_u16();
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["database"], "ok", "{body}");
    (status, body["bus"].as_str().unwrap().to_owned())
}

/// Waits until the node's bus is `up` (or not), then asks `/api/ready`.
async fn readiness_when(srv: &TestServer, up: bool) -> (u16, String) {
    let mut connected = srv.services.bus.connected();
    connected.wait_for(|now| *now == up).await.unwrap();
    readiness(srv).await
}

//! No traces in logs: a full scenario at the most verbose log level, then the log is
//! searched for every secret and every piece of content that passed through.

use std::process::{Command, Stdio};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use messgo_client::{Client, Keyring};
use messgo_proto::ChatKind;

mod common;

use common::BIN;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is past 1970")
        .as_millis()
        .try_into()
        .expect("now in milliseconds fits an i64")
}

#[tokio::test]
async fn a_full_scenario_at_trace_level_logs_no_secret_and_no_content() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut cmd = Command::new(BIN);
    cmd.args([
        "serve",
        "--bind",
        "127.0.0.1:0",
        "--log",
        "trace",
        "--data-dir",
    ])
    .arg(dir.path().join("data"))
    .stderr(Stdio::from(log));
    let (mut server, url) = common::start(cmd);

    let (pw_a, pw_b, pw_new) = (
        "alpha horse battery",
        "bravo horse battery",
        "charlie horse battery",
    );
    let (name_a, name_b) = (
        format!("loga{}", std::process::id()),
        format!("logb{}", std::process::id()),
    );
    let a = Client::new(&url).unwrap();
    let b = Client::new(&url).unwrap();
    let a_id = a.register(&name_a, pw_a).await.unwrap();
    let b_id = b.register(&name_b, pw_b).await.unwrap();
    let key = b.connect_key().await.unwrap();
    a.request_by_key(&key.connect_key).await.unwrap();
    b.accept(b.requests().await.unwrap().incoming[0].id)
        .await
        .unwrap();
    let chat = a
        .chats()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.kind == ChatKind::Direct)
        .unwrap();
    let mut events = b.events().await.unwrap();
    let texts: Vec<String> = (0..5)
        .map(|i| format!("confidential {i} {}", uuid::Uuid::new_v4()))
        .collect();
    let mut keys = Keyring::new(&a_id);
    for t in &texts {
        keys.send_text(&a, chat.id, t, now_ms()).await.unwrap();
    }
    let _ = events.next().await;
    let stored = b.messages(chat.id, None, None, 50).await.unwrap();
    let auth_key = a.auth_key(&name_a, pw_a).await.unwrap();

    // A raw login, to learn a session token as the cookie carries it.
    let res = reqwest::Client::new()
        .post(format!("{url}/api/login"))
        .header("x-messgo", "1")
        .json(&serde_json::json!({"username": name_b, "auth_key": URL_SAFE_NO_PAD.encode(b.auth_key(&name_b, pw_b).await.unwrap())}))
        .send()
        .await
        .unwrap();
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    let token = cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned();
    a.change_password(pw_a, pw_new).await.unwrap();
    a.rotate_connect_key().await.unwrap();
    a.delete_account(pw_new).await.unwrap();

    Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    server.wait().unwrap();
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        log.contains("/api/login") && log.len() > 10_000,
        "the log is verbose enough to mean something"
    );

    let mut secrets: Vec<(String, String)> = vec![
        ("password a".into(), pw_a.into()),
        ("password b".into(), pw_b.into()),
        ("new password".into(), pw_new.into()),
        ("auth key".into(), URL_SAFE_NO_PAD.encode(&auth_key)),
        ("auth key (hex)".into(), hex_of(&auth_key)),
        ("session token".into(), token),
        ("connect key".into(), key.connect_key.clone()),
        ("key bundle".into(), a_id.me.key_bundle.to_b64()),
        (
            "x25519 secret".into(),
            URL_SAFE_NO_PAD.encode(a_id.secrets.x25519.as_slice()),
        ),
        (
            "ed25519 seed".into(),
            URL_SAFE_NO_PAD.encode(b_id.secrets.ed25519_seed.as_slice()),
        ),
    ];
    for t in &texts {
        secrets.push(("plaintext".into(), t.clone()));
    }
    for m in &stored {
        if let (Some(ct), Some(nonce)) = (&m.ciphertext, &m.nonce) {
            secrets.push(("ciphertext".into(), ct.to_b64()));
            secrets.push(("nonce".into(), nonce.to_b64()));
        }
    }
    for (what, value) in secrets {
        if let Some(at) = log.find(&value) {
            let line = log[..at].rsplit('\n').next().unwrap_or("");
            panic!(
                "the log holds a {what}, in a line starting: {}",
                &line[..line.len().min(160)]
            );
        }
    }
}

fn hex_of(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

//! What an operator watches and sets: `/metrics` on its own address (totals that
//! move with real traffic, and nothing about whom), `/api/ready` (the database, the
//! disk), and the pictures the operator sets (checked at start, served with caching).

// A test: a failed step panics and that panic is the report; a match's other arm
// is a failure too (`other => panic!`).
#![allow(clippy::unwrap_used, clippy::wildcard_enum_match_arm)]

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::{connect, direct_chat, username, TestServer};
use messgo_client::{is_api_error, Client, Identity, Keyring};
use messgo_proto::ServerEvent;
use reqwest::StatusCode;

/// Registers like `common::register_identity`, keeping the session token the
/// server set, to look for it where it must not be.
async fn register_keeping_token(srv: &TestServer, name: &str) -> (Identity, Client, String) {
    use base64::Engine;
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let secrets = messgo_crypto::bundle::IdentitySecrets::generate(&mut rand::rngs::OsRng);
    let client = srv.client();
    let body = serde_json::json!({
        "user_id": messgo_proto::UserId::random(), "username": name,
        "auth_key": b64(&rand::random::<[u8; 32]>()),
        "kdf": {"alg": "pbkdf2-sha256", "iterations": 600000}, "key_bundle": b64(&[0u8; 92]),
        "x25519_public": b64(&secrets.x25519_public()), "ed25519_public": b64(&secrets.ed25519_public()),
    });
    let res = client.raw_post("/api/register", &body).await;
    assert_eq!(res.status(), StatusCode::CREATED, "{name}");
    let cookie = res
        .headers()
        .get(reqwest::header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let token = cookie
        .split(';')
        .next()
        .and_then(|kv| kv.split_once('='))
        .unwrap()
        .1
        .to_owned();
    assert!(token.len() >= 20, "a session token: {cookie}");
    let me: messgo_proto::Me = res.json().await.unwrap();
    (Identity { me, secrets }, client, token)
}

/// Each sample line's name with its labels, and its value.
fn samples(body: &str) -> HashMap<String, f64> {
    body.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (name, value) = l.rsplit_once(' ').unwrap();
            (name.to_owned(), value.parse().unwrap())
        })
        .collect()
}

async fn scrape(srv: &TestServer) -> String {
    let url = srv.metrics_url.as_ref().expect("metrics are on");
    let res = reqwest::get(url).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let kind = res.headers()[reqwest::header::CONTENT_TYPE]
        .to_str()
        .unwrap();
    assert!(kind.starts_with("application/openmetrics-text"), "{kind}");
    res.text().await.unwrap()
}

/// Every label is one of these keys, with one of its values (`le`: a bucket bound).
fn assert_labels_allowed(body: &str) {
    let allowed: HashMap<&str, &[&str]> = HashMap::from([
        (
            "kind",
            &[
                "requests",
                "connections",
                "login",
                "register",
                "connection_requests",
                "messages",
                "uploads",
                "assistant",
                "sockets",
            ][..],
        ),
        ("by", &["sweep", "erasure"][..]),
        ("class", &["1xx", "2xx", "3xx", "4xx", "5xx"][..]),
        ("database", &["main", "attachments"][..]),
    ]);
    for line in body.lines().filter(|l| !l.starts_with('#')) {
        let Some((_, rest)) = line.split_once('{') else {
            continue;
        };
        let labels = rest.split_once('}').unwrap().0;
        for pair in labels.split(',') {
            let (key, value) = pair.split_once('=').unwrap();
            let value = value.trim_matches('"');
            if key == "le" {
                assert!(value == "+Inf" || value.parse::<f64>().is_ok(), "{line}");
                continue;
            }
            let values = allowed
                .get(key)
                .unwrap_or_else(|| panic!("label {key} is not allowed: {line}"));
            assert!(
                values.contains(&value),
                "{key}={value} is not allowed: {line}"
            );
        }
    }
}

#[tokio::test]
async fn metrics_move_with_traffic_and_name_nobody() {
    let off = TestServer::start().await;
    assert!(off.metrics_url.is_none(), "off by default");
    let srv = TestServer::start_with(|c| {
        c.metrics_bind = Some("127.0.0.1:0".parse().unwrap());
        c.login_limit_per_username = 1;
    })
    .await;
    let before = samples(&scrape(&srv).await);
    assert_eq!(before["messgo_messages_accepted_total"], 0.0);

    let (ann_name, ben_name) = (username("metered_ann"), username("metered_ben"));
    let (ann_id, ann, token) = register_keeping_token(&srv, &ann_name).await;
    let (ben_id, ben, _) = register_keeping_token(&srv, &ben_name).await;
    connect(&ann, &ben).await;
    let chat = direct_chat(&ann).await;
    let connect_key = ann.connect_key().await.unwrap().connect_key;
    let mut socket = ben.events().await.unwrap();
    let secret = "the metrics must never carry this sentence";
    let mut keys = Keyring::new(&ann_id);
    let sent = keys
        .send_text(&ann, chat.id, secret, common::now_ms())
        .await
        .unwrap();
    loop {
        match socket.next_within(Duration::from_secs(10)).await.unwrap() {
            Some(ServerEvent::Message { message }) if message.id == sent.id => break,
            Some(_) => {}
            None => panic!("ben's socket never got the message"),
        }
    }
    // A wrong password, then one too many (the limit is one per username).
    for (status, code) in [
        (StatusCode::UNAUTHORIZED, "invalid_credentials"),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
    ] {
        let e = srv.client().login(&ann_name, "wrong").await.unwrap_err();
        assert!(is_api_error(&e, status, code), "{code}: {e}");
    }
    srv.sweep().await;

    let body = scrape(&srv).await;
    let after = samples(&body);
    let grew = |name: &str| {
        let (b, a) = (before.get(name).copied().unwrap_or(0.0), after[name]);
        assert!(a > b, "{name} moved: {b} → {a}\n{body}");
    };
    grew("messgo_messages_accepted_total");
    grew("messgo_messages_delivered_total");
    grew("messgo_message_batch_size_count");
    grew("messgo_message_batch_seconds_count");
    grew("messgo_store_commit_size_count{database=\"main\"}");
    grew("messgo_store_commit_seconds_count{database=\"main\"}");
    grew("messgo_sweep_seconds_count");
    grew("messgo_refusals_total{kind=\"login\"}");
    grew("messgo_http_responses_total{class=\"2xx\"}");
    grew("messgo_http_responses_total{class=\"4xx\"}");
    grew("messgo_socket_frames_total");
    assert_eq!(after["messgo_sockets_open"], 1.0, "ben's socket\n{body}");
    assert!(after["messgo_connections_open"] >= 1.0, "{body}");
    // Users present are counted by the NATS bus only (whose events a node hears).
    assert_eq!(after["messgo_users_present"], 0.0, "{body}");
    assert!(after.contains_key("messgo_reclaimed_bytes_total{by=\"sweep\"}"));
    assert!(after.contains_key("messgo_refusals_total{kind=\"requests\"}"));
    assert!(after.contains_key("process_cpu_seconds_total"), "{body}");

    let needles = [
        ann_name.clone(),
        ben_name.clone(),
        ann_id.user_id().to_string(),
        ben_id.user_id().to_string(),
        chat.id.to_string(),
        sent.id.to_string(),
        token,
        connect_key,
        secret.to_owned(),
    ];
    for needle in &needles {
        assert!(!body.contains(needle.as_str()), "{needle} in the metrics");
    }
    assert_labels_allowed(&body);

    // Nothing of it on the public address.
    let public = reqwest::get(srv.url("/metrics")).await.unwrap();
    assert!(!public
        .text()
        .await
        .unwrap()
        .contains("messgo_messages_accepted"));
    let old = reqwest::get(srv.url("/api/metrics")).await.unwrap();
    assert_eq!(old.status(), StatusCode::NOT_FOUND, "one metrics surface");

    drop(socket);
    // The socket's task ends on its own: wait (bounded) for its gauge, then scrape.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while srv.services.metrics.sockets.get() != 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "a closed socket is no longer counted"
        );
        tokio::task::yield_now().await;
    }
    assert_eq!(samples(&scrape(&srv).await)["messgo_sockets_open"], 0.0);
}

async fn ready(srv: &TestServer) -> (StatusCode, serde_json::Value) {
    let res = reqwest::get(srv.url("/api/ready")).await.unwrap();
    (res.status(), res.json().await.unwrap())
}

#[tokio::test]
async fn ready_names_a_low_disk() {
    let fine = TestServer::start().await;
    let (status, body) = ready(&fine).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "ready");
    assert_eq!(
        body["disk"], "ok",
        "256 MiB free on the test machine: {body}"
    );
    assert_eq!(body["database"], "ok");

    // A threshold above any disk's free space.
    let low = TestServer::start_with(|c| c.ready_min_free_disk = u64::MAX).await;
    let (status, body) = ready(&low).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["status"], "not_ready");
    assert_eq!(body["disk"], "low");
    assert_eq!(body["database"], "ok", "only the disk is named: {body}");

    let off = TestServer::start_with(|c| c.ready_min_free_disk = 0).await;
    let (status, body) = ready(&off).await;
    assert_eq!(
        (status, &body["disk"]),
        (StatusCode::OK, &"unchecked".into())
    );

    // Liveness stays cheap and says nothing of the disk.
    let health = reqwest::get(low.url("/api/health")).await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
}

#[tokio::test]
async fn ready_names_a_database_that_is_gone() {
    let (url, guard) = common::fresh_postgres().await;
    let srv = TestServer::start_with(|c| c.database = Some(url)).await;
    let (status, body) = ready(&srv).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    guard.drop_database().await;
    let (status, body) = ready(&srv).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["status"], "not_ready");
    assert_eq!(body["database"], "down", "{body}");
}

/// The smallest valid PNG header with a few bytes after it: what the avatar check
/// looks at is the type's signature and the size.
fn png(extra: usize) -> Vec<u8> {
    let mut b = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
    b.extend(std::iter::repeat_n(7u8, extra));
    b
}

#[tokio::test]
async fn operator_pictures_are_checked_at_start_and_served() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("default.png");
    std::fs::write(&good, png(100)).unwrap();
    let webp = dir.path().join("bot.webp");
    let mut w = b"RIFF\0\0\0\0WEBPVP8 ".to_vec();
    w.extend([1u8; 50]);
    std::fs::write(&webp, &w).unwrap();

    let srv = TestServer::start_with(|c| {
        c.default_avatar = Some(good.clone());
        c.assistant_avatar = Some(webp.clone());
    })
    .await;
    let http = reqwest::Client::new();
    let set: serde_json::Value = http
        .get(srv.url("/api/pictures"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let listed = set["default_avatar"].as_str().unwrap();
    assert!(
        listed.starts_with("/api/pictures/default-avatar?v="),
        "{set}"
    );
    let via_list = http.get(srv.url(listed)).send().await.unwrap();
    assert_eq!(
        via_list.bytes().await.unwrap().as_ref(),
        png(100).as_slice()
    );
    assert!(set["assistant"]
        .as_str()
        .unwrap()
        .starts_with("/api/pictures/assistant?v="));
    let res = http
        .get(srv.url("/api/pictures/default-avatar"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let header = |res: &reqwest::Response, h| res.headers()[h].to_str().unwrap().to_owned();
    assert_eq!(header(&res, reqwest::header::CONTENT_TYPE), "image/png");
    assert!(header(&res, reqwest::header::CACHE_CONTROL).contains("max-age="));
    let etag = header(&res, reqwest::header::ETAG);
    assert_eq!(res.bytes().await.unwrap().as_ref(), png(100).as_slice());
    let again = http
        .get(srv.url("/api/pictures/default-avatar"))
        .header(reqwest::header::IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    let bot = http
        .get(srv.url("/api/pictures/assistant"))
        .send()
        .await
        .unwrap();
    assert_eq!(header(&bot, reqwest::header::CONTENT_TYPE), "image/webp");
    assert_eq!(bot.bytes().await.unwrap().as_ref(), w.as_slice());

    // Unset: listed as null, and 404.
    let plain = TestServer::start().await;
    let set: serde_json::Value = http
        .get(plain.url("/api/pictures"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        set,
        serde_json::json!({"default_avatar": null, "assistant": null})
    );
    for which in ["default-avatar", "assistant"] {
        let res = http
            .get(plain.url(&format!("/api/pictures/{which}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{which}");
    }

    // A bad file refuses to start, in one line naming the setting, the file and why.
    let text = dir.path().join("avatar.png");
    std::fs::write(&text, b"not a picture at all").unwrap();
    let huge = dir.path().join("huge.png");
    std::fs::write(&huge, png(256 * 1024)).unwrap();
    let missing = dir.path().join("missing.png");
    let cases = [
        (&text, "is not a JPEG, PNG or WebP image"),
        (&huge, "is larger than 256 KiB"),
        (&missing, "cannot be read"),
    ];
    for (path, problem) in cases {
        let data = tempfile::tempdir().unwrap();
        let mut config = common::test_config(&data);
        config.assistant_avatar = Some(path.clone());
        let err =
            messgo_server::Server::build(config, std::sync::Arc::new(messgo_server::SystemClock))
                .await
                .err()
                .expect("a bad picture refuses to start");
        let line = format!("{err:#}");
        assert!(!line.contains('\n'), "one line: {line}");
        assert!(line.contains("--assistant-avatar"), "{line}");
        assert!(line.contains(&path.display().to_string()), "{line}");
        assert!(line.contains(problem), "{line}");
    }
}

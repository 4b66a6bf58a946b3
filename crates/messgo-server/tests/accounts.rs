//! Accounts and sessions over real HTTP: the server never sees the password, and
//! never says whether a username exists except where registration must.

// A test: a failed step panics and that panic is the report; a match's other arm
// is a failure too (`other => panic!`), and test data may be cut to size.
#![allow(
    clippy::unwrap_used,
    clippy::wildcard_enum_match_arm,
    clippy::cast_possible_truncation
)]

mod common;

use common::{file_contains, username, TestServer, PASSWORD};
use messgo_client::{is_api_error, ClientError};
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn register_logout_login_round_trip() {
    let srv = TestServer::start().await;
    let c = srv.client();
    let name = username("alice");
    let reg = c.register(&name, PASSWORD).await.unwrap();
    assert_eq!(reg.me.username, name);
    assert_eq!(c.me().await.unwrap().user_id, reg.user_id());

    c.logout().await.unwrap();
    let err = c.me().await.unwrap_err();
    assert!(
        is_api_error(&err, StatusCode::UNAUTHORIZED, "unauthenticated"),
        "{err}"
    );

    let back = c.login(&name.to_uppercase(), PASSWORD).await.unwrap();
    assert_eq!(
        back.user_id(),
        reg.user_id(),
        "usernames are case-insensitive"
    );
    assert_eq!(
        *back.secrets.x25519, *reg.secrets.x25519,
        "the bundle opens to the same keys"
    );
    assert_eq!(*back.secrets.ed25519_seed, *reg.secrets.ed25519_seed);
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_answer() {
    let srv = TestServer::start().await;
    let name = username("bob");
    srv.client().register(&name, PASSWORD).await.unwrap();

    let http = srv.http();
    let attempt = |who: String| {
        let http = http.clone();
        let url = srv.url("/api/login");
        async move {
            let res = http
                .post(url)
                .header("x-messgo", "1")
                .json(&json!({"username": who, "auth_key": "A".repeat(43)}))
                .send()
                .await
                .unwrap();
            (res.status(), res.text().await.unwrap())
        }
    };
    let wrong = attempt(name).await;
    let unknown = attempt(username("nobody")).await;
    assert_eq!(wrong.0, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong, unknown);
    let body: Value = serde_json::from_str(&wrong.1).unwrap();
    assert_eq!(body["error"]["code"], "invalid_credentials");
}

#[tokio::test]
async fn prelogin_is_the_same_for_unknown_usernames() {
    let srv = TestServer::start().await;
    let name = username("carol");
    let c = srv.client();
    c.register(&name, PASSWORD).await.unwrap();
    let http = reqwest::Client::new();
    let ask = |who: String| {
        let req = http
            .post(srv.url("/api/prelogin"))
            .header("x-messgo", "1")
            .json(&json!({ "username": who }));
        async move {
            let res = req.send().await.unwrap();
            let status = res.status();
            let mut headers: Vec<_> = res
                .headers()
                .iter()
                .filter(|(k, _)| *k != "date")
                .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned()))
                .collect();
            headers.sort();
            (status, headers, res.text().await.unwrap())
        }
    };
    let known = ask(name).await;
    let unknown = ask(username("ghost")).await;
    assert_eq!(known.0, StatusCode::OK);
    assert_eq!(known, unknown);
}

#[tokio::test]
async fn usernames_follow_the_rules() {
    let srv = TestServer::start().await;
    for bad in ["ab", "has space", "dash-ed", "émile", &"x".repeat(33)] {
        let err = srv.client().register(bad, PASSWORD).await.unwrap_err();
        assert!(
            is_api_error(&err, StatusCode::BAD_REQUEST, "invalid_username"),
            "{bad}: {err}"
        );
    }
    let name = username("Dave.M");
    srv.client().register(&name, PASSWORD).await.unwrap();
    let err = srv
        .client()
        .register(&name.to_uppercase(), "another password")
        .await
        .unwrap_err();
    assert!(
        is_api_error(&err, StatusCode::CONFLICT, "username_taken"),
        "{err}"
    );
}

async fn register_raw(srv: &TestServer, body: Value) -> (StatusCode, Value) {
    let res = reqwest::Client::new()
        .post(srv.url("/api/register"))
        .header("x-messgo", "1")
        .json(&body)
        .send()
        .await
        .unwrap();
    (res.status(), res.json().await.unwrap())
}

fn b64(n: usize) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(vec![7u8; n])
}

fn valid_registration() -> Value {
    use base64::Engine;
    let ed = ed25519_dalek_public();
    json!({
        "user_id": uuid::Uuid::new_v4(),
        "username": username("raw"),
        "auth_key": b64(32),
        "kdf": {"alg": "pbkdf2-sha256", "iterations": 600000},
        "key_bundle": b64(92),
        "x25519_public": b64(32),
        "ed25519_public": base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(ed),
    })
}

fn ed25519_dalek_public() -> [u8; 32] {
    messgo_crypto::bundle::IdentitySecrets::generate(&mut rand::rngs::OsRng).ed25519_public()
}

#[tokio::test]
async fn registration_fields_are_checked_and_named() {
    let srv = TestServer::start().await;
    let (status, _) = register_raw(&srv, valid_registration()).await;
    assert_eq!(status, StatusCode::CREATED, "the baseline is valid");

    let cases: Vec<(&str, Value, &str)> = vec![
        ("auth_key", json!(b64(31)), "invalid_field"),
        ("key_bundle", json!(b64(91)), "invalid_field"),
        ("x25519_public", json!(b64(33)), "invalid_field"),
        ("ed25519_public", json!(b64(31)), "invalid_field"),
        (
            "kdf",
            json!({"alg": "pbkdf2-sha256", "iterations": 1000}),
            "invalid_field",
        ),
        (
            "kdf",
            json!({"alg": "md5", "iterations": 600000}),
            "invalid_json",
        ),
        (
            "user_id",
            json!("00000000-0000-1000-8000-000000000000"),
            "invalid_field",
        ),
        ("auth_key", json!("not base64!"), "invalid_json"),
    ];
    for (field, value, code) in cases {
        let mut body = valid_registration();
        body[field] = value;
        let (status, err) = register_raw(&srv, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}: {err}");
        assert_eq!(err["error"]["code"], code, "{field}: {err}");
        assert!(
            err["error"]["message"].as_str().unwrap().contains(field),
            "{field}: {err}"
        );
    }
}

#[tokio::test]
async fn change_password_rewraps_and_revokes_other_sessions() {
    let srv = TestServer::start().await;
    let name = username("erin");
    let phone = srv.client();
    let laptop = srv.client();
    let reg = phone.register(&name, PASSWORD).await.unwrap();
    laptop.login(&name, PASSWORD).await.unwrap();

    let err = phone
        .change_password("wrong password", "new secret words")
        .await
        .unwrap_err();
    assert!(
        matches!(err, ClientError::Crypto(_)),
        "a wrong old password cannot even open the bundle: {err}"
    );
    phone
        .change_password(PASSWORD, "new secret words")
        .await
        .unwrap();

    assert!(phone.me().await.is_ok(), "the changing session stays");
    let err = laptop.me().await.unwrap_err();
    assert!(
        is_api_error(&err, StatusCode::UNAUTHORIZED, "unauthenticated"),
        "{err}"
    );

    let err = srv.client().login(&name, PASSWORD).await.unwrap_err();
    assert!(
        is_api_error(&err, StatusCode::UNAUTHORIZED, "invalid_credentials"),
        "{err}"
    );
    let again = srv.client().login(&name, "new secret words").await.unwrap();
    assert_eq!(
        *again.secrets.x25519, *reg.secrets.x25519,
        "same identity keys under the new password"
    );
}

#[tokio::test]
async fn change_password_needs_the_current_auth_key() {
    let srv = TestServer::start().await;
    let name = username("faye");
    let c = srv.client();
    c.register(&name, PASSWORD).await.unwrap();
    let res = srv
        .http()
        .post(srv.url("/api/account/password"))
        .header("x-messgo", "1")
        .json(&json!({"auth_key": b64(32), "new_auth_key": b64(32),
            "new_kdf": {"alg":"pbkdf2-sha256","iterations":600000}, "new_key_bundle": b64(92)}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "no session");
    // With a session but the wrong current key, nothing changes.
    let http = srv.http();
    let me = login_with_http(&srv, &http, &name).await;
    let res = http
        .post(srv.url("/api/account/password"))
        .header("x-messgo", "1")
        .json(&json!({"auth_key": b64(32), "new_auth_key": b64(32),
            "new_kdf": {"alg":"pbkdf2-sha256","iterations":600000}, "new_key_bundle": b64(92)}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"]["code"],
        "invalid_credentials"
    );
    srv.client()
        .login(&name, PASSWORD)
        .await
        .expect("the password is unchanged");
    assert_eq!(me["username"], name);
}

/// Logs in with a plain reqwest client (the auth key derived by the real client code).
async fn login_with_http(srv: &TestServer, http: &reqwest::Client, name: &str) -> Value {
    let auth_key = srv.client().auth_key(name, PASSWORD).await.unwrap();
    use base64::Engine;
    let res = http
        .post(srv.url("/api/login"))
        .header("x-messgo", "1")
        .json(&json!({"username": name,
            "auth_key": base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(auth_key)}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

#[tokio::test]
async fn delete_account_removes_everything_at_once() {
    let srv = TestServer::start().await;
    let name = username("gus");
    let c = srv.client();
    let other = srv.client();
    let id = c.register(&name, PASSWORD).await.unwrap().user_id();
    other.login(&name, PASSWORD).await.unwrap();

    let err = c.delete_account("not my password").await.unwrap_err();
    assert!(
        is_api_error(&err, StatusCode::UNAUTHORIZED, "invalid_credentials"),
        "{err}"
    );
    c.delete_account(PASSWORD).await.unwrap();

    for client in [&c, &other] {
        let err = client.me().await.unwrap_err();
        assert!(
            is_api_error(&err, StatusCode::UNAUTHORIZED, "unauthenticated"),
            "{err}"
        );
    }
    let err = srv.client().login(&name, PASSWORD).await.unwrap_err();
    assert!(
        is_api_error(&err, StatusCode::UNAUTHORIZED, "invalid_credentials"),
        "{err}"
    );

    // At once, while the server runs: not only after a later sweep or at shutdown.
    for suffix in ["", "-wal"] {
        let path = std::path::PathBuf::from(format!("{}{suffix}", srv.db_path().display()));
        assert!(
            !file_contains(&path, name.as_bytes()),
            "{} still holds the username",
            path.display()
        );
    }
    let (_, dir) = srv.stop().await;
    let db = dir.path().join("messgo.db");
    assert!(
        !file_contains(&db, name.as_bytes()),
        "the username is gone from the file"
    );
    assert!(
        !file_contains(&db, id.as_bytes()),
        "the user id is gone from the file"
    );
    // The name is free again.
    let srv = TestServer::start_config(
        common::test_config(&dir),
        dir,
        std::sync::Arc::new(messgo_server::SystemClock),
    )
    .await;
    srv.client().register(&name, PASSWORD).await.unwrap();
}

#[tokio::test]
async fn sessions_are_listed_and_revocable_only_by_their_owner() {
    let srv = TestServer::start().await;
    let name = username("hal");
    let a = srv.client();
    let b = srv.client();
    a.register(&name, PASSWORD).await.unwrap();
    b.login(&name, PASSWORD).await.unwrap();

    let list = a.sessions().await.unwrap().sessions;
    assert_eq!(list.len(), 2);
    assert_eq!(list.iter().filter(|s| s.current).count(), 1);
    assert!(list.iter().all(|s| s.device == "MessGo client"));
    let b_session = list.iter().find(|s| !s.current).unwrap().id;

    let stranger = srv.client();
    stranger
        .register(&username("stranger"), PASSWORD)
        .await
        .unwrap();
    let err = stranger.revoke_session(b_session).await.unwrap_err();
    assert!(
        is_api_error(&err, StatusCode::NOT_FOUND, "not_found"),
        "{err}"
    );
    assert!(b.me().await.is_ok());

    a.revoke_session(b_session).await.unwrap();
    assert!(b.me().await.is_err());
    assert_eq!(a.sessions().await.unwrap().sessions.len(), 1);
}

#[tokio::test]
async fn session_cookie_is_httponly_strict_and_secure_only_behind_tls() {
    for tls in [false, true] {
        let srv = TestServer::start_with(|c| c.behind_tls_proxy = tls).await;
        let (status, _) = register_raw(&srv, valid_registration()).await;
        assert_eq!(status, StatusCode::CREATED);
        let res = reqwest::Client::new()
            .post(srv.url("/api/register"))
            .header("x-messgo", "1")
            .json(&valid_registration())
            .send()
            .await
            .unwrap();
        let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert!(cookie.starts_with("messgo_session="), "{cookie}");
        assert!(
            cookie.contains("HttpOnly")
                && cookie.contains("SameSite=Strict")
                && cookie.contains("Path=/")
        );
        assert_eq!(cookie.contains("Secure"), tls, "{cookie}");
        assert_eq!(res.headers().contains_key("strict-transport-security"), tls);
    }
}

#[tokio::test]
async fn the_database_never_holds_the_password_or_any_key() {
    let srv = TestServer::start().await;
    let name = username("ivy");
    let c = srv.client();
    let id = c.register(&name, PASSWORD).await.unwrap();
    let cfg = c.config().await.unwrap();
    let keys =
        messgo_crypto::kdf::AccountKeys::derive(PASSWORD, &cfg.realm_id, &name, cfg.kdf.iterations);
    c.login(&name, PASSWORD).await.unwrap();
    let (_, dir) = srv.stop().await;

    let secrets: [(&str, &[u8]); 5] = [
        ("password", PASSWORD.as_bytes()),
        ("auth key", keys.auth_key.as_slice()),
        ("wrap key", keys.wrap_key.as_slice()),
        ("x25519 secret", id.secrets.x25519.as_slice()),
        ("ed25519 seed", id.secrets.ed25519_seed.as_slice()),
    ];
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        for (what, bytes) in secrets {
            assert!(
                !file_contains(&path, bytes),
                "{what} found in {}",
                path.display()
            );
            let b64 = {
                use base64::Engine;
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
            };
            assert!(
                !file_contains(&path, b64.as_bytes()),
                "{what} (base64) found in {}",
                path.display()
            );
        }
    }
    assert!(
        file_contains(&dir.path().join("messgo.db"), name.as_bytes()),
        "the scan does read the data"
    );
}

#[tokio::test]
async fn the_realm_id_survives_restarts() {
    let srv = TestServer::start().await;
    let before = srv.client().config().await.unwrap();
    let name = username("jon");
    srv.client().register(&name, PASSWORD).await.unwrap();
    let srv = srv.restart().await;
    let after = srv.client().config().await.unwrap();
    assert_eq!(before.realm_id, after.realm_id);
    srv.client()
        .login(&name, PASSWORD)
        .await
        .expect("keys derive the same after a restart");
}

#[tokio::test]
async fn ending_a_session_closes_its_sockets_at_once() {
    use messgo_proto::ServerEvent;
    use std::time::Duration;
    let srv = TestServer::start().await;
    let name = username("kim");
    let phone = srv.client();
    let laptop = srv.client();
    phone.register(&name, PASSWORD).await.unwrap();
    laptop.login(&name, PASSWORD).await.unwrap();
    let mut phone_events = phone.events().await.unwrap();
    let mut laptop_events = laptop.events().await.unwrap();

    let laptop_session = phone
        .sessions()
        .await
        .unwrap()
        .sessions
        .into_iter()
        .find(|s| !s.current)
        .unwrap()
        .id;
    phone.revoke_session(laptop_session).await.unwrap();
    let wait = Duration::from_secs(5);
    assert_eq!(
        laptop_events.next_within(wait).await.unwrap(),
        Some(ServerEvent::SessionEnded)
    );
    assert_eq!(
        laptop_events.next_within(wait).await.unwrap(),
        None,
        "and the socket closes"
    );
    phone_events.expect_nothing_pending().await.unwrap();

    phone.logout().await.unwrap();
    assert_eq!(
        phone_events.next_within(wait).await.unwrap(),
        Some(ServerEvent::SessionEnded)
    );
}

//! `prelogin` gives no account away: a username nobody has answers KDF parameters
//! drawn from those accounts really have, the same every time and after a restart,
//! so raising `--kdf-iterations` does not single out the accounts made before.

// A test: a failed step panics and that panic is the report.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use common::{register_fast, username, TestServer};
use messgo_proto::{KdfParams, UserId};
use messgo_server::SystemClock;
use reqwest::StatusCode;

const OLD: u32 = 600_000;
const NEW: u32 = 900_000;

/// Registers `name` with PBKDF2 at `iterations` (keys random: nobody signs in).
async fn register_at(srv: &TestServer, name: &str, iterations: u32) {
    use base64::Engine;
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let secrets = messgo_crypto::bundle::IdentitySecrets::generate(&mut rand::rngs::OsRng);
    let body = serde_json::json!({
        "user_id": UserId::random(), "username": name, "auth_key": b64(&rand::random::<[u8; 32]>()),
        "kdf": {"alg": "pbkdf2-sha256", "iterations": iterations}, "key_bundle": b64(&[0u8; 92]),
        "x25519_public": b64(&secrets.x25519_public()), "ed25519_public": b64(&secrets.ed25519_public()),
    });
    let res = srv.client().raw_post("/api/register", &body).await;
    assert_eq!(res.status(), StatusCode::CREATED, "{name}");
}

/// What `prelogin` answers for each name, by iterations.
async fn answers(srv: &TestServer, names: &[String]) -> BTreeMap<String, u32> {
    let client = srv.client();
    let mut out = BTreeMap::new();
    for name in names {
        let kdf = client.prelogin(name).await.unwrap().kdf;
        assert_eq!(kdf.alg, KdfParams::default().alg);
        out.insert(name.clone(), kdf.iterations);
    }
    out
}

async fn restart_with(srv: TestServer, iterations: u32) -> TestServer {
    let (mut config, dir) = srv.stop().await;
    config.kdf_iterations = iterations;
    TestServer::start_config(config, dir, Arc::new(SystemClock)).await
}

#[tokio::test]
async fn unknown_names_answer_like_accounts_made_before_and_after_a_raise() {
    let srv = TestServer::start().await;
    let mut old_accounts = Vec::new();
    for _ in 0..3 {
        let name = username("early");
        register_fast(&srv, &name).await; // at OLD, the default so far
        old_accounts.push(name);
    }
    // The default is raised; accounts made since use it.
    let srv = restart_with(srv, NEW).await;
    let mut new_accounts = Vec::new();
    for _ in 0..3 {
        let name = username("late");
        register_at(&srv, &name, NEW).await;
        new_accounts.push(name);
    }
    let srv = restart_with(srv, NEW).await;

    let known = answers(&srv, &[old_accounts.clone(), new_accounts.clone()].concat()).await;
    assert!(old_accounts.iter().all(|n| known[n] == OLD), "{known:?}");
    assert!(new_accounts.iter().all(|n| known[n] == NEW), "{known:?}");

    // Unknown names answer what accounts have, both sets (half each here), not
    // always the new default that would give every old account away.
    let ghosts: Vec<String> = (0..40).map(|_| username("ghost")).collect();
    let first = answers(&srv, &ghosts).await;
    let seen: BTreeSet<u32> = first.values().copied().collect();
    assert_eq!(seen, BTreeSet::from([OLD, NEW]), "{first:?}");
    assert_eq!(
        answers(&srv, &ghosts).await,
        first,
        "the same on every call"
    );
    // Case does not matter, as for accounts.
    let upper: Vec<String> = ghosts.iter().map(|g| g.to_uppercase()).collect();
    let upper = answers(&srv, &upper).await;
    assert!(ghosts.iter().all(|g| upper[&g.to_uppercase()] == first[g]));

    let srv = restart_with(srv, NEW).await;
    assert_eq!(answers(&srv, &ghosts).await, first, "and after a restart");
    assert_eq!(
        answers(&srv, &[old_accounts, new_accounts].concat()).await,
        known
    );
}

//! Registration modes and invite links over real HTTP and WebSockets, on SQLite and
//! PostgreSQL: who may sign up, an invite that signs someone up and makes them and
//! the inviter contacts in one step, the limits, one answer for every bad invite
//! (saying nothing about accounts), revocation, and no race that lets an N-use
//! invite sign up more than N people.

// A test: a failed step panics and that panic is the report; a match's other arm
// is a failure too (`other => panic!`).
#![allow(clippy::unwrap_used, clippy::wildcard_enum_match_arm)]

mod common;
#[path = "common/records.rs"]
mod records;

use std::sync::Arc;

use common::{fresh_postgres, register_fast, test_config, username, PgGuard, TestServer};
use futures_util::future::join_all;
use messgo_client::{is_api_error, Client};
use messgo_proto::{Registration, ServerEvent, UserId};
use messgo_server::config::InvitesBy;
use messgo_server::invites::sql as invites_sql;
use messgo_server::{db_run, Config, ManualClock};
use reqwest::StatusCode;

const INVALID_WORDS: &str = "This invite is no longer valid; ask for a new one.";

#[derive(Clone, Copy, Debug)]
enum Engine {
    Sqlite,
    Postgres,
}

/// A server on `engine` with `tweak` applied; the guard drops its PostgreSQL database.
async fn server(
    engine: Engine,
    clock: Arc<ManualClock>,
    tweak: impl FnOnce(&mut Config),
) -> (TestServer, Option<PgGuard>) {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let mut config = test_config(&dir);
    let guard = match engine {
        Engine::Sqlite => None,
        Engine::Postgres => {
            let (url, guard) = fresh_postgres().await;
            config.database = Some(url);
            Some(guard)
        }
    };
    tweak(&mut config);
    (TestServer::start_config(config, dir, clock).await, guard)
}

async fn finish(srv: TestServer, guard: Option<PgGuard>) {
    srv.stop().await;
    if let Some(guard) = guard {
        guard.drop_database().await;
    }
}

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(common::now_ms()))
}

/// A registration as a browser sends it (random auth key: no KDF), with `invite`.
/// Returns the status, the error code (empty on success), the words, and a client
/// signed in as the new account when it was created.
async fn register(
    srv: &TestServer,
    name: &str,
    invite: Option<&str>,
) -> (StatusCode, String, String, Client) {
    use base64::Engine;
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let secrets = messgo_crypto::bundle::IdentitySecrets::generate(&mut rand::rngs::OsRng);
    let client = srv.client();
    let mut body = serde_json::json!({
        "user_id": UserId::random(), "username": name,
        "auth_key": b64(&rand::random::<[u8; 32]>()),
        "kdf": {"alg": "pbkdf2-sha256", "iterations": 600000}, "key_bundle": b64(&[0u8; 92]),
        "x25519_public": b64(&secrets.x25519_public()),
        "ed25519_public": b64(&secrets.ed25519_public()),
    });
    if let Some(code) = invite {
        body["invite"] = code.into();
    }
    let res = client.raw_post("/api/register", &body).await;
    let status = res.status();
    let body: serde_json::Value = res.json().await.unwrap();
    let code = body["error"]["code"].as_str().unwrap_or("").to_owned();
    let words = body["error"]["message"].as_str().unwrap_or("").to_owned();
    (status, code, words, client)
}

async fn user(srv: &TestServer, prefix: &str) -> (UserId, Client) {
    register_fast(srv, &username(prefix)).await
}

/// Every invite row of `inviter`, expired ones too (None: the operator's).
async fn stored_invites(srv: &TestServer, inviter: Option<UserId>) -> usize {
    db_run!(srv.services.db, read, invites_sql::invites_of(inviter, 0))
        .unwrap()
        .len()
}

#[tokio::test]
async fn closed_and_invite_only_servers_refuse_plainly_and_say_so_in_their_config() {
    let (srv, _) = server(Engine::Sqlite, clock(), |c| {
        c.registration = Some(Registration::Closed)
    })
    .await;
    let config = srv.client().config().await.unwrap();
    assert_eq!(config.registration, Registration::Closed);
    let (status, code, words, _) = register(&srv, &username("nobody"), None).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::FORBIDDEN, "registration_closed")
    );
    assert_eq!(words, "Sign-up is closed on this server.");
    // Not even with an operator's invite.
    let op = srv
        .services
        .invites
        .create_by_operator(None, None)
        .await
        .unwrap();
    let (status, code, ..) = register(&srv, &username("nobody"), Some(&op.code)).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::FORBIDDEN, "registration_closed")
    );
    srv.stop().await;

    let (srv, _) = server(Engine::Sqlite, clock(), |c| {
        c.registration = Some(Registration::Invite)
    })
    .await;
    let config = srv.client().config().await.unwrap();
    assert_eq!(
        (config.registration, config.user_invites),
        (Registration::Invite, true)
    );
    let (status, code, words, _) = register(&srv, &username("stranger"), None).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::FORBIDDEN, "invite_required")
    );
    assert!(words.contains("by invitation"), "{words}");
    // The operator's invite lets the first person in, and connects them to nobody.
    let op = srv
        .services
        .invites
        .create_by_operator(Some(2), None)
        .await
        .unwrap();
    let (status, _, _, first) = register(&srv, &username("first"), Some(&op.code)).await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(first.contacts().await.unwrap().is_empty());
    assert_eq!(
        srv.services.invites.list_by_operator().await.unwrap()[0].uses_left,
        1
    );
    // Then that person invites the next.
    let theirs = first.create_invite(None, None).await.unwrap();
    let (status, _, _, second) = register(&srv, &username("second"), Some(&theirs.code)).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(second.contacts().await.unwrap().len(), 1);
    srv.stop().await;
}

#[tokio::test]
async fn an_open_server_takes_sign_ups_without_invites_and_with_them_still_connects() {
    let (srv, _) = server(Engine::Sqlite, clock(), |_| {}).await;
    assert_eq!(
        srv.config.registration_mode().0,
        Registration::Open,
        "loopback"
    );
    assert_eq!(
        srv.client().config().await.unwrap().registration,
        Registration::Open
    );
    let (a_id, a) = user(&srv, "opener").await;
    let invite = a.create_invite(None, None).await.unwrap();
    let (status, _, _, b) = register(&srv, &username("joiner"), Some(&invite.code)).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(b.contacts().await.unwrap()[0].user_id, a_id);
    // A bad invite is refused even where none is needed: the link was meant to connect.
    let (status, code, ..) = register(&srv, &username("joiner"), Some(&invite.code)).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::FORBIDDEN, "invite_invalid")
    );
    srv.stop().await;
}

async fn an_invite_signs_up_and_connects_both_at_once(engine: Engine) {
    let (srv, guard) = server(engine, clock(), |c| {
        c.registration = Some(Registration::Invite)
    })
    .await;
    let op = srv
        .services
        .invites
        .create_by_operator(None, None)
        .await
        .unwrap();
    let (_, _, _, a) = register(&srv, &username("inviter"), Some(&op.code)).await;
    let a_me = a.me().await.unwrap();
    let mut a_tab = a.events().await.unwrap();

    let invite = a.create_invite(Some(2), Some(3600)).await.unwrap();
    assert_eq!((invite.invite.uses, invite.invite.uses_left), (2, 2));
    assert_eq!(
        invite.invite.expires_at - invite.invite.created_at,
        3_600_000
    );
    let listed = a.invites().await.unwrap();
    assert_eq!(
        listed,
        vec![invite.invite.clone()],
        "listed without its code"
    );

    let b_name = username("invited");
    let (status, _, _, b) = register(&srv, &b_name, Some(&invite.code)).await;
    assert_eq!(status, StatusCode::CREATED);
    let b_me = b.me().await.unwrap();
    // The inviter's open tab sees the new contact at once, as after an accepted request.
    let ServerEvent::ContactAdded { contact } = a_tab.next().await.unwrap() else {
        panic!("the inviter's tab hears of the new contact")
    };
    assert_eq!(
        (contact.user_id, contact.username.as_str()),
        (b_me.user_id, b_name.as_str())
    );
    let for_b = b.contacts().await.unwrap();
    assert_eq!(for_b.len(), 1);
    assert_eq!(for_b[0].user_id, a_me.user_id);
    assert_eq!(
        for_b[0].chat_id, contact.chat_id,
        "one direct chat for the pair"
    );
    assert_eq!(a.contacts().await.unwrap()[0].user_id, b_me.user_id);
    assert!(b
        .chats()
        .await
        .unwrap()
        .iter()
        .any(|c| c.id == contact.chat_id));
    assert_eq!(a.invites().await.unwrap()[0].uses_left, 1);

    // The second and last use; a used-up invite is gone.
    let (status, ..) = register(&srv, &username("invited"), Some(&invite.code)).await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(a.invites().await.unwrap().is_empty());
    assert_eq!(a.contacts().await.unwrap().len(), 2);
    let (status, code, ..) = register(&srv, &username("late"), Some(&invite.code)).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::FORBIDDEN, "invite_invalid")
    );
    finish(srv, guard).await;
}

#[tokio::test]
async fn an_invite_signs_up_and_connects_both_at_once_sqlite() {
    an_invite_signs_up_and_connects_both_at_once(Engine::Sqlite).await;
}

#[tokio::test]
async fn an_invite_signs_up_and_connects_both_at_once_postgres() {
    an_invite_signs_up_and_connects_both_at_once(Engine::Postgres).await;
}

async fn every_bad_invite_gets_one_answer_that_tells_nothing(engine: Engine) {
    let clock = clock();
    let (srv, guard) = server(engine, clock.clone(), |c| {
        c.registration = Some(Registration::Invite)
    })
    .await;
    let (_, a) = user_in(&srv, "host").await;
    let a_name = a.me().await.unwrap().username;
    let revoked = a.create_invite(None, None).await.unwrap();
    a.revoke_invite(revoked.invite.id).await.unwrap();
    let used = a.create_invite(None, None).await.unwrap();
    let (status, ..) = register(&srv, &username("usedit"), Some(&used.code)).await;
    assert_eq!(status, StatusCode::CREATED);
    let expiring = a.create_invite(None, Some(60)).await.unwrap();
    clock.advance(61_000);
    let mut wrong = used.code.clone();
    wrong.replace_range(0..1, if wrong.starts_with('A') { "B" } else { "A" });

    let bad = [
        ("never made", "A".repeat(43)),
        ("a typo", wrong),
        ("malformed", "not an invite".to_owned()),
        ("used up", used.code.clone()),
        ("revoked", revoked.code.clone()),
        ("expired", expiring.code.clone()),
    ];
    for (what, code) in &bad {
        // A fresh name and a taken one get the same answer: the invite is checked first.
        for name in [username("fresh"), a_name.clone()] {
            let (status, error, words, _) = register(&srv, &name, Some(code)).await;
            assert_eq!(
                (status, error.as_str(), words.as_str()),
                (StatusCode::FORBIDDEN, "invite_invalid", INVALID_WORDS),
                "{what}, as {name}"
            );
        }
    }
    // A good invite with a taken name: that is said, and the use is not spent.
    let good = a.create_invite(None, None).await.unwrap();
    let (status, error, ..) = register(&srv, &a_name, Some(&good.code)).await;
    assert_eq!(
        (status, error.as_str()),
        (StatusCode::CONFLICT, "username_taken")
    );
    assert_eq!(a.invites().await.unwrap()[0].uses_left, 1);
    let (status, ..) = register(&srv, &username("rightful"), Some(&good.code)).await;
    assert_eq!(status, StatusCode::CREATED);
    finish(srv, guard).await;
}

/// A user on a server of any mode: an operator's invite lets them in.
async fn user_in(srv: &TestServer, prefix: &str) -> (UserId, Client) {
    let op = srv
        .services
        .invites
        .create_by_operator(None, None)
        .await
        .unwrap();
    let (status, _, _, client) = register(srv, &username(prefix), Some(&op.code)).await;
    assert_eq!(status, StatusCode::CREATED);
    (client.me().await.unwrap().user_id, client)
}

#[tokio::test]
async fn every_bad_invite_gets_one_answer_that_tells_nothing_sqlite() {
    every_bad_invite_gets_one_answer_that_tells_nothing(Engine::Sqlite).await;
}

#[tokio::test]
async fn every_bad_invite_gets_one_answer_that_tells_nothing_postgres() {
    every_bad_invite_gets_one_answer_that_tells_nothing(Engine::Postgres).await;
}

#[tokio::test]
async fn invites_are_bounded_in_uses_life_and_number() {
    let (srv, _) = server(Engine::Sqlite, clock(), |_| {}).await;
    let (_, a) = user(&srv, "bounded").await;
    for (uses, secs, field) in [
        (Some(0), None, "uses"),
        (Some(101), None, "uses"),
        (None, Some(59), "expires_in_secs"),
        (None, Some(72 * 3600 + 1), "expires_in_secs"),
    ] {
        let err = a.create_invite(uses, secs).await.unwrap_err();
        assert!(
            is_api_error(&err, StatusCode::BAD_REQUEST, "invalid_field"),
            "{err:?}"
        );
        assert!(err.to_string().contains(field), "{err}");
    }
    let most = a.create_invite(Some(100), Some(72 * 3600)).await.unwrap();
    assert_eq!(
        most.invite.expires_at - most.invite.created_at,
        72 * 3_600_000
    );
    let default = a.create_invite(None, None).await.unwrap();
    assert_eq!(default.invite.uses, 1);
    assert_eq!(
        default.invite.expires_at - default.invite.created_at,
        24 * 3_600_000
    );
    for _ in 2..messgo_proto::LIVE_INVITES_PER_USER {
        a.create_invite(None, None).await.unwrap();
    }
    let err = a.create_invite(None, None).await.unwrap_err();
    assert!(
        is_api_error(&err, StatusCode::CONFLICT, "too_many_invites"),
        "{err:?}"
    );
    assert!(err.to_string().contains("at most 20"), "{err}");
    // Revoking one makes room; someone else's invite is nobody's to revoke.
    let (_, b) = user(&srv, "other").await;
    let err = b.revoke_invite(most.invite.id).await.unwrap_err();
    assert!(
        is_api_error(&err, StatusCode::NOT_FOUND, "not_found"),
        "{err:?}"
    );
    a.revoke_invite(most.invite.id).await.unwrap();
    a.create_invite(None, None).await.unwrap();
    srv.stop().await;
}

#[tokio::test]
async fn where_only_the_operator_invites_users_are_told_so() {
    let (srv, _) = server(Engine::Sqlite, clock(), |c| {
        c.invites_by = InvitesBy::Operator
    })
    .await;
    assert!(!srv.client().config().await.unwrap().user_invites);
    let (_, a) = user(&srv, "plain").await;
    let err = a.create_invite(None, None).await.unwrap_err();
    assert!(
        is_api_error(&err, StatusCode::FORBIDDEN, "invites_by_operator"),
        "{err:?}"
    );
    srv.services
        .invites
        .create_by_operator(None, None)
        .await
        .unwrap();
    srv.stop().await;
}

/// Registrations fired at once at an invite with `uses` uses: exactly that many
/// get in, the rest hear `invite_invalid`.
async fn concurrent_sign_ups_cannot_overspend(engine: Engine) {
    let (srv, guard) = server(engine, clock(), |c| {
        c.registration = Some(Registration::Invite)
    })
    .await;
    let (_, a) = user_in(&srv, "popular").await;
    for uses in [1_u32, 3] {
        let invite = a.create_invite(Some(uses), None).await.unwrap();
        let names: Vec<String> = (0..12).map(|_| username("rush")).collect();
        let answers = join_all(names.iter().map(|n| register(&srv, n, Some(&invite.code)))).await;
        let created = answers
            .iter()
            .filter(|a| a.0 == StatusCode::CREATED)
            .count();
        let refused = answers
            .iter()
            .filter(|a| (a.0, a.1.as_str()) == (StatusCode::FORBIDDEN, "invite_invalid"))
            .count();
        assert_eq!(
            (created, refused),
            (uses as usize, 12 - uses as usize),
            "{uses} uses"
        );
    }
    assert_eq!(a.contacts().await.unwrap().len(), 4);
    finish(srv, guard).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_sign_ups_cannot_overspend_sqlite() {
    concurrent_sign_ups_cannot_overspend(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_sign_ups_cannot_overspend_postgres() {
    concurrent_sign_ups_cannot_overspend(Engine::Postgres).await;
}

/// The same race without the password hashing in front (which spaces sign-ups
/// out): the spending transactions themselves, 24 at once on the database.
async fn concurrent_spends_in_the_store_cannot_overspend(engine: Engine) {
    let (srv, guard) = server(engine, clock(), |_| {}).await;
    let (_, a) = user(&srv, "store").await;
    let invite = a.create_invite(Some(2), None).await.unwrap();
    let hash = messgo_server::invites::code_hash_checked(&invite.code).unwrap();
    let spends = (0..24).map(|i| {
        let (db, hash) = (srv.services.db.clone(), hash.clone());
        let mut user = records::user(&format!("racer{i}_{}", std::process::id()));
        user.created_at = common::now_ms();
        tokio::spawn(async move {
            db_run!(
                db,
                write,
                invites_sql::register_invited(&user, &hash, uuid::Uuid::new_v4())
            )
        })
    });
    let results = join_all(spends).await;
    let spent = results.iter().filter(|r| matches!(r, Ok(Ok(_)))).count();
    let refused = results
        .iter()
        .filter(|r| {
            matches!(
                r,
                Ok(Err(messgo_server::store::StoreError::Rejected(
                    messgo_server::refusal::Refusal::InviteInvalid
                )))
            )
        })
        .count();
    assert_eq!((spent, refused), (2, 22));
    assert_eq!(a.contacts().await.unwrap().len(), 2);
    finish(srv, guard).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_spends_in_the_store_cannot_overspend_sqlite() {
    concurrent_spends_in_the_store_cannot_overspend(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_spends_in_the_store_cannot_overspend_postgres() {
    concurrent_spends_in_the_store_cannot_overspend(Engine::Postgres).await;
}

async fn invites_go_with_their_inviter_and_at_expiry(engine: Engine) {
    let clock = clock();
    let (srv, guard) = server(engine, clock.clone(), |_| {}).await;
    let name = username("leaver");
    let a = srv.client();
    let a_id = a.register(&name, common::PASSWORD).await.unwrap().user_id();
    a.create_invite(Some(5), None).await.unwrap();
    let kept = a.create_invite(None, None).await.unwrap();
    assert_eq!(stored_invites(&srv, Some(a_id)).await, 2);
    a.delete_account(common::PASSWORD).await.unwrap();
    assert_eq!(
        stored_invites(&srv, Some(a_id)).await,
        0,
        "erased with the account"
    );
    let (status, code, ..) = register(&srv, &username("orphan"), Some(&kept.code)).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::FORBIDDEN, "invite_invalid")
    );

    let (b_id, b) = user(&srv, "expirer").await;
    b.create_invite(None, Some(60)).await.unwrap();
    b.create_invite(None, Some(3600)).await.unwrap();
    srv.services
        .invites
        .create_by_operator(None, Some(120))
        .await
        .unwrap();
    clock.advance(121_000);
    assert_eq!(
        b.invites().await.unwrap().len(),
        1,
        "an expired invite is not listed"
    );
    srv.sweep().await;
    assert_eq!(stored_invites(&srv, Some(b_id)).await, 1, "and is swept");
    assert_eq!(stored_invites(&srv, None).await, 0);
    finish(srv, guard).await;
}

#[tokio::test]
async fn invites_go_with_their_inviter_and_at_expiry_sqlite() {
    invites_go_with_their_inviter_and_at_expiry(Engine::Sqlite).await;
}

#[tokio::test]
async fn invites_go_with_their_inviter_and_at_expiry_postgres() {
    invites_go_with_their_inviter_and_at_expiry(Engine::Postgres).await;
}

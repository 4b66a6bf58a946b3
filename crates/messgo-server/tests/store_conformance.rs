//! One scenario, every engine: the same store rules on SQLite and PostgreSQL.
//! PostgreSQL is the machine's real server (MESSGO_TEST_POSTGRES overrides the admin URL);
//! each test gets a fresh database, dropped afterwards.

// A test: a failed step panics and that panic is the report; a match's other arm
// is a failure too (`other => panic!`), and test data may be cut to size.
#![allow(
    clippy::unwrap_used,
    clippy::wildcard_enum_match_arm,
    clippy::cast_possible_truncation
)]

use std::sync::Arc;

use messgo_proto::{KdfParams, RequestId, RequestTarget, SessionId, UserId};
use messgo_server::accounts::{sql as accounts, Credentials, UserRecord};
use messgo_server::chats::{epochs_sql as epochs, presence_sql as presence, sql as chats};
use messgo_server::connections::sql::{NewRequest, SendOutcome};
use messgo_server::connections::{contacts_sql as contacts, sql as connections};
use messgo_server::db_run;
use messgo_server::messages::pipeline::{append_batch, ChatCache};
use messgo_server::messages::sql as messages;
use messgo_server::profile::sql as profile;
use messgo_server::refusal::Refusal;
use messgo_server::sessions::{sql as sessions, SessionRecord};
use messgo_server::store::{Db, PostgresStore, SqliteStore, StoreError, Unique};
use sqlx::Connection;

#[path = "common/records.rs"]
mod records;
use records::user;

fn admin_url() -> String {
    std::env::var("MESSGO_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A store on a fresh engine instance; `drop_it` cleans up after the test.
struct Engine {
    db: Db,
    pg_db: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl Engine {
    async fn sqlite() -> Engine {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(
            &dir.path().join("messgo.db"),
            messgo_server::store::Schema::Main,
        )
        .await
        .unwrap();
        Engine {
            db: Db::Sqlite(Arc::new(store)),
            pg_db: None,
            _dir: Some(dir),
        }
    }

    async fn postgres() -> Engine {
        let name = format!("messgo_t_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::PgConnection::connect(&admin_url())
            .await
            .expect("PostgreSQL must be running");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .unwrap();
        admin.close().await.unwrap();
        let url = format!("{}/{name}", admin_url().rsplit_once('/').unwrap().0);
        let store = PostgresStore::connect(&url).await.unwrap();
        Engine {
            db: Db::Postgres(Arc::new(store)),
            pg_db: Some(name),
            _dir: None,
        }
    }

    async fn finish(self) {
        self.db.close().await;
        if let Some(name) = self.pg_db {
            let mut admin = sqlx::PgConnection::connect(&admin_url()).await.unwrap();
            sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
                .execute(&mut admin)
                .await
                .unwrap();
        }
    }
}

fn request(from: UserId, to: &str, now: i64) -> NewRequest {
    NewRequest {
        id: RequestId::random(),
        from,
        target: RequestTarget::Username(to.to_owned()),
        now,
        expires_at: now + 1000,
        window_start: now - 100,
        limit: 5,
    }
}

fn session(user: UserId, n: u8, at: i64) -> SessionRecord {
    SessionRecord {
        id: SessionId::random(),
        user_id: user,
        token_hash: vec![n; 32],
        device: "test".into(),
        created_at: at,
        last_seen_at: at,
    }
}

macro_rules! on_every_engine {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test] async fn $name() { let e = super::Engine::sqlite().await; super::$name(&e.db).await; e.finish().await; } )* }
        mod postgres { $( #[tokio::test] async fn $name() { let e = super::Engine::postgres().await; super::$name(&e.db).await; e.finish().await; } )* }
    };
}

on_every_engine!(
    users_are_unique_by_name_and_id,
    realm_id_is_set_once,
    credentials_change_revokes_other_sessions,
    deleting_a_user_cascades,
    sessions_belong_to_their_user,
    idle_sessions_are_swept,
    concurrent_writes_are_all_kept,
    requests_follow_consent,
    blocks_hide_and_sever,
    chats_keep_their_rules,
    batches_give_each_message_its_own_verdict,
    batches_see_every_write_between_them,
);

async fn users_are_unique_by_name_and_id(s: &Db) {
    let alice = user("alice");
    {
        let a0 = (alice).to_owned();
        db_run!(s, write, accounts::create_user(&a0))
    }
    .unwrap();
    assert_eq!(
        db_run!(s, read, accounts::user_by_username("alice")).unwrap(),
        alice
    );
    assert_eq!(
        db_run!(s, read, accounts::user_by_id(alice.id)).unwrap(),
        alice
    );
    assert!(matches!(
        db_run!(s, read, accounts::user_by_username("bob")),
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        db_run!(s, read, accounts::user_by_id(UserId::random())),
        Err(StoreError::NotFound)
    ));

    let same_name = user("alice");
    assert!(matches!(
        {
            let a0 = (same_name).to_owned();
            db_run!(s, write, accounts::create_user(&a0))
        },
        Err(StoreError::Conflict(Unique::Username))
    ));
    let same_id = UserRecord {
        username: "alice2".into(),
        connect_key: None,
        ..alice.clone()
    };
    assert!(matches!(
        {
            let a0 = (same_id).to_owned();
            db_run!(s, write, accounts::create_user(&a0))
        },
        Err(StoreError::Conflict(Unique::Id))
    ));
}

async fn realm_id_is_set_once(s: &Db) {
    assert_eq!(
        db_run!(s, write, accounts::realm_id("first")).unwrap(),
        "first"
    );
    assert_eq!(
        db_run!(s, write, accounts::realm_id("second")).unwrap(),
        "first"
    );
}

async fn credentials_change_revokes_other_sessions(s: &Db) {
    let u = user("carol");
    {
        let a0 = (u).to_owned();
        db_run!(s, write, accounts::create_user(&a0))
    }
    .unwrap();
    let keep = session(u.id, 1, 10);
    let other = session(u.id, 2, 10);
    {
        let a0 = (keep).to_owned();
        db_run!(s, write, sessions::create_session(&a0))
    }
    .unwrap();
    {
        let a0 = (other).to_owned();
        db_run!(s, write, sessions::create_session(&a0))
    }
    .unwrap();
    let creds = Credentials {
        auth_hash: "new".into(),
        kdf: KdfParams::pbkdf2(700_000),
        key_bundle: vec![9; 92],
    };
    {
        let a1 = (creds).to_owned();
        db_run!(s, write, accounts::set_credentials(u.id, &a1, keep.id))
    }
    .unwrap();
    let stored = db_run!(s, read, accounts::user_by_id(u.id)).unwrap();
    assert_eq!(
        (stored.auth_hash.as_str(), stored.kdf, stored.key_bundle),
        ("new", creds.kdf, vec![9; 92])
    );
    let left: Vec<_> = db_run!(s, read, sessions::sessions_of(u.id))
        .unwrap()
        .into_iter()
        .map(|x| x.id)
        .collect();
    assert_eq!(left, vec![keep.id]);
    assert!(matches!(
        {
            let a1 = (creds).to_owned();
            db_run!(
                s,
                write,
                accounts::set_credentials(UserId::random(), &a1, keep.id)
            )
        },
        Err(StoreError::NotFound)
    ));
}

async fn deleting_a_user_cascades(s: &Db) {
    let u = user("dave");
    {
        let a0 = (u).to_owned();
        db_run!(s, write, accounts::create_user(&a0))
    }
    .unwrap();
    let sess = session(u.id, 3, 10);
    {
        let a0 = (sess).to_owned();
        db_run!(s, write, sessions::create_session(&a0))
    }
    .unwrap();
    db_run!(s, write, accounts::delete_user(u.id)).unwrap();
    assert!(matches!(
        db_run!(s, read, accounts::user_by_id(u.id)),
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        db_run!(s, read, sessions::session_by_token_hash(&sess.token_hash)),
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        db_run!(s, write, accounts::delete_user(u.id)),
        Err(StoreError::NotFound)
    ));
}

async fn sessions_belong_to_their_user(s: &Db) {
    let a = user("erin");
    let b = user("frank");
    {
        let a0 = (a).to_owned();
        db_run!(s, write, accounts::create_user(&a0))
    }
    .unwrap();
    {
        let a0 = (b).to_owned();
        db_run!(s, write, accounts::create_user(&a0))
    }
    .unwrap();
    let sa = session(a.id, 4, 10);
    {
        let a0 = (sa).to_owned();
        db_run!(s, write, sessions::create_session(&a0))
    }
    .unwrap();
    assert_eq!(
        db_run!(s, read, sessions::session_by_token_hash(&sa.token_hash)).unwrap(),
        sa
    );
    assert!(matches!(
        {
            let a0 = (session(b.id, 4, 10)).to_owned();
            db_run!(s, write, sessions::create_session(&a0))
        },
        Err(StoreError::Conflict(Unique::SessionToken))
    ));
    assert!(matches!(
        db_run!(s, write, sessions::delete_session(b.id, sa.id)),
        Err(StoreError::NotFound)
    ));
    db_run!(s, write, sessions::touch_session(sa.id, 99)).unwrap();
    assert_eq!(
        db_run!(s, read, sessions::session_by_token_hash(&sa.token_hash))
            .unwrap()
            .last_seen_at,
        99
    );
    db_run!(s, write, sessions::delete_session(a.id, sa.id)).unwrap();
    assert!(db_run!(s, read, sessions::sessions_of(a.id))
        .unwrap()
        .is_empty());
}

async fn idle_sessions_are_swept(s: &Db) {
    let u = user("gina");
    {
        let a0 = (u).to_owned();
        db_run!(s, write, accounts::create_user(&a0))
    }
    .unwrap();
    let idle = session(u.id, 5, 100);
    {
        let a0 = (idle).to_owned();
        db_run!(s, write, sessions::create_session(&a0))
    }
    .unwrap();
    let fresh = session(u.id, 6, 500);
    {
        let a0 = (fresh).to_owned();
        db_run!(s, write, sessions::create_session(&a0))
    }
    .unwrap();
    assert_eq!(
        db_run!(s, write, sessions::delete_sessions_idle_since(200)).unwrap(),
        vec![(u.id, idle.id)],
        "says which, so their sockets end"
    );
    // A socket's use refreshes a live session, never one already idle.
    assert!(
        !db_run!(s, write, sessions::touch_live_session(idle.id, 600, 200)).unwrap(),
        "gone"
    );
    assert!(
        !db_run!(s, write, sessions::touch_live_session(fresh.id, 1_000, 501)).unwrap(),
        "idle since before 501"
    );
    assert!(db_run!(s, write, sessions::touch_live_session(fresh.id, 1_000, 500)).unwrap());
    let left: Vec<_> = db_run!(s, read, sessions::sessions_of(u.id))
        .unwrap()
        .into_iter()
        .map(|x| x.id)
        .collect();
    assert_eq!(left, vec![fresh.id]);
}

/// The seed apps lost most of a burst to concurrent overwrites; every acknowledged
/// write here must be there afterwards, including alongside failing neighbours.
async fn concurrent_writes_are_all_kept(s: &Db) {
    let u = user("hank");
    {
        let a0 = (u).to_owned();
        db_run!(s, write, accounts::create_user(&a0))
    }
    .unwrap();
    let mut tasks = Vec::new();
    for i in 0..300u32 {
        let rec = SessionRecord {
            token_hash: i.to_be_bytes().repeat(8),
            ..session(u.id, 0, i64::from(i))
        };
        let dup = user("hank"); // conflicts: must fail alone
        tasks.push(async move {
            (
                {
                    let a0 = (rec).to_owned();
                    db_run!(s, write, sessions::create_session(&a0))
                },
                if i % 10 == 0 {
                    Some({
                        let a0 = (dup).to_owned();
                        db_run!(s, write, accounts::create_user(&a0))
                    })
                } else {
                    None
                },
            )
        });
    }
    let results = futures_util::future::join_all(tasks).await;
    for (created, dup) in results {
        created.unwrap();
        if let Some(d) = dup {
            assert!(matches!(d, Err(StoreError::Conflict(Unique::Username))));
        }
    }
    assert_eq!(
        db_run!(s, read, sessions::sessions_of(u.id)).unwrap().len(),
        300
    );
}

async fn requests_follow_consent(s: &Db) {
    let (a, b) = (user("ann"), user("ben"));
    {
        let a0 = (a).to_owned();
        db_run!(s, write, accounts::create_user(&a0))
    }
    .unwrap();
    {
        let a0 = (b).to_owned();
        db_run!(s, write, accounts::create_user(&a0))
    }
    .unwrap();

    let first = request(a.id, "ben", 10);
    assert_eq!(
        {
            let a0 = (first).to_owned();
            db_run!(s, write, connections::send_request(&a0))
        }
        .unwrap(),
        SendOutcome::Sent {
            delivered_to: Some(b.id)
        }
    );
    assert_eq!(
        {
            let a0 = (request(a.id, "ben", 11)).to_owned();
            db_run!(s, write, connections::send_request(&a0))
        }
        .unwrap(),
        SendOutcome::Duplicate
    );
    assert_eq!(
        {
            let a0 = (request(a.id, "nobody", 12)).to_owned();
            db_run!(s, write, connections::send_request(&a0))
        }
        .unwrap(),
        SendOutcome::Sent { delivered_to: None }
    );
    assert_eq!(
        {
            let a0 = (request(a.id, "ann", 13)).to_owned();
            db_run!(s, write, connections::send_request(&a0))
        }
        .unwrap(),
        SendOutcome::Sent { delivered_to: None }
    );
    let by_key = NewRequest {
        target: RequestTarget::ConnectKey(b.connect_key.clone().unwrap()),
        ..request(a.id, "", 14)
    };
    assert_eq!(
        {
            let a0 = (by_key).to_owned();
            db_run!(s, write, connections::send_request(&a0))
        }
        .unwrap(),
        SendOutcome::Sent {
            delivered_to: Some(b.id)
        }
    );
    assert!(matches!(
        {
            let a0 = (request(a.id, "x", 15)).to_owned();
            db_run!(s, write, connections::send_request(&a0))
        }
        .unwrap(),
        SendOutcome::RateLimited { oldest_attempt: 10 }
    ));

    assert_eq!(
        db_run!(s, read, connections::outgoing(a.id, 20))
            .unwrap()
            .len(),
        4,
        "all four, whatever their target"
    );
    assert_eq!(
        db_run!(s, read, connections::incoming(b.id, 20))
            .unwrap()
            .len(),
        2
    );
    db_run!(s, write, connections::decline(by_key.id, b.id, 20)).unwrap();
    assert_eq!(
        db_run!(s, read, connections::incoming(b.id, 20))
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        db_run!(s, read, connections::outgoing(a.id, 20))
            .unwrap()
            .len(),
        4,
        "declining changes nothing for the sender"
    );

    let done = db_run!(
        s,
        write,
        connections::accept(first.id, b.id, uuid::Uuid::new_v4(), 30)
    )
    .unwrap();
    assert_eq!(done.requester, a.id);
    let contacts = db_run!(s, read, contacts::contacts(a.id, None)).unwrap();
    assert_eq!(contacts.len(), 1);
    assert_eq!(
        (contacts[0].username.as_str(), contacts[0].chat_id),
        ("ben", done.chat_id)
    );
    assert_eq!(
        db_run!(s, read, contacts::contacts(b.id, Some(a.id)))
            .unwrap()
            .len(),
        1
    );
    assert!(matches!(
        db_run!(
            s,
            write,
            connections::accept(first.id, b.id, uuid::Uuid::new_v4(), 30)
        ),
        Err(StoreError::NotFound)
    ));

    let gone = db_run!(s, read, connections::outgoing(a.id, 20)).unwrap()[0].id;
    assert_eq!(
        db_run!(s, write, connections::cancel(RequestId(gone), a.id)).unwrap(),
        None
    );
    assert!(matches!(
        db_run!(s, write, connections::cancel(RequestId(gone), a.id)),
        Err(StoreError::NotFound)
    ));

    assert_eq!(
        db_run!(s, write, connections::sweep_requests(2_000, 2_000)).unwrap(),
        2,
        "the two left have expired"
    );
    db_run!(s, write, contacts::disconnect(a.id, b.id)).unwrap();
    assert!(db_run!(s, read, contacts::contacts(a.id, None))
        .unwrap()
        .is_empty());
    assert!(matches!(
        db_run!(s, write, contacts::disconnect(a.id, b.id)),
        Err(StoreError::NotFound)
    ));
}

async fn blocks_hide_and_sever(s: &Db) {
    let (a, b, c) = (user("amy"), user("bob"), user("cat"));
    for u in [&a, &b, &c] {
        {
            let a0 = u.to_owned();
            db_run!(s, write, accounts::create_user(&a0))
        }
        .unwrap();
    }
    let r = request(a.id, "bob", 10);
    {
        let a0 = (r).to_owned();
        db_run!(s, write, connections::send_request(&a0))
    }
    .unwrap();
    assert!(
        matches!(
            db_run!(s, write, contacts::block(b.id, c.id, 11)),
            Err(StoreError::NotFound)
        ),
        "no relation, no block"
    );
    let blocked = db_run!(s, write, contacts::block(b.id, a.id, 11)).unwrap();
    assert_eq!(blocked.hidden, vec![r.id]);
    assert!(db_run!(s, read, connections::incoming(b.id, 12))
        .unwrap()
        .is_empty());
    assert_eq!(
        db_run!(s, read, connections::outgoing(a.id, 12))
            .unwrap()
            .len(),
        1
    );
    let again = NewRequest {
        target: RequestTarget::Username("bob".into()),
        ..request(a.id, "", 12)
    };
    db_run!(s, write, connections::sweep_requests(0, 0)).unwrap();
    assert_eq!(
        {
            let a0 = (again).to_owned();
            db_run!(s, write, connections::send_request(&a0))
        }
        .unwrap(),
        SendOutcome::Duplicate
    );
    assert_eq!(
        db_run!(s, read, contacts::blocks(b.id)).unwrap()[0].username,
        "amy"
    );
    db_run!(s, write, contacts::unblock(b.id, a.id)).unwrap();
    assert!(matches!(
        db_run!(s, write, contacts::unblock(b.id, a.id)),
        Err(StoreError::NotFound)
    ));
    db_run!(
        s,
        write,
        profile::set_profile(a.id, Some("Amy"), Some("hi"))
    )
    .unwrap();
    assert_eq!(
        db_run!(s, read, accounts::user_by_id(a.id))
            .unwrap()
            .display_name
            .as_deref(),
        Some("Amy")
    );
    db_run!(s, write, connections::set_connect_key(a.id, "fresh")).unwrap();
    assert!(matches!(
        db_run!(s, write, connections::set_connect_key(c.id, "fresh")),
        Err(StoreError::Conflict(Unique::ConnectKey))
    ));
}

/// Connects a and b through the request path, returning their direct chat.
async fn connected(s: &Db, a: &UserRecord, b: &UserRecord) -> uuid::Uuid {
    let r = request(a.id, &b.username, 1);
    {
        let a0 = (r).to_owned();
        db_run!(s, write, connections::send_request(&a0))
    }
    .unwrap();
    let b = b.id;
    db_run!(
        s,
        write,
        connections::accept(r.id, b, uuid::Uuid::new_v4(), 2)
    )
    .unwrap()
    .chat_id
}

fn msg(
    chat: messgo_proto::ChatId,
    sender: UserId,
    epoch: u32,
    now: i64,
) -> messgo_server::messages::sql::NewMessage {
    messgo_server::messages::sql::NewMessage {
        chat_id: chat,
        id: messgo_proto::MessageId::random(),
        sender,
        epoch,
        nonce: vec![1; 12],
        ciphertext: vec![2; 32],
        signature: vec![3; 64],
        now,
        expires_at: now + 1_000_000,
        blobs: Vec::new(),
        kind: messgo_proto::MessageKind::Message,
        target: None,
    }
}

async fn chats_keep_their_rules(s: &Db) {
    use messgo_proto::ChatId;
    use messgo_server::messages::sql::Page;
    let (a, b, c, d) = (user("ann"), user("ben"), user("cat"), user("dan"));
    for u in [&a, &b, &c, &d] {
        {
            let a0 = u.to_owned();
            db_run!(s, write, accounts::create_user(&a0))
        }
        .unwrap();
    }
    let direct = ChatId(connected(s, &a, &b).await);
    connected(s, &a, &c).await;

    let group = ChatId::random();
    let refused = {
        let a0 = group.to_owned();
        let a2 = ([b.id, d.id]).to_owned();
        db_run!(s, write, chats::create_group(a0, a.id, &a2, 10, 1_000_000))
    };
    assert!(
        matches!(refused, Err(StoreError::Rejected(Refusal::NotAContact))),
        "d is not a's contact"
    );
    {
        let a0 = group.to_owned();
        let a2 = ([b.id]).to_owned();
        db_run!(s, write, chats::create_group(a0, a.id, &a2, 10, 1_000_000))
    }
    .unwrap();
    assert_eq!(db_run!(s, read, chats::member_ids(group)).unwrap().len(), 2);

    // Epochs: next number only, keys for exactly the members.
    let keys = |ids: &[UserId]| ids.iter().map(|u| (*u, vec![7u8; 80])).collect::<Vec<_>>();
    assert!(matches!(
        {
            let a0 = group.to_owned();
            let a3 = (keys(&[a.id, b.id])).to_owned();
            db_run!(s, write, epochs::open_epoch(a0, a.id, 2, &a3, None, 11))
        },
        Err(StoreError::Rejected(Refusal::EpochConflict))
    ));
    assert!(matches!(
        {
            let a0 = group.to_owned();
            let a3 = (keys(&[a.id])).to_owned();
            db_run!(s, write, epochs::open_epoch(a0, a.id, 1, &a3, None, 11))
        },
        Err(StoreError::Rejected(Refusal::EpochKeysMismatch))
    ));
    {
        let a0 = group.to_owned();
        let a3 = (keys(&[a.id, b.id])).to_owned();
        db_run!(s, write, epochs::open_epoch(a0, a.id, 1, &a3, None, 11))
    }
    .unwrap();
    assert_eq!(
        db_run!(s, read, epochs::epoch_key(group, b.id, 1))
            .unwrap()
            .wrapped,
        vec![7u8; 80]
    );

    // Messages: idempotent ids, gap-free seqs, stale epochs refused after a change.
    let first = msg(group, a.id, 1, 12);
    let one = {
        let a0 = (first).to_owned();
        db_run!(s, write, messages::append(&a0, true))
    }
    .unwrap();
    assert!(
        !one.duplicate && one.row.seq == 2,
        "seq 1 is the 'created' system message"
    );
    assert_eq!(one.members.len(), 2);
    let again = {
        let a0 = (first).to_owned();
        db_run!(s, write, messages::append(&a0, true))
    }
    .unwrap();
    assert!(again.duplicate && again.row.seq == 2);
    assert!(
        matches!(
            {
                let a0 = (msg(group, c.id, 1, 12)).to_owned();
                db_run!(s, write, messages::append(&a0, true))
            },
            Err(StoreError::NotFound)
        ),
        "not a member"
    );
    assert!(
        matches!(
            {
                let a0 = (msg(direct, a.id, 1, 12)).to_owned();
                db_run!(s, write, messages::append(&a0, true))
            },
            Err(StoreError::Rejected(Refusal::EpochStale))
        ),
        "no epoch yet"
    );

    assert!(matches!(
        {
            let a0 = group.to_owned();
            db_run!(s, write, chats::add_member(a0, b.id, c.id, 13, 1_000_000))
        },
        Err(StoreError::Rejected(Refusal::NotAdmin))
    ));
    let joined = {
        let a0 = group.to_owned();
        db_run!(s, write, chats::add_member(a0, a.id, c.id, 13, 1_000_000))
    }
    .unwrap();
    assert_eq!(joined.seq, 3);
    assert!(matches!(
        {
            let a0 = (msg(group, a.id, 1, 14)).to_owned();
            db_run!(s, write, messages::append(&a0, true))
        },
        Err(StoreError::Rejected(Refusal::EpochStale))
    ));
    {
        let a0 = group.to_owned();
        let a3 = (keys(&[a.id, b.id, c.id])).to_owned();
        db_run!(s, write, epochs::open_epoch(a0, a.id, 2, &a3, None, 14))
    }
    .unwrap();
    let later = {
        let a0 = (msg(group, a.id, 2, 15)).to_owned();
        db_run!(s, write, messages::append(&a0, true))
    }
    .unwrap();
    assert_eq!(later.row.seq, 4);

    let seen_by_c = db_run!(
        s,
        read,
        messages::messages(group, c.id, Page::After(0), 50, 16)
    )
    .unwrap();
    assert_eq!(
        seen_by_c.iter().map(|m| m.seq).collect::<Vec<_>>(),
        vec![3, 4],
        "from their own joining on"
    );
    let newest_first = db_run!(
        s,
        read,
        messages::messages(group, a.id, Page::Before(None), 2, 16)
    )
    .unwrap();
    assert_eq!(
        newest_first.iter().map(|m| m.seq).collect::<Vec<_>>(),
        vec![4, 3]
    );
    assert!(
        db_run!(
            s,
            read,
            messages::messages(group, a.id, Page::After(0), 50, 2_000_000)
        )
        .unwrap()
        .is_empty(),
        "expired: never served"
    );

    assert_eq!(
        {
            let a0 = group.to_owned();
            db_run!(s, write, presence::mark_read(a0, b.id, 3))
        }
        .unwrap(),
        3
    );
    assert_eq!(
        {
            let a0 = group.to_owned();
            db_run!(s, write, presence::mark_read(a0, b.id, 1))
        }
        .unwrap(),
        3,
        "never backwards"
    );
    let b_view = db_run!(s, read, chats::chat_for(b.id, group)).unwrap();
    assert_eq!((b_view.last_read_seq, b_view.unread), (3, 1));

    assert_eq!(
        {
            let a0 = group.to_owned();
            db_run!(s, write, messages::delete_message(a0, a.id, first.id))
        }
        .unwrap(),
        (2, Vec::new())
    );
    assert!(matches!(
        {
            let a0 = group.to_owned();
            db_run!(s, write, messages::delete_message(a0, a.id, first.id))
        },
        Err(StoreError::NotFound)
    ));
    let removed = {
        let a0 = group.to_owned();
        db_run!(
            s,
            write,
            chats::remove_member(a0, a.id, b.id, 17, 1_000_000)
        )
    }
    .unwrap();
    assert!(removed.is_some());
    assert!(matches!(
        db_run!(s, read, chats::chat_for(b.id, group)),
        Err(StoreError::NotFound)
    ));
    // The last admin leaving hands the group on.
    {
        let a0 = group.to_owned();
        db_run!(
            s,
            write,
            chats::remove_member(a0, a.id, a.id, 18, 1_000_000)
        )
    }
    .unwrap();
    let members = db_run!(s, read, chats::members_for(c.id, Some(group))).unwrap();
    assert_eq!((members.len(), members[0].role.as_str()), (1, "admin"));
    assert!(
        {
            let a0 = group.to_owned();
            db_run!(
                s,
                write,
                chats::remove_member(a0, c.id, c.id, 19, 1_000_000)
            )
        }
        .unwrap()
        .is_none(),
        "empty: gone"
    );
    assert!(db_run!(s, read, chats::chats_of(c.id))
        .unwrap()
        .iter()
        .all(|ch| ch.id != group.0));
}

/// A batch of sends answers each message as a lone append would, in order: gap-free
/// numbers per chat, resends found (earlier and within the batch), strangers and
/// stale epochs refused without spoiling their neighbours.
async fn batches_give_each_message_its_own_verdict(s: &Db) {
    let cache: Arc<std::sync::Mutex<ChatCache>> = Arc::default();
    use messgo_proto::ChatId;
    use messgo_server::messages::sql::Page;
    let (a, b, c) = (user("ann"), user("ben"), user("cat"));
    for u in [&a, &b, &c] {
        {
            let a0 = u.to_owned();
            db_run!(s, write, accounts::create_user(&a0))
        }
        .unwrap();
    }
    let ab = ChatId(connected(s, &a, &b).await);
    let ac = ChatId(connected(s, &a, &c).await);
    let keys = |ids: &[UserId]| ids.iter().map(|u| (*u, vec![7u8; 80])).collect::<Vec<_>>();
    {
        let a0 = ab.to_owned();
        let a3 = (keys(&[a.id, b.id])).to_owned();
        db_run!(s, write, epochs::open_epoch(a0, a.id, 1, &a3, None, 10))
    }
    .unwrap();
    {
        let a0 = ac.to_owned();
        let a3 = (keys(&[a.id, c.id])).to_owned();
        db_run!(s, write, epochs::open_epoch(a0, a.id, 1, &a3, None, 10))
    }
    .unwrap();
    let before = msg(ab, a.id, 1, 11);
    let first = {
        let a0 = (before).to_owned();
        db_run!(s, write, messages::append(&a0, true))
    }
    .unwrap()
    .row
    .seq;

    let mut resent_by_b = msg(ab, b.id, 1, 12);
    resent_by_b.id = before.id;
    let twice = msg(ac, c.id, 1, 12);
    // Ids are unique across chats: the sender's own id again, in another chat.
    let mut reused_elsewhere = msg(ac, a.id, 1, 12);
    reused_elsewhere.id = before.id;
    assert!(
        matches!(
            {
                let a0 = (reused_elsewhere).to_owned();
                db_run!(s, write, messages::append(&a0, true))
            },
            Err(StoreError::Rejected(Refusal::DuplicateId))
        ),
        "a lone append refuses an id another chat holds"
    );
    let batch = vec![
        msg(ab, a.id, 1, 12), // next in ab
        before.clone(),       // a resend of a stored message
        msg(ac, a.id, 1, 12), // next in ac
        msg(ab, c.id, 1, 12), // c is not in ab
        msg(ab, b.id, 2, 12), // no epoch 2 yet
        twice.clone(),        // next in ac
        twice.clone(),        // the same again, in the same batch
        resent_by_b,          // someone else's id
        msg(ab, b.id, 1, 12), // next in ab
        reused_elsewhere,     // an id another chat holds
    ];
    let verdicts = append_batch(s, &cache, batch).await.unwrap();
    assert_eq!(verdicts.len(), 10);
    let seq = |i: usize| match &verdicts[i] {
        Ok(a) => (a.row.seq, a.duplicate),
        Err(e) => panic!("message {i}: {e:?}"),
    };
    assert_eq!(seq(0), (first + 1, false));
    assert_eq!(seq(1), (first, true));
    assert!(!seq(2).1, "a new message, not a duplicate");
    assert!(matches!(verdicts[3], Err(StoreError::NotFound)));
    assert!(matches!(
        verdicts[4],
        Err(StoreError::Rejected(Refusal::EpochStale))
    ));
    assert_eq!(seq(5), (seq(2).0 + 1, false));
    assert_eq!(seq(6), (seq(5).0, true));
    assert!(matches!(
        verdicts[7],
        Err(StoreError::Rejected(Refusal::DuplicateId))
    ));
    assert_eq!(seq(8), (first + 2, false));
    assert!(matches!(
        verdicts[9],
        Err(StoreError::Rejected(Refusal::DuplicateId))
    ));
    if let Ok(new) = &verdicts[0] {
        let mut members = new.members.clone();
        members.sort();
        let mut want = vec![a.id, b.id];
        want.sort();
        assert_eq!(members, want, "fan-out goes to the chat's members");
    }

    // What was stored is exactly the accepted messages, and the counter moved on.
    let stored = db_run!(
        s,
        read,
        messages::messages(ab, b.id, Page::After(first - 1), 50, 13)
    )
    .unwrap();
    assert_eq!(
        stored.iter().map(|m| m.seq).collect::<Vec<_>>(),
        vec![first, first + 1, first + 2]
    );
    let after = {
        let a0 = (msg(ab, a.id, 1, 14)).to_owned();
        db_run!(s, write, messages::append(&a0, true))
    }
    .unwrap();
    assert_eq!(after.row.seq, first + 3);
    assert_eq!(
        db_run!(s, read, chats::chat_for(a.id, ab))
            .unwrap()
            .last_activity_at,
        14
    );
}

/// A batch decides by the chat as it is now, whatever other writes came between it
/// and the last batch: a member removed, a new epoch, a timer, a system message.
async fn batches_see_every_write_between_them(s: &Db) {
    // One cache for every batch, as the pipeline keeps it: writes between batches
    // must still be seen.
    let cache: Arc<std::sync::Mutex<ChatCache>> = Arc::default();
    use messgo_proto::ChatId;
    let (a, b, c) = (user("ann"), user("ben"), user("cat"));
    for u in [&a, &b, &c] {
        {
            let a0 = u.to_owned();
            db_run!(s, write, accounts::create_user(&a0))
        }
        .unwrap();
    }
    connected(s, &a, &b).await;
    connected(s, &a, &c).await;
    let group = ChatId::random();
    {
        let a0 = group.to_owned();
        let a2 = ([b.id, c.id]).to_owned();
        db_run!(s, write, chats::create_group(a0, a.id, &a2, 10, 1_000_000))
    }
    .unwrap();
    let keys = |ids: &[UserId]| ids.iter().map(|u| (*u, vec![7u8; 80])).collect::<Vec<_>>();
    {
        let a0 = group.to_owned();
        let a3 = (keys(&[a.id, b.id, c.id])).to_owned();
        db_run!(s, write, epochs::open_epoch(a0, a.id, 1, &a3, None, 10))
    }
    .unwrap();
    let cache = &cache;
    let one = |batch: Vec<_>| async move {
        let mut verdicts = append_batch(s, cache, batch).await.unwrap();
        assert_eq!(verdicts.len(), 1);
        verdicts.remove(0)
    };
    let by_b = one(vec![msg(group, b.id, 1, 11)]).await.unwrap();
    assert_eq!(by_b.members.len(), 3);

    {
        let a0 = group.to_owned();
        db_run!(
            s,
            write,
            chats::remove_member(a0, a.id, b.id, 12, 1_000_000)
        )
    }
    .unwrap();
    assert!(
        matches!(
            one(vec![msg(group, b.id, 1, 13)]).await,
            Err(StoreError::NotFound)
        ),
        "a removed member is refused by the next batch"
    );
    assert!(
        matches!(
            one(vec![msg(group, a.id, 1, 13)]).await,
            Err(StoreError::Rejected(Refusal::EpochStale))
        ),
        "the removal calls for a new epoch"
    );
    {
        let a0 = group.to_owned();
        let a3 = (keys(&[a.id, c.id])).to_owned();
        db_run!(s, write, epochs::open_epoch(a0, a.id, 2, &a3, None, 14))
    }
    .unwrap();
    let seq_now = db_run!(s, read, chats::chat_for(a.id, group)).unwrap().seq;
    let after = one(vec![msg(group, a.id, 2, 15)]).await.unwrap();
    assert_eq!(
        after.row.seq,
        seq_now + 1,
        "numbers go on after the system message"
    );
    let mut members = after.members.clone();
    members.sort();
    let mut want = vec![a.id, c.id];
    want.sort();
    assert_eq!(members, want);

    {
        let a0 = group.to_owned();
        db_run!(s, write, chats::set_timer(a0, a.id, 300, 16, 1_000_000))
    }
    .unwrap();
    let timed = one(vec![msg(group, c.id, 2, 17)]).await.unwrap();
    assert_eq!(timed.row.expires_at, 17 + 300_000, "the new timer applies");
    assert_eq!(
        timed.row.seq,
        after.row.seq + 2,
        "after the timer's system message"
    );

    // A lone append (an attachment's path) between batches takes its number too.
    let lone = {
        let a0 = (msg(group, a.id, 2, 18)).to_owned();
        db_run!(s, write, messages::append(&a0, true))
    }
    .unwrap();
    let next = one(vec![msg(group, c.id, 2, 19)]).await.unwrap();
    assert_eq!(next.row.seq, lone.row.seq + 1);
}

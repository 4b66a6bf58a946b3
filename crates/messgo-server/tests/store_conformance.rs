//! One scenario, every engine: the same store rules on SQLite and PostgreSQL.
//! PostgreSQL is the machine's real server (MESSGO_TEST_POSTGRES overrides the admin URL);
//! each test gets a fresh database, dropped afterwards.

use std::sync::Arc;

use messgo_proto::{KdfParams, RequestId, RequestTarget, SessionId, UserId};
use messgo_server::store::ops::{NewRequest, SendOutcome};
use messgo_server::store::{
    Credentials, PostgresStore, SessionRecord, SqliteStore, Store, StoreError, UserRecord,
};
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
    store: Arc<dyn Store>,
    pg_db: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl Engine {
    async fn sqlite() -> Engine {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("messgo.db"))
            .await
            .unwrap();
        Engine {
            store: Arc::new(store),
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
            store: Arc::new(store),
            pg_db: Some(name),
            _dir: None,
        }
    }

    async fn finish(self) {
        self.store.close().await;
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
        mod sqlite { $( #[tokio::test] async fn $name() { let e = super::Engine::sqlite().await; super::$name(&*e.store).await; e.finish().await; } )* }
        mod postgres { $( #[tokio::test] async fn $name() { let e = super::Engine::postgres().await; super::$name(&*e.store).await; e.finish().await; } )* }
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

async fn users_are_unique_by_name_and_id(s: &dyn Store) {
    let alice = user("alice");
    s.create_user(&alice).await.unwrap();
    assert_eq!(s.user_by_username("alice").await.unwrap(), alice);
    assert_eq!(s.user_by_id(alice.id).await.unwrap(), alice);
    assert!(matches!(
        s.user_by_username("bob").await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        s.user_by_id(UserId::random()).await,
        Err(StoreError::NotFound)
    ));

    let same_name = user("alice");
    assert!(matches!(
        s.create_user(&same_name).await,
        Err(StoreError::Conflict("username"))
    ));
    let same_id = UserRecord {
        username: "alice2".into(),
        connect_key: None,
        ..alice.clone()
    };
    assert!(matches!(
        s.create_user(&same_id).await,
        Err(StoreError::Conflict("id"))
    ));
}

async fn realm_id_is_set_once(s: &dyn Store) {
    assert_eq!(s.realm_id("first").await.unwrap(), "first");
    assert_eq!(s.realm_id("second").await.unwrap(), "first");
}

async fn credentials_change_revokes_other_sessions(s: &dyn Store) {
    let u = user("carol");
    s.create_user(&u).await.unwrap();
    let keep = session(u.id, 1, 10);
    let other = session(u.id, 2, 10);
    s.create_session(&keep).await.unwrap();
    s.create_session(&other).await.unwrap();
    let creds = Credentials {
        auth_hash: "new".into(),
        kdf: KdfParams::pbkdf2(700_000),
        key_bundle: vec![9; 92],
    };
    s.set_credentials(u.id, &creds, keep.id).await.unwrap();
    let stored = s.user_by_id(u.id).await.unwrap();
    assert_eq!(
        (stored.auth_hash.as_str(), stored.kdf, stored.key_bundle),
        ("new", creds.kdf, vec![9; 92])
    );
    let left: Vec<_> = s
        .sessions_of(u.id)
        .await
        .unwrap()
        .into_iter()
        .map(|x| x.id)
        .collect();
    assert_eq!(left, vec![keep.id]);
    assert!(matches!(
        s.set_credentials(UserId::random(), &creds, keep.id).await,
        Err(StoreError::NotFound)
    ));
}

async fn deleting_a_user_cascades(s: &dyn Store) {
    let u = user("dave");
    s.create_user(&u).await.unwrap();
    let sess = session(u.id, 3, 10);
    s.create_session(&sess).await.unwrap();
    s.delete_user(u.id).await.unwrap();
    assert!(matches!(
        s.user_by_id(u.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        s.session_by_token_hash(&sess.token_hash).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        s.delete_user(u.id).await,
        Err(StoreError::NotFound)
    ));
}

async fn sessions_belong_to_their_user(s: &dyn Store) {
    let a = user("erin");
    let b = user("frank");
    s.create_user(&a).await.unwrap();
    s.create_user(&b).await.unwrap();
    let sa = session(a.id, 4, 10);
    s.create_session(&sa).await.unwrap();
    assert_eq!(s.session_by_token_hash(&sa.token_hash).await.unwrap(), sa);
    assert!(matches!(
        s.create_session(&session(b.id, 4, 10)).await,
        Err(StoreError::Conflict("token"))
    ));
    assert!(matches!(
        s.delete_session(b.id, sa.id).await,
        Err(StoreError::NotFound)
    ));
    s.touch_session(sa.id, 99).await.unwrap();
    assert_eq!(
        s.session_by_token_hash(&sa.token_hash)
            .await
            .unwrap()
            .last_seen_at,
        99
    );
    s.delete_session(a.id, sa.id).await.unwrap();
    assert!(s.sessions_of(a.id).await.unwrap().is_empty());
}

async fn idle_sessions_are_swept(s: &dyn Store) {
    let u = user("gina");
    s.create_user(&u).await.unwrap();
    s.create_session(&session(u.id, 5, 100)).await.unwrap();
    let fresh = session(u.id, 6, 500);
    s.create_session(&fresh).await.unwrap();
    assert_eq!(s.delete_sessions_idle_since(200).await.unwrap(), 1);
    let left: Vec<_> = s
        .sessions_of(u.id)
        .await
        .unwrap()
        .into_iter()
        .map(|x| x.id)
        .collect();
    assert_eq!(left, vec![fresh.id]);
}

/// The seed apps lost most of a burst to concurrent overwrites; every acknowledged
/// write here must be there afterwards, including alongside failing neighbours.
async fn concurrent_writes_are_all_kept(s: &dyn Store) {
    let u = user("hank");
    s.create_user(&u).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..300u32 {
        let rec = SessionRecord {
            token_hash: i.to_be_bytes().repeat(8),
            ..session(u.id, 0, i64::from(i))
        };
        let dup = user("hank"); // conflicts: must fail alone
        tasks.push(async move {
            (
                s.create_session(&rec).await,
                if i % 10 == 0 {
                    Some(s.create_user(&dup).await)
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
            assert!(matches!(d, Err(StoreError::Conflict("username"))));
        }
    }
    assert_eq!(s.sessions_of(u.id).await.unwrap().len(), 300);
}

async fn requests_follow_consent(s: &dyn Store) {
    let (a, b) = (user("ann"), user("ben"));
    s.create_user(&a).await.unwrap();
    s.create_user(&b).await.unwrap();

    let first = request(a.id, "ben", 10);
    assert_eq!(
        s.send_request(&first).await.unwrap(),
        SendOutcome::Sent {
            delivered_to: Some(b.id)
        }
    );
    assert_eq!(
        s.send_request(&request(a.id, "ben", 11)).await.unwrap(),
        SendOutcome::Duplicate
    );
    assert_eq!(
        s.send_request(&request(a.id, "nobody", 12)).await.unwrap(),
        SendOutcome::Sent { delivered_to: None }
    );
    assert_eq!(
        s.send_request(&request(a.id, "ann", 13)).await.unwrap(),
        SendOutcome::Sent { delivered_to: None }
    );
    let by_key = NewRequest {
        target: RequestTarget::ConnectKey(b.connect_key.clone().unwrap()),
        ..request(a.id, "", 14)
    };
    assert_eq!(
        s.send_request(&by_key).await.unwrap(),
        SendOutcome::Sent {
            delivered_to: Some(b.id)
        }
    );
    assert!(matches!(
        s.send_request(&request(a.id, "x", 15)).await.unwrap(),
        SendOutcome::RateLimited { oldest_attempt: 10 }
    ));

    assert_eq!(
        s.outgoing_requests(a.id, 20).await.unwrap().len(),
        4,
        "all four, whatever their target"
    );
    assert_eq!(s.incoming_requests(b.id, 20).await.unwrap().len(), 2);
    s.decline_request(by_key.id, b.id, 20).await.unwrap();
    assert_eq!(s.incoming_requests(b.id, 20).await.unwrap().len(), 1);
    assert_eq!(
        s.outgoing_requests(a.id, 20).await.unwrap().len(),
        4,
        "declining changes nothing for the sender"
    );

    let done = s
        .accept_request(first.id, b.id, uuid::Uuid::new_v4(), 30)
        .await
        .unwrap();
    assert_eq!(done.requester, a.id);
    let contacts = s.contacts(a.id, None).await.unwrap();
    assert_eq!(contacts.len(), 1);
    assert_eq!(
        (contacts[0].username.as_str(), contacts[0].chat_id),
        ("ben", done.chat_id)
    );
    assert_eq!(s.contacts(b.id, Some(a.id)).await.unwrap().len(), 1);
    assert!(matches!(
        s.accept_request(first.id, b.id, uuid::Uuid::new_v4(), 30)
            .await,
        Err(StoreError::NotFound)
    ));

    let gone = s.outgoing_requests(a.id, 20).await.unwrap()[0].id;
    assert_eq!(s.cancel_request(RequestId(gone), a.id).await.unwrap(), None);
    assert!(matches!(
        s.cancel_request(RequestId(gone), a.id).await,
        Err(StoreError::NotFound)
    ));

    assert_eq!(
        s.sweep_requests(2_000, 2_000).await.unwrap(),
        2,
        "the two left have expired"
    );
    s.disconnect(a.id, b.id).await.unwrap();
    assert!(s.contacts(a.id, None).await.unwrap().is_empty());
    assert!(matches!(
        s.disconnect(a.id, b.id).await,
        Err(StoreError::NotFound)
    ));
}

async fn blocks_hide_and_sever(s: &dyn Store) {
    let (a, b, c) = (user("amy"), user("bob"), user("cat"));
    for u in [&a, &b, &c] {
        s.create_user(u).await.unwrap();
    }
    let r = request(a.id, "bob", 10);
    s.send_request(&r).await.unwrap();
    assert!(
        matches!(s.block(b.id, c.id, 11).await, Err(StoreError::NotFound)),
        "no relation, no block"
    );
    let blocked = s.block(b.id, a.id, 11).await.unwrap();
    assert_eq!(blocked.hidden, vec![r.id]);
    assert!(s.incoming_requests(b.id, 12).await.unwrap().is_empty());
    assert_eq!(s.outgoing_requests(a.id, 12).await.unwrap().len(), 1);
    let again = NewRequest {
        target: RequestTarget::Username("bob".into()),
        ..request(a.id, "", 12)
    };
    s.sweep_requests(0, 0).await.unwrap();
    assert_eq!(
        s.send_request(&again).await.unwrap(),
        SendOutcome::Duplicate
    );
    assert_eq!(s.blocks(b.id).await.unwrap()[0].username, "amy");
    s.unblock(b.id, a.id).await.unwrap();
    assert!(matches!(
        s.unblock(b.id, a.id).await,
        Err(StoreError::NotFound)
    ));
    s.set_profile(a.id, Some("Amy".into()), Some("hi".into()))
        .await
        .unwrap();
    assert_eq!(
        s.user_by_id(a.id).await.unwrap().display_name.as_deref(),
        Some("Amy")
    );
    s.set_connect_key(a.id, "fresh").await.unwrap();
    assert!(matches!(
        s.set_connect_key(c.id, "fresh").await,
        Err(StoreError::Conflict("connect_key"))
    ));
}

/// Connects a and b through the request path, returning their direct chat.
async fn connected(s: &dyn Store, a: &UserRecord, b: &UserRecord) -> uuid::Uuid {
    let r = request(a.id, &b.username, 1);
    s.send_request(&r).await.unwrap();
    s.accept_request(r.id, b.id, uuid::Uuid::new_v4(), 2)
        .await
        .unwrap()
        .chat_id
}

fn msg(
    chat: messgo_proto::ChatId,
    sender: UserId,
    epoch: u32,
    now: i64,
) -> messgo_server::store::message_ops::NewMessage {
    messgo_server::store::message_ops::NewMessage {
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
    }
}

async fn chats_keep_their_rules(s: &dyn Store) {
    use messgo_proto::ChatId;
    use messgo_server::store::message_ops::Page;
    let (a, b, c, d) = (user("ann"), user("ben"), user("cat"), user("dan"));
    for u in [&a, &b, &c, &d] {
        s.create_user(u).await.unwrap();
    }
    let direct = ChatId(connected(s, &a, &b).await);
    connected(s, &a, &c).await;

    let group = ChatId::random();
    let refused = s
        .create_group(group, a.id, &[b.id, d.id], 10, 1_000_000)
        .await;
    assert!(
        matches!(refused, Err(StoreError::Rejected("not_a_contact"))),
        "d is not a's contact"
    );
    s.create_group(group, a.id, &[b.id], 10, 1_000_000)
        .await
        .unwrap();
    assert_eq!(s.member_ids(group).await.unwrap().len(), 2);

    // Epochs: next number only, keys for exactly the members.
    let keys = |ids: &[UserId]| ids.iter().map(|u| (*u, vec![7u8; 80])).collect::<Vec<_>>();
    assert!(matches!(
        s.open_epoch(group, a.id, 2, &keys(&[a.id, b.id]), None, 11)
            .await,
        Err(StoreError::Rejected("epoch_conflict"))
    ));
    assert!(matches!(
        s.open_epoch(group, a.id, 1, &keys(&[a.id]), None, 11).await,
        Err(StoreError::Rejected("epoch_keys_mismatch"))
    ));
    s.open_epoch(group, a.id, 1, &keys(&[a.id, b.id]), None, 11)
        .await
        .unwrap();
    assert_eq!(s.epoch_key(group, b.id, 1).await.unwrap().0, vec![7u8; 80]);

    // Messages: idempotent ids, gap-free seqs, stale epochs refused after a change.
    let first = msg(group, a.id, 1, 12);
    let one = s.append(&first).await.unwrap();
    assert!(
        !one.duplicate && one.row.seq == 2,
        "seq 1 is the 'created' system message"
    );
    assert_eq!(one.members.len(), 2);
    let again = s.append(&first).await.unwrap();
    assert!(again.duplicate && again.row.seq == 2);
    assert!(
        matches!(
            s.append(&msg(group, c.id, 1, 12)).await,
            Err(StoreError::NotFound)
        ),
        "not a member"
    );
    assert!(
        matches!(
            s.append(&msg(direct, a.id, 1, 12)).await,
            Err(StoreError::Rejected("epoch_stale"))
        ),
        "no epoch yet"
    );

    assert!(matches!(
        s.add_member(group, b.id, c.id, 13, 1_000_000).await,
        Err(StoreError::Rejected("not_admin"))
    ));
    let joined = s
        .add_member(group, a.id, c.id, 13, 1_000_000)
        .await
        .unwrap();
    assert_eq!(joined.seq, 3);
    assert!(matches!(
        s.append(&msg(group, a.id, 1, 14)).await,
        Err(StoreError::Rejected("epoch_stale"))
    ));
    s.open_epoch(group, a.id, 2, &keys(&[a.id, b.id, c.id]), None, 14)
        .await
        .unwrap();
    let later = s.append(&msg(group, a.id, 2, 15)).await.unwrap();
    assert_eq!(later.row.seq, 4);

    let seen_by_c = s
        .messages(group, c.id, Page::After(0), 50, 16)
        .await
        .unwrap();
    assert_eq!(
        seen_by_c.iter().map(|m| m.seq).collect::<Vec<_>>(),
        vec![3, 4],
        "from their own joining on"
    );
    let newest_first = s
        .messages(group, a.id, Page::Before(None), 2, 16)
        .await
        .unwrap();
    assert_eq!(
        newest_first.iter().map(|m| m.seq).collect::<Vec<_>>(),
        vec![4, 3]
    );
    assert!(
        s.messages(group, a.id, Page::After(0), 50, 2_000_000)
            .await
            .unwrap()
            .is_empty(),
        "expired: never served"
    );

    assert_eq!(s.mark_read(group, b.id, 3).await.unwrap(), 3);
    assert_eq!(
        s.mark_read(group, b.id, 1).await.unwrap(),
        3,
        "never backwards"
    );
    let b_view = s.chat_for(b.id, group).await.unwrap();
    assert_eq!((b_view.last_read_seq, b_view.unread), (3, 1));

    assert_eq!(s.delete_message(group, a.id, first.id).await.unwrap(), 2);
    assert!(matches!(
        s.delete_message(group, a.id, first.id).await,
        Err(StoreError::NotFound)
    ));
    let removed = s
        .remove_member(group, a.id, b.id, 17, 1_000_000)
        .await
        .unwrap();
    assert!(removed.is_some());
    assert!(matches!(
        s.chat_for(b.id, group).await,
        Err(StoreError::NotFound)
    ));
    // The last admin leaving hands the group on.
    s.remove_member(group, a.id, a.id, 18, 1_000_000)
        .await
        .unwrap();
    let members = s.members_for(c.id, Some(group)).await.unwrap();
    assert_eq!((members.len(), members[0].role.as_str()), (1, "admin"));
    assert!(
        s.remove_member(group, c.id, c.id, 19, 1_000_000)
            .await
            .unwrap()
            .is_none(),
        "empty: gone"
    );
    assert!(s
        .chats_of(c.id)
        .await
        .unwrap()
        .iter()
        .all(|ch| ch.id != group.0));
}

/// A batch of sends answers each message as a lone append would, in order: gap-free
/// numbers per chat, resends found (earlier and within the batch), strangers and
/// stale epochs refused without spoiling their neighbours.
async fn batches_give_each_message_its_own_verdict(s: &dyn Store) {
    use messgo_proto::ChatId;
    use messgo_server::store::message_ops::Page;
    let (a, b, c) = (user("ann"), user("ben"), user("cat"));
    for u in [&a, &b, &c] {
        s.create_user(u).await.unwrap();
    }
    let ab = ChatId(connected(s, &a, &b).await);
    let ac = ChatId(connected(s, &a, &c).await);
    let keys = |ids: &[UserId]| ids.iter().map(|u| (*u, vec![7u8; 80])).collect::<Vec<_>>();
    s.open_epoch(ab, a.id, 1, &keys(&[a.id, b.id]), None, 10)
        .await
        .unwrap();
    s.open_epoch(ac, a.id, 1, &keys(&[a.id, c.id]), None, 10)
        .await
        .unwrap();
    let before = msg(ab, a.id, 1, 11);
    let first = s.append(&before).await.unwrap().row.seq;

    let mut resent_by_b = msg(ab, b.id, 1, 12);
    resent_by_b.id = before.id;
    let twice = msg(ac, c.id, 1, 12);
    // Ids are unique across chats: the sender's own id again, in another chat.
    let mut reused_elsewhere = msg(ac, a.id, 1, 12);
    reused_elsewhere.id = before.id;
    assert!(
        matches!(
            s.append(&reused_elsewhere).await,
            Err(StoreError::Rejected("duplicate_id"))
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
    let verdicts = s.append_batch(batch).await.unwrap();
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
        Err(StoreError::Rejected("epoch_stale"))
    ));
    assert_eq!(seq(5), (seq(2).0 + 1, false));
    assert_eq!(seq(6), (seq(5).0, true));
    assert!(matches!(
        verdicts[7],
        Err(StoreError::Rejected("duplicate_id"))
    ));
    assert_eq!(seq(8), (first + 2, false));
    assert!(matches!(
        verdicts[9],
        Err(StoreError::Rejected("duplicate_id"))
    ));
    if let Ok(new) = &verdicts[0] {
        let mut members = new.members.clone();
        members.sort();
        let mut want = vec![a.id, b.id];
        want.sort();
        assert_eq!(members, want, "fan-out goes to the chat's members");
    }

    // What was stored is exactly the accepted messages, and the counter moved on.
    let stored = s
        .messages(ab, b.id, Page::After(first - 1), 50, 13)
        .await
        .unwrap();
    assert_eq!(
        stored.iter().map(|m| m.seq).collect::<Vec<_>>(),
        vec![first, first + 1, first + 2]
    );
    let after = s.append(&msg(ab, a.id, 1, 14)).await.unwrap();
    assert_eq!(after.row.seq, first + 3);
    assert_eq!(s.chat_for(a.id, ab).await.unwrap().last_activity_at, 14);
}

/// A batch decides by the chat as it is now, whatever other writes came between it
/// and the last batch: a member removed, a new epoch, a timer, a system message.
async fn batches_see_every_write_between_them(s: &dyn Store) {
    use messgo_proto::ChatId;
    let (a, b, c) = (user("ann"), user("ben"), user("cat"));
    for u in [&a, &b, &c] {
        s.create_user(u).await.unwrap();
    }
    connected(s, &a, &b).await;
    connected(s, &a, &c).await;
    let group = ChatId::random();
    s.create_group(group, a.id, &[b.id, c.id], 10, 1_000_000)
        .await
        .unwrap();
    let keys = |ids: &[UserId]| ids.iter().map(|u| (*u, vec![7u8; 80])).collect::<Vec<_>>();
    s.open_epoch(group, a.id, 1, &keys(&[a.id, b.id, c.id]), None, 10)
        .await
        .unwrap();
    let one = |batch: Vec<_>| async move {
        let mut verdicts = s.append_batch(batch).await.unwrap();
        assert_eq!(verdicts.len(), 1);
        verdicts.remove(0)
    };
    let by_b = one(vec![msg(group, b.id, 1, 11)]).await.unwrap();
    assert_eq!(by_b.members.len(), 3);

    s.remove_member(group, a.id, b.id, 12, 1_000_000)
        .await
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
            Err(StoreError::Rejected("epoch_stale"))
        ),
        "the removal calls for a new epoch"
    );
    s.open_epoch(group, a.id, 2, &keys(&[a.id, c.id]), None, 14)
        .await
        .unwrap();
    let seq_now = s.chat_for(a.id, group).await.unwrap().seq;
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

    s.set_timer(group, a.id, 300, 16, 1_000_000).await.unwrap();
    let timed = one(vec![msg(group, c.id, 2, 17)]).await.unwrap();
    assert_eq!(timed.row.expires_at, 17 + 300_000, "the new timer applies");
    assert_eq!(
        timed.row.seq,
        after.row.seq + 2,
        "after the timer's system message"
    );

    // A lone append (an attachment's path) between batches takes its number too.
    let lone = s.append(&msg(group, a.id, 2, 18)).await.unwrap();
    let next = one(vec![msg(group, c.id, 2, 19)]).await.unwrap();
    assert_eq!(next.row.seq, lone.row.seq + 1);
}

//! The operator's admin socket against a real server: every command, what a disable
//! and a deletion do at once, the socket's mode, and that no answer carries a
//! message, a contact or a chat.

// A test: a failed step panics and that panic is the report.
#![allow(clippy::unwrap_used, clippy::wildcard_enum_match_arm)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use common::{connect, direct_chat, file_contains, log_holds, username, TestServer, PASSWORD};
use messgo_client::{Client, Keyring};
use messgo_proto::ServerEvent;
use messgo_server::admin::client::AdminClient;
use messgo_server::admin::protocol::{Answer, Reply, Request};

async fn ask_raw(srv: &TestServer, request: &Request) -> Reply {
    let path = srv.config.admin_socket_path();
    let mut client = AdminClient::connect(&path)
        .await
        .unwrap()
        .expect("the server listens");
    client.ask(request).await.unwrap()
}

async fn ask(srv: &TestServer, request: Request) -> Answer {
    match ask_raw(srv, &request).await {
        Reply::Ok(answer) => answer,
        Reply::Error(e) => panic!("{request:?} failed: {e:?}"),
    }
}

/// Two contacts with a password each, who said things in their direct chat; returns
/// their clients, names and the messages' sealed parts as stored.
struct Pair {
    a: Client,
    b: Client,
    a_name: String,
    b_name: String,
    traces: Vec<Vec<u8>>,
    chat: messgo_proto::ChatId,
}

async fn pair(srv: &TestServer) -> Pair {
    let (a_name, b_name) = (username("ann"), username("ben"));
    let a = srv.client();
    let a_identity = a.register(&a_name, PASSWORD).await.unwrap();
    let b = srv.client();
    b.register(&b_name, PASSWORD).await.unwrap();
    connect(&a, &b).await;
    let chat = direct_chat(&a).await.id;
    let mut keys = Keyring::new(&a_identity);
    for i in 0..3 {
        keys.send_text(&a, chat, &format!("secret words {i}"), common::now_ms())
            .await
            .unwrap();
    }
    let traces = a
        .messages(chat, None, None, 50)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.sender.is_some())
        .flat_map(|m| [m.ciphertext, m.nonce].into_iter().flatten().map(|b| b.0))
        .collect::<Vec<_>>();
    assert_eq!(traces.len(), 6);
    Pair {
        a,
        b,
        a_name,
        b_name,
        traces,
        chat,
    }
}

#[tokio::test]
async fn every_command_answers_from_the_running_server() {
    let srv = TestServer::start().await;
    let p = pair(&srv).await;
    let _socket = p.b.events().await.unwrap();

    let Answer::Count { accounts, disabled } = ask(&srv, Request::UsersCount).await else {
        panic!("not a count")
    };
    assert_eq!((accounts, disabled), (2, 0));

    let Answer::Users { users } = ask(
        &srv,
        Request::UsersList {
            after: None,
            limit: 1,
        },
    )
    .await
    else {
        panic!("not a list")
    };
    assert_eq!(users.len(), 1, "a page holds at most its limit");
    let first = users[0].clone();
    let Answer::Users { users } = ask(
        &srv,
        Request::UsersList {
            after: Some(first.username.clone()),
            limit: 10,
        },
    )
    .await
    else {
        panic!("not a list")
    };
    let mut names = vec![first.username.clone()];
    names.extend(users.iter().map(|u| u.username.clone()));
    let mut expected = vec![p.a_name.clone(), p.b_name.clone()];
    expected.sort();
    assert_eq!(names, expected);
    assert!(first.created_at > 0 && first.last_seen_at.is_some() && !first.disabled);

    let Answer::Stats(stats) = ask(&srv, Request::Stats).await else {
        panic!("not stats")
    };
    assert_eq!(stats.accounts, 2);
    assert_eq!(stats.sessions, 2);
    assert_eq!(stats.chats, 1);
    assert_eq!(stats.messages, 3);
    assert_eq!(stats.sockets_open, 1);

    let revoked = ask(
        &srv,
        Request::SessionsRevoke {
            username: p.a_name.clone(),
        },
    )
    .await;
    assert_eq!(
        revoked,
        Answer::Revoked {
            username: p.a_name.clone(),
            sessions: 1
        }
    );
    assert_eq!(p.a.me().await.unwrap_err().code(), Some("unauthenticated"));

    let deleted = ask(
        &srv,
        Request::UsersDelete {
            username: p.a_name.clone(),
        },
    )
    .await;
    assert_eq!(
        deleted,
        Answer::Deleted {
            username: p.a_name.clone()
        }
    );
    let Answer::Count { accounts, .. } = ask(&srv, Request::UsersCount).await else {
        panic!("not a count")
    };
    assert_eq!(accounts, 1);

    match ask_raw(
        &srv,
        &Request::UsersDisable {
            username: p.a_name.clone(),
        },
    )
    .await
    {
        Reply::Error(e) => assert_eq!(e.code, "no_such_user"),
        other => panic!("a deleted user was found: {other:?}"),
    }
}

#[tokio::test]
async fn the_socket_is_its_owners_alone() {
    let srv = TestServer::start().await;
    let path = srv.config.admin_socket_path();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    // Nothing of the private directory it was bound in is left beside it.
    let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".admin-"))
        .collect();
    assert!(leftovers.is_empty());
}

#[tokio::test]
async fn hostile_lines_get_an_error_not_the_server() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let srv = TestServer::start().await;
    let path = srv.config.admin_socket_path();
    let mut stream = tokio::net::UnixStream::connect(&path).await.unwrap();
    stream.write_all(&vec![b'x'; 10_000]).await.unwrap();
    let mut line = String::new();
    BufReader::new(&mut stream)
        .read_line(&mut line)
        .await
        .unwrap();
    assert!(line.contains("line_too_long"), "{line}");

    let mut stream = tokio::net::UnixStream::connect(&path).await.unwrap();
    stream
        .write_all(b"{\"command\":\"drop_tables\"}\n")
        .await
        .unwrap();
    let mut line = String::new();
    BufReader::new(&mut stream)
        .read_line(&mut line)
        .await
        .unwrap();
    assert!(line.contains("bad_request"), "{line}");
}

#[tokio::test]
async fn disabling_closes_sockets_at_once_and_refuses_login_to_the_password_only() {
    let srv = TestServer::start().await;
    let p = pair(&srv).await;
    let mut events = p.a.events().await.unwrap();
    let started = Instant::now();
    let changed = ask(
        &srv,
        Request::UsersDisable {
            username: p.a_name.clone(),
        },
    )
    .await;
    assert_eq!(
        changed,
        Answer::Changed {
            username: p.a_name.clone(),
            changed: true
        }
    );
    let mut ended = false;
    while let Some(event) = events.next_within(Duration::from_secs(5)).await.unwrap() {
        ended |= matches!(event, ServerEvent::SessionEnded);
    }
    assert!(ended, "the socket was told its session ended");
    assert!(started.elapsed() < Duration::from_secs(2), "closed at once");
    assert_eq!(p.a.me().await.unwrap_err().code(), Some("unauthenticated"));

    // The right password hears why; a wrong one hears what any wrong password hears.
    let right = srv.client().login(&p.a_name, PASSWORD).await.unwrap_err();
    assert_eq!(
        (right.status(), right.code()),
        (Some(403), Some("account_disabled"))
    );
    let wrong = srv
        .client()
        .login(&p.a_name, "not the password")
        .await
        .unwrap_err();
    let stranger = srv
        .client()
        .login(&username("nobody"), "not the password")
        .await
        .unwrap_err();
    assert_eq!(wrong.to_string(), stranger.to_string());
    assert_eq!(wrong.code(), Some("invalid_credentials"));

    let Answer::Users { users } = ask(
        &srv,
        Request::UsersList {
            after: None,
            limit: 10,
        },
    )
    .await
    else {
        panic!("not a list")
    };
    assert!(users.iter().any(|u| u.username == p.a_name && u.disabled));

    ask(
        &srv,
        Request::UsersEnable {
            username: p.a_name.clone(),
        },
    )
    .await;
    srv.client().login(&p.a_name, PASSWORD).await.unwrap();
    // The contact and chat were kept while disabled.
    let _ = p.b;
}

#[tokio::test]
async fn deleting_runs_the_erasure() {
    let srv = TestServer::start().await;
    let p = pair(&srv).await;
    assert_eq!(log_holds(&srv, &p.traces), 6, "the scan sees them before");
    ask(
        &srv,
        Request::UsersDelete {
            username: p.a_name.clone(),
        },
    )
    .await;
    assert_eq!(
        log_holds(&srv, &p.traces),
        0,
        "the log's records are erased"
    );
    for f in ["messgo.db", "messgo.db-wal", "messgo.db-shm"] {
        let path = srv.dir.path().join(f);
        for t in &p.traces {
            assert!(
                !file_contains(&path, t),
                "{f} still holds a message's bytes"
            );
        }
    }
    // The other side's direct chat went with the account.
    assert!(p.b.chats().await.unwrap().is_empty());
}

#[tokio::test]
async fn no_answer_names_a_message_a_contact_or_a_chat() {
    let srv = TestServer::start().await;
    let p = pair(&srv).await;
    p.a.set_profile(Some("Zebediah Quill"), Some("bio of secrets"))
        .await
        .unwrap();
    p.b.set_profile(Some("Ottoline Vane"), None).await.unwrap();
    let mut said = String::new();
    for request in [
        Request::UsersCount,
        Request::UsersList {
            after: None,
            limit: 1000,
        },
        Request::Stats,
        Request::UsersDisable {
            username: p.b_name.clone(),
        },
        Request::UsersEnable {
            username: p.b_name.clone(),
        },
        Request::SessionsRevoke {
            username: p.b_name.clone(),
        },
        Request::UsersDelete {
            username: p.a_name.clone(),
        },
    ] {
        said += &serde_json::to_string(&ask_raw(&srv, &request).await).unwrap();
    }
    let chat = p.chat.0;
    let forbidden = [
        "secret words".to_owned(),
        "Zebediah".to_owned(),
        "Ottoline".to_owned(),
        "bio of secrets".to_owned(),
        chat.to_string(),
        chat.simple().to_string(),
    ];
    for f in &forbidden {
        assert!(!said.contains(f.as_str()), "an answer holds {f}: {said}");
    }
    use base64::Engine;
    for t in &p.traces {
        for encoded in [
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(t),
            base64::engine::general_purpose::STANDARD.encode(t),
        ] {
            assert!(!said.contains(&encoded), "an answer holds a ciphertext");
        }
    }
    // What the answers do say: usernames and numbers.
    assert!(said.contains(&p.b_name));
}

/// The same commands, and a backup from PostgreSQL restored into another PostgreSQL
/// database: users sign in there and find their contact; the chat is empty.
#[tokio::test]
async fn postgres_answers_and_moves_the_same_way() {
    let (url, guard) = common::fresh_postgres().await;
    let (target_url, target_guard) = common::fresh_postgres().await;
    let srv = TestServer::start_with(|c| c.database = Some(url.clone())).await;
    let p = pair(&srv).await;
    let Answer::Stats(stats) = ask(&srv, Request::Stats).await else {
        panic!("not stats")
    };
    assert_eq!((stats.accounts, stats.chats, stats.messages), (2, 1, 3));
    ask(
        &srv,
        Request::UsersDisable {
            username: p.b_name.clone(),
        },
    )
    .await;
    let Answer::Users { users } = ask(
        &srv,
        Request::UsersList {
            after: None,
            limit: 10,
        },
    )
    .await
    else {
        panic!("not a list")
    };
    assert_eq!(users.iter().filter(|u| u.disabled).count(), 1);
    ask(
        &srv,
        Request::UsersEnable {
            username: p.b_name.clone(),
        },
    )
    .await;

    // A live invite link moves too (its code's hash, not the code).
    let Answer::Invite(link) = ask(
        &srv,
        Request::InvitesCreate {
            uses: Some(1),
            expires_in_secs: None,
        },
    )
    .await
    else {
        panic!("an invite")
    };

    let kept = tempfile::tempdir().unwrap();
    let out = kept.path().join("pg-backup.db");
    let summary = messgo_server::admin::backup::backup(&srv.config, &out)
        .await
        .unwrap();
    assert_eq!((summary.accounts, summary.contacts), (2, 1));
    let raw = std::fs::read(&out).unwrap();
    for t in &p.traces {
        assert!(!raw.windows(t.len()).any(|w| w == t.as_slice()));
    }
    drop(srv);

    let mut config = common::test_config(&tempfile::tempdir().unwrap());
    config.database = Some(target_url.clone());
    messgo_server::admin::backup::restore(&config, &out)
        .await
        .unwrap();
    // A second restore into it is refused: it has accounts now.
    let again = messgo_server::admin::backup::restore(&config, &out).await;
    assert!(again
        .unwrap_err()
        .to_string()
        .contains("has accounts already"));

    let moved = TestServer::start_with(|c| c.database = Some(target_url.clone())).await;
    let a = moved.client();
    a.login(&p.a_name, PASSWORD).await.unwrap();
    let contacts = a.contacts().await.unwrap();
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0].username, p.b_name);
    let chat = direct_chat(&a).await;
    assert_eq!(chat.id, p.chat);
    assert!(a
        .messages(chat.id, None, None, 50)
        .await
        .unwrap()
        .is_empty());
    let invited = moved.client();
    invited
        .register_invited(&username("ida"), PASSWORD, &link.code)
        .await
        .expect("the moved invite link still signs up");
    drop(moved);
    guard.drop_database().await;
    target_guard.drop_database().await;
}

#[tokio::test]
async fn operator_invites_sign_people_up_on_an_invite_only_server_and_can_be_revoked() {
    let srv = TestServer::start_with(|c| {
        c.registration = Some(messgo_proto::Registration::Invite);
    })
    .await;
    let Answer::Invite(made) = ask(
        &srv,
        Request::InvitesCreate {
            uses: Some(2),
            expires_in_secs: Some(3600),
        },
    )
    .await
    else {
        panic!("an invite")
    };
    assert_eq!((made.invite.uses, made.invite.uses_left), (2, 2));
    let Answer::Invites { invites } = ask(&srv, Request::InvitesList).await else {
        panic!("a list")
    };
    assert_eq!(invites, vec![made.invite.clone()]);
    // Listing never shows a code again.
    let listed = serde_json::to_string(&invites).unwrap();
    assert!(!listed.contains(&made.code));

    // An operator's invite signs up and connects the person to nobody.
    let first = srv.client();
    first
        .register_invited(&username("ivy"), PASSWORD, &made.code)
        .await
        .unwrap();
    assert!(first.contacts().await.unwrap().is_empty());

    let id = made.invite.id.to_string();
    let revoked = ask(&srv, Request::InvitesRevoke { id: id.clone() }).await;
    assert_eq!(revoked, Answer::InviteRevoked { id: id.clone() });
    let second = srv.client();
    let refused = second
        .register_invited(&username("jon"), PASSWORD, &made.code)
        .await;
    assert!(refused.is_err(), "a revoked invite signs nobody up");
    let Answer::Invites { invites } = ask(&srv, Request::InvitesList).await else {
        panic!("a list")
    };
    assert!(invites.is_empty());

    // Out of bounds, or gone: one line each, naming what is wrong.
    let Reply::Error(e) = ask_raw(
        &srv,
        &Request::InvitesCreate {
            uses: Some(1000),
            expires_in_secs: None,
        },
    )
    .await
    else {
        panic!("1000 uses is refused")
    };
    assert_eq!(e.code, "bad_request");
    assert!(e.message.contains("uses"), "{}", e.message);
    let Reply::Error(e) = ask_raw(&srv, &Request::InvitesRevoke { id }).await else {
        panic!("revoking twice is refused")
    };
    assert_eq!(e.code, "no_such_invite");
}

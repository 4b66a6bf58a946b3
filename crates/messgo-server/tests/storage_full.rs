//! A full disk is said plainly: a send the store cannot take answers `storage_full`
//! (HTTP 503 with Retry-After, or a nack on the socket), nothing false is
//! acknowledged, and sends work again once there is room. The disk is made "full"
//! with SQLite's own page limit on the writer's connection, which fails writes with
//! the same SQLITE_FULL a full disk gives.

// A test: a failed step panics and that panic is the report; a match's other arm
// is a failure too (`other => panic!`), and test data may be cut to size.
#![allow(
    clippy::unwrap_used,
    clippy::wildcard_enum_match_arm,
    clippy::cast_possible_truncation
)]

mod common;

use common::{connect, direct_chat, register_identity, username, TestServer};
use messgo_client::{is_api_error, ClientError, Keyring};
use messgo_proto::{ClientFrame, MessageId, ServerEvent};
use messgo_server::store::Db;
use reqwest::StatusCode;

/// Caps the database at its current size (0: lifts the cap) on the writer's own
/// connection, where the page limit applies.
async fn cap_storage(srv: &TestServer, lift: bool) {
    let Db::Sqlite(engine) = &srv.services.db else {
        panic!("the test server runs SQLite");
    };
    engine
        .write(move |c| {
            Box::pin(async move {
                let (pages,): (i64,) = sqlx::query_as("SELECT page_count FROM pragma_page_count")
                    .fetch_one(&mut *c)
                    .await?;
                let cap = if lift { 0x3fff_fffe } else { pages };
                sqlx::query(&format!("PRAGMA max_page_count = {cap}"))
                    .execute(&mut *c)
                    .await?;
                Ok(())
            })
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn a_full_store_says_storage_full_and_recovers() {
    let srv = TestServer::start().await;
    let (a_id, a) = register_identity(&srv, &username("ann")).await;
    let (_, b) = register_identity(&srv, &username("ben")).await;
    connect(&a, &b).await;
    let chat = direct_chat(&a).await;
    let mut keys = Keyring::new(&a_id);
    keys.send_text(&a, chat.id, "before", common::now_ms())
        .await
        .unwrap();
    let stored_before = b.messages(chat.id, None, None, 500).await.unwrap().len();

    cap_storage(&srv, false).await;
    // The file may still have free pages; once they are used up, the store is full.
    let mut refused = None;
    for i in 0..2_000 {
        let text = format!("filling {i} {}", "x".repeat(2_000));
        match keys.send_text(&a, chat.id, &text, common::now_ms()).await {
            Ok(_) => continue,
            Err(e) => {
                refused = Some(e);
                break;
            }
        }
    }
    let err = refused.expect("the capped store refuses a send");
    assert!(
        is_api_error(&err, StatusCode::SERVICE_UNAVAILABLE, "storage_full"),
        "{err}"
    );
    assert!(
        matches!(err, ClientError::Api { retry_after: Some(s), .. } if s > 0),
        "with Retry-After: {err:?}"
    );
    let acked = b.messages(chat.id, None, None, 500).await.unwrap();
    let ready = |srv: &TestServer| {
        let url = srv.url("/api/ready");
        async move {
            let res = reqwest::get(url).await.unwrap();
            (res.status(), res.json::<serde_json::Value>().await.unwrap())
        }
    };
    let (status, body) = ready(&srv).await;
    assert_eq!(status, StatusCode::OK, "history is still served: {body}");
    assert_eq!(body["status"], "degraded", "{body}");
    assert_eq!(body["database"], "full", "readiness says why");

    // Over the socket, the same refusal is a nack with the same code.
    let mut socket = a.events().await.unwrap();
    let current = a.chat(chat.id).await.unwrap();
    let epoch = keys
        .ensure_epoch(&a, &current, common::now_ms())
        .await
        .unwrap();
    let m = keys
        .seal(&a, chat.id, epoch, MessageId::new_v7(), &"y".repeat(4_000))
        .await
        .unwrap();
    socket
        .send_raw(&serde_json::to_string(&ClientFrame::Send(m.clone())).unwrap())
        .await
        .unwrap();
    let nack = loop {
        match socket.next().await.unwrap() {
            ServerEvent::Nack { id, code, .. } if id == m.id => break code,
            ServerEvent::Ack(ack) if ack.id == m.id => panic!("a full store acked {ack:?}"),
            _ => {}
        }
    };
    assert_eq!(nack, "storage_full");
    assert_eq!(
        b.messages(chat.id, None, None, 500).await.unwrap(),
        acked,
        "nothing refused was stored"
    );
    assert!(acked.len() > stored_before, "what was acked was stored");

    cap_storage(&srv, true).await;
    keys.send_text(&a, chat.id, "after", 0)
        .await
        .expect("sends work again once there is room");
    assert_eq!(ready(&srv).await.1["status"], "ready");
}

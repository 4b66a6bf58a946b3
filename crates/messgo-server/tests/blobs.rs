//! Encrypted attachments: only the chat's members (who may see the message) get the
//! bytes; limits answer clearly; blobs live and die with their messages.

// A test: a failed step panics and that panic is the report; a match's other arm
// is a failure too (`other => panic!`), and test data may be cut to size.
#![allow(
    clippy::unwrap_used,
    clippy::wildcard_enum_match_arm,
    clippy::cast_possible_truncation
)]

mod common;

use std::sync::Arc;

use common::{connect, now_ms, register_identity, test_config, username, TestServer};
use messgo_client::{is_api_error, Client, Identity, Keyring};
use messgo_proto::{Chat, ChatKind, MessageId};
use messgo_server::ManualClock;
use reqwest::StatusCode;

async fn pair(srv: &TestServer) -> (Identity, Client, Identity, Client, Chat) {
    let (a_id, a) = register_identity(srv, &username("pic_a")).await;
    let (b_id, b) = register_identity(srv, &username("pic_b")).await;
    connect(&a, &b).await;
    let chat = a
        .chats()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.kind == ChatKind::Direct)
        .unwrap();
    (a_id, a, b_id, b, chat)
}

/// Sends a message that takes the given blobs.
async fn send_with(
    keys: &mut Keyring<'_>,
    client: &Client,
    chat: &Chat,
    blobs: Vec<messgo_proto::BlobId>,
) -> messgo_client::Result<messgo_proto::Ack> {
    let current = client.chat(chat.id).await?;
    let epoch = keys.ensure_epoch(client, &current, now_ms()).await?;
    let mut m = keys
        .seal(client, chat.id, epoch, MessageId::random(), "a photo")
        .await?;
    m.blobs = blobs;
    client.send_message(&m).await
}

fn noise(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7919 % 251) as u8 ^ 0x5a).collect()
}

#[tokio::test]
async fn members_who_see_the_message_get_the_bytes_and_nobody_else() {
    let srv = TestServer::start().await;
    let (a_id, a, _, b, chat) = pair(&srv).await;
    let bytes = noise(50_000);
    let up = a.upload_blob(chat.id, bytes.clone()).await.unwrap();
    assert_eq!(up.size, 50_000);
    assert_eq!(
        a.download_blob(up.id).await.unwrap(),
        bytes,
        "the uploader can read it back"
    );
    assert!(
        b.download_blob(up.id).await.is_err(),
        "not before a message carries it"
    );

    send_with(&mut Keyring::new(&a_id), &a, &chat, vec![up.id])
        .await
        .unwrap();
    let res = b.raw_get(&format!("/api/blobs/{}", up.id)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/octet-stream");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert_eq!(res.bytes().await.unwrap().to_vec(), bytes);

    let (_, stranger) = register_identity(&srv, &username("peeker")).await;
    let nobody = stranger
        .raw_get(&format!("/api/blobs/{}", messgo_proto::BlobId::random()))
        .await;
    let (status, body) = (nobody.status(), nobody.text().await.unwrap());
    let theirs = stranger.raw_get(&format!("/api/blobs/{}", up.id)).await;
    assert_eq!(
        (theirs.status(), theirs.text().await.unwrap()),
        (status, body),
        "a stranger sees nothing there"
    );
    let e = stranger.upload_blob(chat.id, noise(10)).await.unwrap_err();
    assert!(is_api_error(&e, StatusCode::NOT_FOUND, "not_found"), "{e}");

    // Someone else's upload cannot be smuggled into a message.
    let theirs = b.upload_blob(chat.id, noise(10)).await.unwrap();
    let e = send_with(&mut Keyring::new(&a_id), &a, &chat, vec![theirs.id])
        .await
        .unwrap_err();
    assert!(
        is_api_error(&e, StatusCode::BAD_REQUEST, "invalid_blob"),
        "{e}"
    );
}

#[tokio::test]
async fn the_size_limit_and_the_type_are_enforced_with_clear_errors() {
    let srv = TestServer::start_with(|c| c.max_blob_bytes = 4096).await;
    let (_, a, _, _, chat) = pair(&srv).await;
    let e = a.upload_blob(chat.id, noise(5000)).await.unwrap_err();
    assert!(
        is_api_error(&e, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
        "{e}"
    );
    assert!(e.to_string().contains("4 KiB"), "says the limit: {e}");
    a.upload_blob(chat.id, noise(4096))
        .await
        .expect("exactly the limit is fine");
    let res = a
        .raw_post_bytes(
            &format!("/api/blobs?chat_id={}", chat.id),
            "image/jpeg",
            noise(10),
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "only opaque ciphertext is accepted"
    );
}

#[tokio::test]
async fn blobs_go_with_their_message_and_unclaimed_ones_within_the_hour() {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let srv = TestServer::start_config(test_config(&dir), dir, clock.clone()).await;
    let (a_id, a, _, b, chat) = pair(&srv).await;
    let mut keys = Keyring::new(&a_id);

    let kept = noise(20_000);
    let taken = a.upload_blob(chat.id, kept.clone()).await.unwrap();
    let ack = {
        let current = a.chat(chat.id).await.unwrap();
        let epoch = keys
            .ensure_epoch(&a, &current, 1_700_000_000_000)
            .await
            .unwrap();
        let mut m = keys
            .seal(&a, chat.id, epoch, MessageId::random(), "photo")
            .await
            .unwrap();
        m.blobs = vec![taken.id];
        let id = m.id;
        a.send_message(&m).await.unwrap();
        id
    };
    let orphan_bytes: Vec<u8> = noise(20_000).into_iter().map(|b| b ^ 0xff).collect();
    let orphan = a.upload_blob(chat.id, orphan_bytes.clone()).await.unwrap();

    clock.advance(3_600_001);
    assert!(
        a.download_blob(orphan.id).await.is_err(),
        "an unclaimed upload lasts an hour"
    );
    assert_eq!(
        b.download_blob(taken.id).await.unwrap(),
        kept,
        "a claimed one lives as its message does"
    );
    srv.sweep().await;
    assert!(
        !common::file_contains(&srv.db_path(), &orphan_bytes[..64]),
        "and the orphan's bytes are gone"
    );

    a.delete_message(chat.id, ack).await.unwrap();
    assert!(
        b.download_blob(taken.id).await.is_err(),
        "deleting the message deletes its attachment"
    );
    for suffix in ["", "-wal"] {
        let path = std::path::PathBuf::from(format!("{}{suffix}", srv.db_path().display()));
        assert!(
            !common::file_contains(&path, &kept[..64]),
            "{} keeps the bytes",
            path.display()
        );
    }
}

#[tokio::test]
async fn a_later_member_cannot_fetch_earlier_attachments() {
    let srv = TestServer::start().await;
    let (a_id, a, _, b, _) = pair(&srv).await;
    let (_, c) = register_identity(&srv, &username("late")).await;
    connect(&a, &c).await;
    let group = a
        .create_group(&[b.me().await.unwrap().user_id])
        .await
        .unwrap();
    let up = a.upload_blob(group.id, noise(100)).await.unwrap();
    send_with(&mut Keyring::new(&a_id), &a, &group, vec![up.id])
        .await
        .unwrap();
    a.add_member(group.id, c.me().await.unwrap().user_id)
        .await
        .unwrap();
    assert!(b.download_blob(up.id).await.is_ok());
    assert!(
        c.download_blob(up.id).await.is_err(),
        "joined after the message"
    );
    a.remove_member(group.id, b.me().await.unwrap().user_id)
        .await
        .unwrap();
    assert!(
        b.download_blob(up.id).await.is_err(),
        "removed members lose access"
    );
}

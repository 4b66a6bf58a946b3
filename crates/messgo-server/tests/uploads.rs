//! Resumable uploads (docs/protocol.md, "Resumable uploads"): pieces appended at the
//! stored offset make a blob a message can take and members download byte for byte
//! (from any offset, with `Range`); what is not complete cannot be taken or read;
//! the limits count unfinished uploads; a cancelled one is gone. SQLite and
//! PostgreSQL alike.

// A test: a failed step panics and that panic is the report; a match's other arm
// is a failure too (`other => panic!`), and test data may be cut to size.
#![allow(
    clippy::unwrap_used,
    clippy::wildcard_enum_match_arm,
    clippy::cast_possible_truncation
)]

mod common;

use std::sync::Arc;

use common::uploads::{noise, Uploader};
use common::{
    connect, fresh_postgres, now_ms, register_identity, test_config, username, PgGuard, TestServer,
};
use messgo_client::{is_api_error, Client, Identity, Keyring};
use messgo_proto::{BlobId, Chat, ChatKind, MessageId};
use messgo_server::{Config, ManualClock, SystemClock};
use reqwest::StatusCode;

const CHUNK: usize = 64 * 1024;

#[derive(Clone, Copy, Debug)]
enum Engine {
    Sqlite,
    Postgres,
}

async fn server(engine: Engine, tweak: impl FnOnce(&mut Config)) -> (TestServer, Option<PgGuard>) {
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
    let srv = TestServer::start_config(config, dir, Arc::new(SystemClock)).await;
    (srv, guard)
}

async fn finish(srv: TestServer, guard: Option<PgGuard>) {
    srv.stop().await;
    if let Some(guard) = guard {
        guard.drop_database().await;
    }
}

async fn pair(srv: &TestServer) -> (Identity, Client, Client, Chat) {
    let (a_id, a) = register_identity(srv, &username("res_a")).await;
    let (_, b) = register_identity(srv, &username("res_b")).await;
    connect(&a, &b).await;
    let chat = a
        .chats()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.kind == ChatKind::Direct)
        .unwrap();
    (a_id, a, b, chat)
}

/// Sends a message that takes the given blobs.
async fn send_with(
    id: &Identity,
    client: &Client,
    chat: &Chat,
    blobs: Vec<BlobId>,
) -> messgo_client::Result<messgo_proto::Ack> {
    let mut keys = Keyring::new(id);
    let current = client.chat(chat.id).await?;
    let epoch = keys.ensure_epoch(client, &current, now_ms()).await?;
    let mut m = keys
        .seal(client, chat.id, epoch, MessageId::random(), "a file")
        .await?;
    m.blobs = blobs;
    client.send_message(&m).await
}

async fn error_code(res: reqwest::Response) -> (StatusCode, serde_json::Value) {
    let status = res.status();
    (status, res.json().await.unwrap())
}

async fn pieces_make_a_blob_members_download_whole_or_from_an_offset(engine: Engine) {
    let (srv, guard) = server(engine, |_| {}).await;
    let (a_id, a, b, chat) = pair(&srv).await;
    let (up, theirs) = (Uploader::new(&a), Uploader::new(&b));
    let bytes = noise(5 * CHUNK + 1234, 1);
    let made = up.created(chat.id, bytes.len() as u64).await;
    assert_eq!((made.offset, made.size), (0, bytes.len() as u64));

    // A piece that is not whole chunks keeps only its whole chunks.
    let res = up
        .patch(made.id, 0, bytes[..2 * CHUNK + 100].to_vec())
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()["upload-offset"],
        (2 * CHUNK).to_string().as_str()
    );
    assert_eq!(up.offset(made.id).await, 2 * CHUNK as u64);

    // Not complete: nobody reads it and no message takes it.
    assert_eq!(
        up.download(made.id, None).await.status(),
        StatusCode::NOT_FOUND
    );
    let e = send_with(&a_id, &a, &chat, vec![made.id])
        .await
        .unwrap_err();
    assert!(
        is_api_error(&e, StatusCode::BAD_REQUEST, "invalid_blob"),
        "{e}"
    );
    // Only the uploader sees where it stands.
    assert_eq!(theirs.status(made.id).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        theirs
            .patch(made.id, 2 * CHUNK as u64, vec![1])
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    let done = up
        .send_from(made.id, &bytes, 2 * CHUNK as u64, 2 * CHUNK)
        .await;
    assert_eq!(done.offset, bytes.len() as u64);
    assert_eq!(up.offset(made.id).await, bytes.len() as u64);
    send_with(&a_id, &a, &chat, vec![made.id]).await.unwrap();
    let whole = theirs.download(made.id, None).await;
    assert_eq!(whole.status(), StatusCode::OK);
    assert_eq!(whole.headers()["accept-ranges"], "bytes");
    assert_eq!(
        whole.bytes().await.unwrap().to_vec(),
        bytes,
        "byte for byte"
    );
    // Taken by a message: no longer an upload of yours.
    assert_eq!(up.status(made.id).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(up.cancel(made.id).await.status(), StatusCode::NOT_FOUND);

    for k in [
        0,
        1,
        CHUNK as u64 - 1,
        CHUNK as u64,
        3 * CHUNK as u64 + 77,
        bytes.len() as u64 - 1,
    ] {
        let res = theirs.download(made.id, Some(k)).await;
        assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT, "from {k}");
        let range = format!("bytes {k}-{}/{}", bytes.len() - 1, bytes.len());
        assert_eq!(res.headers()["content-range"], range.as_str());
        let from = usize::try_from(k).unwrap();
        assert_eq!(
            res.bytes().await.unwrap().to_vec(),
            bytes[from..].to_vec(),
            "from {k}"
        );
    }
    let res = theirs.download(made.id, Some(bytes.len() as u64)).await;
    assert_eq!(res.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        res.headers()["content-range"],
        format!("bytes */{}", bytes.len()).as_str()
    );
    let (_, body) = error_code(res).await;
    assert_eq!(body["error"]["code"], "range_not_satisfiable");
    finish(srv, guard).await;
}

#[tokio::test]
async fn pieces_make_a_blob_members_download_whole_or_from_an_offset_sqlite() {
    pieces_make_a_blob_members_download_whole_or_from_an_offset(Engine::Sqlite).await;
}

#[tokio::test]
async fn pieces_make_a_blob_members_download_whole_or_from_an_offset_postgres() {
    pieces_make_a_blob_members_download_whole_or_from_an_offset(Engine::Postgres).await;
}

async fn a_piece_at_the_wrong_offset_or_past_the_size_is_refused(engine: Engine) {
    let (srv, guard) = server(engine, |_| {}).await;
    let (_, a, _, chat) = pair(&srv).await;
    let up = Uploader::new(&a);
    let bytes = noise(3 * CHUNK, 2);
    let made = up.created(chat.id, bytes.len() as u64).await;
    up.patch(made.id, 0, bytes[..CHUNK].to_vec()).await;

    for wrong in [0, CHUNK as u64 + 1, 2 * CHUNK as u64] {
        let res = up.patch(made.id, wrong, bytes[..10].to_vec()).await;
        assert_eq!(res.headers()["upload-offset"], CHUNK.to_string().as_str());
        let (status, body) = error_code(res).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(body["error"]["code"], "offset_mismatch");
        assert_eq!(
            body["offset"], CHUNK as u64,
            "the body says the offset: {body}"
        );
        assert_eq!(body["error"]["offset"], CHUNK as u64);
    }
    let res = up
        .patch(made.id, CHUNK as u64, noise(2 * CHUNK + 1, 3))
        .await;
    let (status, body) = error_code(res).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["error"]["code"], "payload_too_large");
    let said = body["error"]["message"].as_str().unwrap();
    assert!(
        said.contains(&(3 * CHUNK).to_string()) && said.contains("192 KiB"),
        "names the size: {said}"
    );
    assert_eq!(
        up.offset(made.id).await,
        CHUNK as u64,
        "nothing of it was stored"
    );

    let res = up
        .patch_as(made.id, CHUNK as u64, "text/plain", vec![1])
        .await;
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let res = up.create(chat.id, 0).await;
    assert_eq!(error_code(res).await.1["error"]["code"], "invalid_field");
    let res = up.create(chat.id, (100 << 20) + 1).await;
    let (status, body) = error_code(res).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large"))
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("100 MiB"),
        "{body}"
    );
    finish(srv, guard).await;
}

#[tokio::test]
async fn a_piece_at_the_wrong_offset_or_past_the_size_is_refused_sqlite() {
    a_piece_at_the_wrong_offset_or_past_the_size_is_refused(Engine::Sqlite).await;
}

#[tokio::test]
async fn a_piece_at_the_wrong_offset_or_past_the_size_is_refused_postgres() {
    a_piece_at_the_wrong_offset_or_past_the_size_is_refused(Engine::Postgres).await;
}

async fn unfinished_uploads_count_against_the_quota_and_the_uploads_at_once(engine: Engine) {
    let (srv, guard) = server(engine, |c| {
        c.upload_quota_bytes = 1 << 20;
        c.uploads_at_once = 2;
    })
    .await;
    let (_, a, _, chat) = pair(&srv).await;
    let up = Uploader::new(&a);
    let big = up.created(chat.id, 700 * 1024).await;
    let (status, body) = error_code(up.create(chat.id, 400 * 1024).await).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("quota_exceeded"))
    );
    assert!(
        body["error"]["message"].as_str().unwrap().contains("1 MiB"),
        "{body}"
    );
    let e = a
        .upload_blob(chat.id, vec![7; 400 * 1024])
        .await
        .unwrap_err();
    assert!(
        is_api_error(&e, StatusCode::PAYLOAD_TOO_LARGE, "quota_exceeded"),
        "a one-shot upload too: {e}"
    );

    let small = up.created(chat.id, 1000).await;
    let res = up.create(chat.id, 1000).await;
    assert_eq!(res.headers()["retry-after"], "5");
    let (status, body) = error_code(res).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("too_many_uploads"))
    );
    assert!(
        body["error"]["message"].as_str().unwrap().contains('2'),
        "names the limit: {body}"
    );
    let e = a.upload_blob(chat.id, vec![7; 10]).await.unwrap_err();
    assert!(
        is_api_error(&e, StatusCode::TOO_MANY_REQUESTS, "too_many_uploads"),
        "{e}"
    );

    // A complete upload is no longer under way; a cancelled one no longer counts.
    up.send_from(small.id, &noise(1000, 4), 0, 1000).await;
    let third = up.created(chat.id, 1000).await;
    assert_eq!(up.cancel(big.id).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(up.cancel(third.id).await.status(), StatusCode::NO_CONTENT);
    up.created(chat.id, 900 * 1024).await;
    finish(srv, guard).await;
}

#[tokio::test]
async fn unfinished_uploads_count_against_the_quota_and_the_uploads_at_once_sqlite() {
    unfinished_uploads_count_against_the_quota_and_the_uploads_at_once(Engine::Sqlite).await;
}

#[tokio::test]
async fn unfinished_uploads_count_against_the_quota_and_the_uploads_at_once_postgres() {
    unfinished_uploads_count_against_the_quota_and_the_uploads_at_once(Engine::Postgres).await;
}

#[tokio::test]
async fn a_cancelled_upload_is_gone_finished_or_not() {
    let (srv, guard) = server(Engine::Sqlite, |_| {}).await;
    let (_, a, b, chat) = pair(&srv).await;
    let up = Uploader::new(&a);
    let half = up.created(chat.id, 3 * CHUNK as u64).await;
    up.patch(half.id, 0, noise(CHUNK, 5)).await;
    let whole = up.upload(chat.id, &noise(1000, 6), 1000).await;
    assert_eq!(
        Uploader::new(&b).cancel(whole.id).await.status(),
        StatusCode::NOT_FOUND,
        "not theirs"
    );
    for id in [half.id, whole.id] {
        assert_eq!(up.cancel(id).await.status(), StatusCode::NO_CONTENT);
        assert_eq!(up.status(id).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            up.patch(id, 0, vec![1]).await.status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(up.download(id, None).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(up.cancel(id).await.status(), StatusCode::NOT_FOUND);
    }
    finish(srv, guard).await;
}

#[tokio::test]
async fn each_piece_gives_the_upload_another_hour() {
    const MINUTE: i64 = 60_000;
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let clock = Arc::new(ManualClock::new(now_ms()));
    let srv = TestServer::start_config(test_config(&dir), dir, clock.clone()).await;
    let (_, a, _, chat) = pair(&srv).await;
    let up = Uploader::new(&a);
    let bytes = noise(3 * CHUNK, 11);
    let made = up.created(chat.id, bytes.len() as u64).await;
    clock.advance(50 * MINUTE);
    let res = up.patch(made.id, 0, bytes[..CHUNK].to_vec()).await;
    assert_eq!(res.status(), StatusCode::OK);
    let moved: messgo_proto::UploadStatus = res.json().await.unwrap();
    assert_eq!(
        moved.expires_at,
        made.expires_at + 50 * MINUTE,
        "an hour from this piece"
    );
    clock.advance(50 * MINUTE);
    assert_eq!(
        up.offset(made.id).await,
        CHUNK as u64,
        "still there 100 minutes in"
    );
    clock.advance(11 * MINUTE);
    srv.sweep().await;
    assert_eq!(
        up.status(made.id).await.status(),
        StatusCode::NOT_FOUND,
        "an hour after its last piece it is gone"
    );
    let res = up
        .patch(made.id, CHUNK as u64, bytes[CHUNK..].to_vec())
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

//! Every path that deletes conversation data erases it at once: right after it, no
//! byte of the messages or attachments it deleted is left in the database file, its
//! WAL or its shared-memory index, without waiting for a periodic compaction, and
//! no record of the message log opens to them with the log's live keys (its files
//! are sealed, so a search of their raw bytes would prove nothing).
//!
//! One row per deleting path. A new path (clearing a chat, file chunks, admin
//! deletion…) adds its row here and calls `messgo_server::erasure::erase`; edits,
//! reactions and edits at expiry and with their target are in `erasure_edits.rs`. A
//! resumable upload's chunks have their own rows: cancelled, deleted with the
//! message that took it, and expired unfinished.

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
use common::{connect, file_contains, test_config, username, TestServer, PASSWORD};
use messgo_client::{Client, Keyring};
use messgo_proto::{BlobId, ChatId, ChatKind, MessageId};
use messgo_server::store::log::store::readable_rows;
use messgo_server::store::log_dir;
use messgo_server::ManualClock;

const START: i64 = 1_700_000_000_000;
const HOUR: i64 = 3_600_000;

#[derive(Debug, Clone, Copy)]
enum Path {
    /// The timer or the 72-hour ceiling ran out; the sweep deletes.
    Expiry,
    /// The sender deleted one message for everyone.
    DeleteForEveryone,
    /// One side removed the other: their direct chat goes.
    ContactRemoved,
    /// One side blocked the other: their direct chat goes.
    Blocked,
    /// The last member left a group: the group goes.
    GroupEmptied,
    /// The sender deleted their account: what they said goes with it.
    AccountDeleted,
}

macro_rules! every_path {
    ($($name:ident => $path:ident),* $(,)?) => {
        $( #[tokio::test] async fn $name() { erases_at_once(Path::$path).await; } )*
    };
}

every_path!(
    expiry => Expiry,
    delete_for_everyone => DeleteForEveryone,
    contact_removed => ContactRemoved,
    blocked => Blocked,
    group_emptied => GroupEmptied,
    account_deleted => AccountDeleted,
);

/// Distinct bytes an attachment's ciphertext would have, unique to this test run.
fn attachment_bytes() -> Vec<u8> {
    let salt = rand::random::<[u8; 16]>();
    (0..20_000usize)
        .map(|i| salt[i % 16] ^ (i * 7919 % 251) as u8)
        .collect()
}

/// Sends three messages and one carrying an attachment into `chat`; returns what of
/// them may be found on disk (ciphertexts, nonces, the attachment's first bytes, its
/// at-rest key in the main file and its first sealed bytes in the attachments' file)
/// and the id of the message with the attachment.
async fn say_things(
    srv: &TestServer,
    keys: &mut Keyring<'_>,
    client: &Client,
    chat: ChatId,
) -> (Vec<Vec<u8>>, MessageId) {
    for i in 0..3 {
        keys.send_text(client, chat, &format!("erase me {i}"), START)
            .await
            .unwrap();
    }
    let bytes = attachment_bytes();
    let blob = client.upload_blob(chat, bytes.clone()).await.unwrap();
    let current = client.chat(chat).await.unwrap();
    let epoch = keys.ensure_epoch(client, &current, START).await.unwrap();
    let mut m = keys
        .seal(client, chat, epoch, MessageId::new_v7(), "a photo")
        .await
        .unwrap();
    m.blobs = vec![blob.id];
    client.send_message(&m).await.unwrap();
    let mut traces: Vec<Vec<u8>> = client
        .messages(chat, None, None, 50)
        .await
        .unwrap()
        .into_iter()
        .filter(|msg| msg.sender.is_some())
        .flat_map(|msg| {
            [msg.ciphertext, msg.nonce]
                .into_iter()
                .flatten()
                .map(|b| b.0)
        })
        .collect();
    assert_eq!(traces.len(), 8, "four messages' ciphertexts and nonces");
    traces.push(bytes[..64].to_vec());
    traces.extend(stored_blob(srv, blob.id).await);
    (traces, m.id)
}

/// The attachment's at-rest key (main file) and its first sealed chunk's first bytes
/// (attachments' file), as stored: what erasure must remove besides the messages.
async fn stored_blob(srv: &TestServer, id: BlobId) -> [Vec<u8>; 2] {
    async fn one(path: &std::path::Path, sql: &str, id: BlobId) -> Vec<u8> {
        let url = format!("sqlite://{}?mode=ro", path.display());
        let mut c = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url)
            .await
            .unwrap();
        let (bytes,): (Vec<u8>,) = sqlx::query_as(sql)
            .bind(id.0)
            .fetch_one(&mut c)
            .await
            .unwrap();
        // Closed before the deleting path runs: an open reader would hold the WAL.
        sqlx::Connection::close(c).await.unwrap();
        bytes
    }
    let key = one(
        &srv.db_path(),
        "SELECT store_key FROM blobs WHERE id = $1",
        id,
    )
    .await;
    let chunk = one(
        &blobs_file(srv),
        "SELECT data FROM blob_chunks WHERE blob_id = $1 AND idx = 0",
        id,
    )
    .await;
    assert_eq!(key.len(), 32, "an at-rest key");
    [key, chunk[..64].to_vec()]
}

fn blobs_file(srv: &TestServer) -> std::path::PathBuf {
    srv.dir.path().join("messgo-blobs.db")
}

/// The database files (main and attachments'), their WALs and shared-memory indexes.
fn store_files(srv: &TestServer) -> Vec<std::path::PathBuf> {
    [srv.db_path(), blobs_file(srv)]
        .iter()
        .flat_map(|db| {
            ["", "-wal", "-shm"]
                .iter()
                .map(move |s| std::path::PathBuf::from(format!("{}{s}", db.display())))
        })
        .collect()
}

fn found(srv: &TestServer, traces: &[Vec<u8>]) -> Vec<String> {
    let rows = readable_rows(&log_dir(&srv.db_path())).unwrap();
    let in_log = traces.iter().enumerate().filter(|(_, t)| {
        rows.iter().any(|r| {
            [&r.nonce, &r.ciphertext, &r.signature]
                .iter()
                .any(|part| part.as_deref() == Some(t.as_slice()))
        })
    });
    store_files(srv)
        .iter()
        .flat_map(|f| {
            traces
                .iter()
                .enumerate()
                .filter(|(_, t)| file_contains(f, t))
                .map(move |(i, _)| format!("{} holds trace {i}", f.display()))
        })
        .chain(in_log.map(|(i, _)| format!("the message log holds trace {i}")))
        .collect()
}

async fn erases_at_once(path: Path) {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let clock = Arc::new(ManualClock::new(START));
    let srv = TestServer::start_config(test_config(&dir), dir, clock.clone()).await;
    // The sender signs up with a password, so the account-deletion row can delete it.
    let a = srv.client();
    let a_identity = a.register(&username("ann"), PASSWORD).await.unwrap();
    let (_, b) = common::register_identity(&srv, &username("ben")).await;
    connect(&a, &b).await;
    let b_id = b.me().await.unwrap().user_id;
    let a_id = a_identity.me.user_id;
    let mut keys = Keyring::new(&a_identity);
    let chat = match path {
        Path::GroupEmptied => a.create_group(&[b_id]).await.unwrap().id,
        Path::Expiry
        | Path::DeleteForEveryone
        | Path::ContactRemoved
        | Path::Blocked
        | Path::AccountDeleted => {
            let chats = a.chats().await.unwrap();
            chats
                .into_iter()
                .find(|c| c.kind == ChatKind::Direct)
                .unwrap()
                .id
        }
    };
    let (mut traces, with_attachment) = say_things(&srv, &mut keys, &a, chat).await;
    assert_eq!(
        found(&srv, &traces[..8]).len(),
        8,
        "the scan sees every message's ciphertext and nonce before ({path:?})"
    );
    for (what, t) in ["at-rest key", "sealed chunk"]
        .iter()
        .zip(&traces[traces.len() - 2..])
    {
        let seen = store_files(&srv).iter().any(|f| file_contains(f, t));
        assert!(
            seen,
            "the scan sees the attachment's {what} before ({path:?})"
        );
    }

    match path {
        Path::Expiry => {
            clock.advance(72 * HOUR + 1);
            srv.sweep().await;
        }
        Path::DeleteForEveryone => {
            // Only that message and its attachment go; the others stay.
            let m = a
                .messages(chat, None, None, 50)
                .await
                .unwrap()
                .into_iter()
                .find(|m| m.id == with_attachment)
                .unwrap();
            let blob = traces.split_off(traces.len() - 3);
            traces = vec![m.ciphertext.unwrap().0, m.nonce.unwrap().0];
            traces.extend(blob);
            a.delete_message(chat, with_attachment).await.unwrap();
        }
        Path::ContactRemoved => a.remove_contact(b_id).await.unwrap(),
        Path::Blocked => a.block(b_id).await.unwrap(),
        Path::GroupEmptied => {
            a.remove_member(chat, b_id).await.unwrap();
            a.remove_member(chat, a_id).await.unwrap();
        }
        Path::AccountDeleted => a.delete_account(PASSWORD).await.unwrap(),
    }

    let left = found(&srv, &traces);
    assert!(left.is_empty(), "{path:?} left bytes behind: {left:?}");
}

/// How a resumable upload's chunks leave.
#[derive(Debug, Clone, Copy)]
enum UploadEnd {
    /// Its uploader cancelled it half way.
    Cancelled,
    /// It was completed, taken by a message, and the message deleted for everyone.
    MessageDeleted,
    /// It was left unfinished and its hour ran out; the sweep deletes it.
    Expired,
}

#[tokio::test]
async fn a_cancelled_upload() {
    erases_an_upload(UploadEnd::Cancelled).await;
}

#[tokio::test]
async fn an_upload_deleted_with_its_message() {
    erases_an_upload(UploadEnd::MessageDeleted).await;
}

#[tokio::test]
async fn an_expired_unfinished_upload() {
    erases_an_upload(UploadEnd::Expired).await;
}

/// First bytes of the sealed chunk `idx` of a blob, as the attachments' file has it.
async fn sealed_chunk(srv: &TestServer, id: BlobId, idx: i64) -> Vec<u8> {
    let url = format!("sqlite://{}?mode=ro", blobs_file(srv).display());
    let mut c = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url)
        .await
        .unwrap();
    let (bytes,): (Vec<u8>,) =
        sqlx::query_as("SELECT data FROM blob_chunks WHERE blob_id = $1 AND idx = $2")
            .bind(id.0)
            .bind(idx)
            .fetch_one(&mut c)
            .await
            .unwrap();
    sqlx::Connection::close(c).await.unwrap();
    bytes[..64].to_vec()
}

async fn erases_an_upload(end: UploadEnd) {
    const CHUNK: usize = 64 * 1024;
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let clock = Arc::new(ManualClock::new(START));
    let srv = TestServer::start_config(test_config(&dir), dir, clock.clone()).await;
    let (a_identity, a) = common::register_identity(&srv, &username("uma")).await;
    let (_, b) = common::register_identity(&srv, &username("ugo")).await;
    connect(&a, &b).await;
    let chat = common::direct_chat(&a).await.id;
    let up = Uploader::new(&a);
    let bytes = noise(5 * CHUNK + 999, rand::random());
    let made = up.created(chat, bytes.len() as u64).await;
    // Three whole chunks, then (unless it is left unfinished) the rest.
    let res = up.patch(made.id, 0, bytes[..3 * CHUNK].to_vec()).await;
    assert!(res.status().is_success());
    let mut m = None;
    if let UploadEnd::MessageDeleted = end {
        up.send_from(made.id, &bytes, 3 * CHUNK as u64, 2 * CHUNK)
            .await;
        let mut keys = Keyring::new(&a_identity);
        let current = a.chat(chat).await.unwrap();
        let epoch = keys.ensure_epoch(&a, &current, START).await.unwrap();
        let mut sealed = keys
            .seal(&a, chat, epoch, MessageId::new_v7(), "a file")
            .await
            .unwrap();
        sealed.blobs = vec![made.id];
        a.send_message(&sealed).await.unwrap();
        m = Some(sealed.id);
    }
    let [key, first] = stored_blob(&srv, made.id).await;
    let last = sealed_chunk(&srv, made.id, 2).await;
    let traces = vec![key, first, last, bytes[..64].to_vec()];
    let seen = found(&srv, &traces[..3]);
    assert_eq!(
        seen.len(),
        3,
        "the scan sees the key and the chunks before ({end:?}): {seen:?}"
    );

    match end {
        UploadEnd::Cancelled => {
            assert_eq!(
                up.cancel(made.id).await.status(),
                reqwest::StatusCode::NO_CONTENT
            );
        }
        UploadEnd::MessageDeleted => a.delete_message(chat, m.unwrap()).await.unwrap(),
        UploadEnd::Expired => {
            clock.advance(HOUR + 1);
            srv.sweep().await;
        }
    }
    let left = found(&srv, &traces);
    assert!(left.is_empty(), "{end:?} left bytes behind: {left:?}");
}

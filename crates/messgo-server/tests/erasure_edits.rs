//! The forensic table of `erasure.rs` for reactions and edits (its own file: that one
//! is at the size limit): what an edit supersedes (the target's own ciphertext and
//! the previous edit's) and a message's reactions and edits, once it expires or is
//! deleted, leave no byte in the database file, its WAL or its shared-memory index,
//! and no record of the message log opens to them with the log's live keys.

// A test: a failed step panics and that panic is the report.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{connect, direct_chat, file_contains, register_identity, test_config, username};
use common::{log_holds, TestServer};
use messgo_client::{Client, Keyring, Plaintext};
use messgo_proto::{ChatId, MessageId};
use messgo_server::ManualClock;

const START: i64 = 1_700_000_000_000;
const HOUR: i64 = 3_600_000;
/// How long an erasure may take to run (it waits at most one gap of a second).
const PATIENCE: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, Copy)]
enum Path {
    /// The sender edited twice: the original's and the first edit's content go.
    Superseded,
    /// The target expired; the sweep takes its reaction and edit with it.
    Expiry,
    /// The sender deleted the target for everyone: its reaction and edit go.
    TargetDeleted,
    /// The sender's account was deleted: what they said in a group goes, and others'
    /// reactions to it.
    SenderGone,
}

#[tokio::test]
async fn an_edit_erases_what_it_supersedes() {
    erases(Path::Superseded).await;
}

#[tokio::test]
async fn reactions_and_edits_go_at_expiry() {
    erases(Path::Expiry).await;
}

#[tokio::test]
async fn reactions_and_edits_go_with_their_target() {
    erases(Path::TargetDeleted).await;
}

#[tokio::test]
async fn reactions_go_with_a_deleted_account_s_messages() {
    erases(Path::SenderGone).await;
}

/// A stored message's ciphertext and nonce, as the history serves them.
async fn sealed_parts(client: &Client, chat: ChatId, id: MessageId) -> Vec<Vec<u8>> {
    let page = client.messages(chat, None, None, 50).await.unwrap();
    let m = page.into_iter().find(|m| m.id == id).unwrap();
    vec![m.ciphertext.unwrap().0, m.nonce.unwrap().0]
}

/// Which of `traces` a file of the store or the message log still holds.
fn found(srv: &TestServer, traces: &[Vec<u8>]) -> Vec<String> {
    let db = srv.db_path().display().to_string();
    let mut left: Vec<String> = ["", "-wal", "-shm"]
        .iter()
        .flat_map(|s| {
            let f = std::path::PathBuf::from(format!("{db}{s}"));
            traces
                .iter()
                .enumerate()
                .filter(move |(_, t)| file_contains(&f, t))
                .map(move |(i, _)| format!("messgo.db{s} holds trace {i}"))
        })
        .collect();
    for (i, t) in traces.iter().enumerate() {
        if log_holds(srv, std::slice::from_ref(t)) > 0 {
            left.push(format!("the message log holds trace {i}"));
        }
    }
    left
}

/// Waits until an erasure has run since `before` and none is waiting.
async fn settled(srv: &TestServer, before: u64) {
    let erasure = &srv.services.erasure;
    let deadline = Instant::now() + PATIENCE;
    while erasure.runs() == before || !erasure.settled() {
        assert!(Instant::now() < deadline, "the erasure never ran");
        tokio::task::yield_now().await;
    }
}

async fn erases(path: Path) {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let clock = Arc::new(ManualClock::new(START));
    let srv = TestServer::start_config(test_config(&dir), dir, clock.clone()).await;
    let (a_id, a) = register_identity(&srv, &username("ann")).await;
    let (b_id, b) = register_identity(&srv, &username("ben")).await;
    connect(&a, &b).await;
    // A group outlives a member's account (a direct chat goes with it, and its
    // messages with the chat), so there the reactions must go on their own.
    let chat = if matches!(path, Path::SenderGone) {
        let (_, c) = register_identity(&srv, &username("cat")).await;
        connect(&a, &c).await;
        let members = [b_id.me.user_id, c.me().await.unwrap().user_id];
        a.create_group(&members).await.unwrap().id
    } else {
        direct_chat(&a).await.id
    };
    let (mut ak, mut bk) = (Keyring::new(&a_id), Keyring::new(&b_id));
    let target = ak.send_text(&a, chat, "say it once", START).await.unwrap();
    let original = sealed_parts(&a, chat, target.id).await;
    let r = bk
        .send_reaction(&b, chat, target.id, "👍", START)
        .await
        .unwrap();
    let first = Plaintext::text("say it twice");
    let e1 = ak
        .send_edit(&a, chat, target.id, &first, START)
        .await
        .unwrap();
    let (reaction, edit) = (
        sealed_parts(&a, chat, r.id).await,
        sealed_parts(&a, chat, e1.id).await,
    );
    let all = [original.clone(), reaction.clone(), edit.clone()].concat();
    // Each trace is in some file before anything is erased. A checkpoint moving pages
    // from the WAL into the database can hide one for a moment: look again until then.
    let deadline = Instant::now() + PATIENCE;
    while let Some(i) = (0..4).find(|&i| found(&srv, std::slice::from_ref(&all[2 + i])).is_empty())
    {
        assert!(
            Instant::now() < deadline,
            "the scan never sees trace {i} before erasure"
        );
        tokio::task::yield_now().await;
    }

    let before = srv.services.erasure.runs();
    let traces = match path {
        Path::Superseded => {
            let second = Plaintext::text("say it thrice");
            let e2 = ak
                .send_edit(&a, chat, target.id, &second, START)
                .await
                .unwrap();
            let live = sealed_parts(&a, chat, e2.id).await;
            settled(&srv, before).await;
            assert_eq!(
                found(&srv, &live).len(),
                live.len(),
                "the latest edit stays"
            );
            [original, edit].concat()
        }
        Path::Expiry => {
            clock.advance(72 * HOUR + 1);
            srv.sweep().await;
            [reaction, edit].concat()
        }
        Path::TargetDeleted => {
            a.delete_message(chat, target.id).await.unwrap();
            settled(&srv, before).await;
            [reaction, edit].concat()
        }
        Path::SenderGone => {
            // As the account's own deletion does (accounts/operator.rs shares its path).
            srv.services
                .accounts
                .delete_by_operator(a_id.me.user_id)
                .await
                .unwrap();
            settled(&srv, before).await;
            [reaction, edit].concat()
        }
    };
    let left = found(&srv, &traces);
    assert!(left.is_empty(), "{path:?} left bytes behind: {left:?}");
}

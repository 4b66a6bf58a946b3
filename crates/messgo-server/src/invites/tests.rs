//! The operator's invites, as `messgo admin` will make them: bounds, defaults, the
//! code kept only as its hash, listing, revoking and expiry.

// A test: a failed step panics and that panic is the report.
#![allow(clippy::unwrap_used, clippy::wildcard_enum_match_arm)]

use std::sync::Arc;

use super::*;
use crate::clock::ManualClock;
use crate::store::{Schema, SqliteStore};

const START: i64 = 1_000_000_000_000;
const DAY_MS: i64 = 24 * 3600 * 1000;

async fn invites(dir: &tempfile::TempDir, clock: Arc<ManualClock>) -> Invites {
    let store = SqliteStore::open(&dir.path().join("messgo.db"), Schema::Main)
        .await
        .unwrap();
    Invites::new(Db::Sqlite(Arc::new(store)), clock, &Config::default())
}

#[tokio::test]
async fn the_operator_makes_lists_and_revokes_invites_that_connect_nobody() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(START));
    let invites = invites(&dir, clock.clone()).await;

    let made = invites.create_by_operator(None, None).await.unwrap();
    assert_eq!(made.code.len(), CODE_CHARS);
    assert_eq!(
        URL_SAFE_NO_PAD.decode(&made.code).unwrap().len(),
        CODE_BYTES
    );
    assert_eq!((made.invite.uses, made.invite.uses_left), (1, 1));
    assert_eq!(
        made.invite.expires_at,
        START + 7 * DAY_MS,
        "a week unless said"
    );
    clock.advance(1000);
    let long = invites
        .create_by_operator(Some(100), Some(30 * 24 * 3600))
        .await
        .unwrap();
    assert_eq!(long.invite.expires_at, START + 1000 + 30 * DAY_MS);
    assert_ne!(made.code, long.code);

    let listed = invites.list_by_operator().await.unwrap();
    assert_eq!(listed, vec![long.invite.clone(), made.invite.clone()]);
    // Found by its hash; the code itself is no key to anything (nor stored: the
    // integration tests search the database's files for it).
    let live = |hash: Vec<u8>| {
        let db = invites.db.clone();
        async move { db_run!(db, read, sql::invite_is_live(&hash, START)).unwrap() }
    };
    assert!(live(code_hash(&made.code)).await);
    assert!(!live(made.code.as_bytes().to_vec()).await);

    invites.revoke_by_operator(made.invite.id).await.unwrap();
    assert!(matches!(
        invites.revoke_by_operator(made.invite.id).await,
        Err(ServiceError::NotFound)
    ));
    assert_eq!(invites.list_by_operator().await.unwrap(), vec![long.invite]);

    clock.advance(31 * DAY_MS);
    assert!(
        invites.list_by_operator().await.unwrap().is_empty(),
        "expired"
    );
    assert_eq!(invites.sweep().await.unwrap(), 1);
}

#[tokio::test]
async fn the_operator_is_bounded_too() {
    let dir = tempfile::tempdir().unwrap();
    let invites = invites(&dir, Arc::new(ManualClock::new(START))).await;
    for (uses, secs, field_named) in [
        (Some(0), None, "uses"),
        (Some(101), None, "uses"),
        (None, Some(59), "expires_in_secs"),
        (None, Some(30 * 24 * 3600 + 1), "expires_in_secs"),
    ] {
        match invites.create_by_operator(uses, secs).await {
            Err(ServiceError::InvalidField { field, .. }) => assert_eq!(field, field_named),
            other => panic!("{uses:?} {secs:?}: {other:?}"),
        }
    }
    // Many more than a user may hold: the operator is the one who limits.
    for _ in 0..LIVE_INVITES_PER_USER + 5 {
        invites.create_by_operator(None, None).await.unwrap();
    }
}

#[test]
fn codes_of_the_wrong_shape_are_simply_not_valid() {
    for code in [
        "",
        "short",
        &"a".repeat(42),
        &"!".repeat(43),
        &"a".repeat(44),
    ] {
        assert!(matches!(
            code_hash_checked(code),
            Err(ServiceError::Rule(Refusal::InviteInvalid))
        ));
    }
    assert_eq!(code_hash_checked(&"A".repeat(43)).unwrap().len(), 32);
}

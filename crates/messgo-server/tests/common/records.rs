//! Store records for tests and benches that talk to a store directly.

use messgo_proto::{KdfParams, UserId};
use messgo_server::accounts::UserRecord;

/// A user as registration would store it, with placeholder keys and hash.
pub fn user(name: &str) -> UserRecord {
    UserRecord {
        id: UserId::random(),
        username: name.to_owned(),
        auth_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned(),
        kdf: KdfParams::default(),
        key_bundle: vec![1; 92],
        x25519_public: vec![2; 32],
        ed25519_public: vec![3; 32],
        created_at: 1_000,
        connect_key: Some(format!("key-{name}-{}", uuid::Uuid::new_v4().simple())),
        display_name: None,
        bio: None,
        avatar_updated_at: None,
        disabled_at: None,
    }
}

//! The project's cross-language test vectors (`vectors/messgo-v1.json`): fixed inputs
//! run through this crate. The browser's `web/crypto/protocol.js` must reproduce every output.

use serde_json::{json, Value};
use uuid::Uuid;

use crate::bundle::{self, IdentitySecrets};
use crate::kdf::{self, AccountKeys};
use crate::message::{self, Header};
use crate::{chatkey, safety, FixedRng};

fn h(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

fn id(n: u8) -> Uuid {
    // Valid v4 UUIDs with recognisable content.
    uuid::Builder::from_random_bytes([n; 16]).into_uuid()
}

fn kdf_case(realm_id: &str, username: &str, password: &str, iterations: u32) -> Value {
    let salt = kdf::salt(realm_id, username);
    let master = kdf::master_key(password, &salt, iterations);
    let keys = AccountKeys::derive(password, realm_id, username, iterations);
    json!({
        "realm_id": realm_id, "username": username, "password": password,
        "iterations": iterations, "salt": h(&salt), "master": h(master.as_ref()),
        "auth_key": h(keys.auth_key.as_ref()), "wrap_key": h(keys.wrap_key.as_ref()),
    })
}

fn bundle_case(wrap_key: [u8; 32], user: Uuid, x: u8, e: u8, nonce: [u8; 12]) -> Value {
    let secrets = IdentitySecrets {
        x25519: [x; 32].into(),
        ed25519_seed: [e; 32].into(),
    };
    json!({
        "wrap_key": h(&wrap_key), "user_id": user.to_string(),
        "x25519_secret": h(secrets.x25519.as_ref()), "ed25519_seed": h(secrets.ed25519_seed.as_ref()),
        "x25519_public": h(&secrets.x25519_public()), "ed25519_public": h(&secrets.ed25519_public()),
        "nonce": h(&nonce),
        "bundle": h(&bundle::seal(&wrap_key, user.as_bytes(), &secrets, &nonce)),
    })
}

fn chat_key_case(
    recipient_ikm: u8,
    chat: Uuid,
    epoch: u32,
    key: [u8; 32],
    ikm_e: [u8; 32],
) -> Value {
    let (sk, pk) = chatkey::derive_keypair(&[recipient_ikm; 32]);
    let wrapped = chatkey::wrap(
        &pk,
        chat.as_bytes(),
        epoch,
        &key,
        &mut FixedRng::new(&ikm_e),
    )
    .expect("derived public keys are valid");
    json!({
        "recipient_secret": h(&sk), "recipient_public": h(&pk), "chat_id": chat.to_string(),
        "epoch": epoch, "chat_key": h(&key), "ikm_e": h(&ikm_e), "wrapped": h(&wrapped),
    })
}

fn message_case(
    key: [u8; 32],
    header: Header,
    seed: [u8; 32],
    nonce: [u8; 12],
    plaintext: &[u8],
) -> Value {
    let signer = ed25519_dalek::SigningKey::from_bytes(&seed);
    let sealed = message::seal(&key, &header, plaintext, &signer, &nonce);
    json!({
        "chat_key": h(&key), "chat_id": Uuid::from_bytes(header.chat_id).to_string(),
        "epoch": header.epoch, "sender_id": Uuid::from_bytes(header.sender_id).to_string(),
        "message_id": Uuid::from_bytes(header.message_id).to_string(),
        "ed25519_seed": h(&seed), "ed25519_public": h(&signer.verifying_key().to_bytes()),
        "nonce": h(&nonce), "plaintext": h(plaintext), "aad": h(&header.aad()),
        "padded": h(&message::pad(plaintext)), "ciphertext": h(&sealed.ciphertext),
        "signature": h(&sealed.signature),
    })
}

fn safety_case(a: Uuid, a_pub: [u8; 32], b: Uuid, b_pub: [u8; 32]) -> Value {
    json!({
        "a_id": a.to_string(), "a_public": h(&a_pub), "b_id": b.to_string(), "b_public": h(&b_pub),
        "number": safety::safety_number(a.as_bytes(), &a_pub, b.as_bytes(), &b_pub),
    })
}

/// All vectors, deterministic.
pub fn generate() -> Value {
    let header = |epoch, m| Header {
        chat_id: *id(0x11).as_bytes(),
        epoch,
        sender_id: *id(0x22).as_bytes(),
        message_id: *id(m).as_bytes(),
    };
    let ed = |n: u8| {
        ed25519_dalek::SigningKey::from_bytes(&[n; 32])
            .verifying_key()
            .to_bytes()
    };
    json!({
        "description": "MessGo crypto v1 vectors, written by messgo-crypto; see docs/crypto.md. Bytes are hex.",
        "kdf": [
            kdf_case("AAAAAAAAAAAAAAAAAAAAAA", "alice", "correct horse battery staple", 600_000),
            kdf_case("realm-Zm9vYmFyYmF6cXV4", "Bob.the_2nd", "p\u{e4}ssw\u{f6}rd \u{1f511}", 100_000),
        ],
        "bundle": [
            bundle_case([0x01; 32], id(0x33), 0x44, 0x55, [0x66; 12]),
            bundle_case([0xfe; 32], id(0x77), 0x88, 0x99, [0x00; 12]),
        ],
        "chat_key": [
            chat_key_case(0x12, id(0x11), 0, [0x34; 32], [0x56; 32]),
            chat_key_case(0x78, id(0x9a), 4_000_000_000, [0xbc; 32], [0xde; 32]),
        ],
        "message": [
            message_case([0x21; 32], header(1, 0x31), [0x41; 32], [0x51; 12], br#"{"text":"hello"}"#),
            message_case([0x22; 32], header(7, 0x32), [0x42; 32], [0x52; 12], &[]),
            message_case([0x23; 32], header(9, 0x33), [0x43; 32], [0x53; 12], "\u{1f600}".repeat(70).as_bytes()),
        ],
        "safety_number": [
            safety_case(id(0x01), ed(0x02), id(0x03), ed(0x04)),
            safety_case(id(0xf0), ed(0x05), id(0x0f), ed(0x06)),
        ],
    })
}

//! The committed vectors must match what the code produces, and the RFC 9180 vectors
//! must pass, so the Rust and browser implementations cannot drift apart unnoticed.

use std::path::PathBuf;

use hpke::aead::AesGcm128;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, OpModeR, OpModeS, Serializable};
use messgo_crypto::{bundle, chatkey, message, safety, vectors, FixedRng};
use serde_json::Value;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read_json(path: PathBuf) -> Value {
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn hx(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().expect("hex string")).expect("valid hex")
}

fn arr<const N: usize>(v: &Value) -> [u8; N] {
    hx(v).try_into().expect("right length")
}

fn uuid(v: &Value) -> [u8; 16] {
    *uuid::Uuid::parse_str(v.as_str().expect("uuid string"))
        .expect("valid uuid")
        .as_bytes()
}

fn epoch(v: &Value) -> u32 {
    let n = v.as_u64().expect("epoch number");
    u32::try_from(n).expect("epoch fits u32")
}

#[test]
fn committed_vectors_match_the_code() {
    let committed = read_json(repo_root().join("vectors/messgo-v1.json"));
    assert!(
        committed == vectors::generate(),
        "vectors/messgo-v1.json is stale: run `cargo run -p messgo-crypto --example write-vectors` \
         and update web/crypto/protocol.js if the protocol changed"
    );
}

#[test]
fn committed_vectors_open() {
    let v = read_json(repo_root().join("vectors/messgo-v1.json"));
    for c in v["bundle"].as_array().unwrap() {
        let s = bundle::open(
            &arr(&c["wrap_key"]),
            &uuid(&c["user_id"]),
            &hx(&c["bundle"]),
        )
        .unwrap();
        assert_eq!(s.x25519.to_vec(), hx(&c["x25519_secret"]));
        assert_eq!(s.x25519_public().to_vec(), hx(&c["x25519_public"]));
        assert_eq!(s.ed25519_public().to_vec(), hx(&c["ed25519_public"]));
    }
    for c in v["chat_key"].as_array().unwrap() {
        let epoch = epoch(&c["epoch"]);
        let key = chatkey::unwrap(
            &arr(&c["recipient_secret"]),
            &uuid(&c["chat_id"]),
            epoch,
            &hx(&c["wrapped"]),
        );
        assert_eq!(key.unwrap().to_vec(), hx(&c["chat_key"]));
    }
    for c in v["message"].as_array().unwrap() {
        let header = message::Header {
            chat_id: uuid(&c["chat_id"]),
            epoch: epoch(&c["epoch"]),
            sender_id: uuid(&c["sender_id"]),
            message_id: uuid(&c["message_id"]),
        };
        let sealed = message::Sealed {
            nonce: arr(&c["nonce"]),
            ciphertext: hx(&c["ciphertext"]),
            signature: arr(&c["signature"]),
        };
        let plain = message::open(
            &arr(&c["chat_key"]),
            &header,
            &sealed,
            &arr(&c["ed25519_public"]),
        );
        assert_eq!(plain.unwrap(), hx(&c["plaintext"]));
    }
    for c in v["safety_number"].as_array().unwrap() {
        let n = safety::safety_number(
            &uuid(&c["b_id"]),
            &arr(&c["b_public"]),
            &uuid(&c["a_id"]),
            &arr(&c["a_public"]),
        );
        assert_eq!(n, c["number"].as_str().unwrap());
    }
}

fn rfc9180() -> Value {
    // Prefer the official copy in ../shared; the repo keeps a copy for standalone builds.
    let shared = repo_root().join("../shared/vectors/hpke-rfc9180-a1-1-base.json");
    let local = repo_root().join("vectors/hpke-rfc9180-a1-1-base.json");
    let local_v = read_json(local);
    if shared.exists() {
        let shared_v = read_json(shared);
        assert_eq!(
            shared_v, local_v,
            "vectors/ copy of the RFC 9180 vectors differs from shared/"
        );
    }
    local_v
}

type Kem = X25519HkdfSha256;

#[test]
fn rfc9180_a1_1_derive_keypair() {
    for v in rfc9180()["vectors"].as_array().unwrap() {
        let (sk_e, pk_e) = chatkey::derive_keypair(&hx(&v["ikmE"]));
        assert_eq!(sk_e.to_vec(), hx(&v["skEm"]));
        assert_eq!(pk_e.to_vec(), hx(&v["pkEm"]));
        let (sk_r, pk_r) = chatkey::derive_keypair(&hx(&v["ikmR"]));
        assert_eq!(sk_r.to_vec(), hx(&v["skRm"]));
        assert_eq!(pk_r.to_vec(), hx(&v["pkRm"]));
    }
}

#[test]
fn rfc9180_a1_1_seal_and_open() {
    for v in rfc9180()["vectors"].as_array().unwrap() {
        let pk_r = <Kem as hpke::Kem>::PublicKey::from_bytes(&hx(&v["pkRm"])).unwrap();
        let sk_r = <Kem as hpke::Kem>::PrivateKey::from_bytes(&hx(&v["skRm"])).unwrap();
        let info = hx(&v["info"]);
        // The ephemeral key comes from ikmE exactly as RFC 9180's GenerateKeyPair does.
        let (enc, mut sender) = hpke::setup_sender::<AesGcm128, HkdfSha256, Kem, _>(
            &OpModeS::Base,
            &pk_r,
            &info,
            &mut FixedRng::new(&hx(&v["ikmE"])),
        )
        .unwrap();
        assert_eq!(enc.to_bytes().to_vec(), hx(&v["enc"]));
        let mut receiver =
            hpke::setup_receiver::<AesGcm128, HkdfSha256, Kem>(&OpModeR::Base, &sk_r, &enc, &info)
                .unwrap();

        let encryptions = v["encryptions"].as_array().unwrap();
        let last = encryptions.last().unwrap()["sequence_number"]
            .as_u64()
            .unwrap();
        let mut expected = encryptions.iter().peekable();
        for seq in 0..=last {
            let e = expected.next_if(|e| e["sequence_number"].as_u64() == Some(seq));
            // Sequence numbers the vectors skip are consumed with a throwaway message.
            let (pt, aad) = e.map_or((b"x".to_vec(), vec![]), |e| (hx(&e["pt"]), hx(&e["aad"])));
            let ct = sender.seal(&pt, &aad).unwrap();
            if let Some(e) = e {
                assert_eq!(ct, hx(&e["ct"]), "seq {seq}");
            }
            assert_eq!(receiver.open(&ct, &aad).unwrap(), pt, "seq {seq}");
        }
    }
}

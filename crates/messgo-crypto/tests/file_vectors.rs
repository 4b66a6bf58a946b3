//! `vectors/messgo-file-v1.json` must be what the code writes, and must hold as read:
//! every valid stream seals and opens to its plaintext, every tampered one is refused,
//! whole and in pieces.

// A test: a failed step panics and that panic is the report.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::path::PathBuf;

use messgo_crypto::{file_vectors, stream};
use serde_json::Value;
use sha2::{Digest, Sha256};

fn committed() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../vectors/messgo-file-v1.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn hx(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().expect("hex string")).expect("valid hex")
}

fn sha(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

fn num(v: &Value) -> usize {
    usize::try_from(v.as_u64().expect("a number")).unwrap()
}

/// Opens `s` handed over in pieces of `piece` bytes.
fn open_in_pieces(
    key: &[u8; 32],
    s: &[u8],
    piece: usize,
) -> Result<Vec<u8>, messgo_crypto::CryptoError> {
    let mut opener = stream::Opener::new(key);
    let mut out = Vec::new();
    for p in s.chunks(piece) {
        out.extend_from_slice(&opener.push(p)?);
    }
    out.extend_from_slice(&opener.finish()?);
    Ok(out)
}

#[test]
fn committed_file_vectors_match_the_code() {
    assert!(
        committed() == file_vectors::generate(),
        "vectors/messgo-file-v1.json is stale: run `cargo run -p messgo-crypto --example write-file-vectors` \
         and update web/crypto/stream.js if the format changed"
    );
}

/// Seals every valid case from its key, prefix and plaintext and checks the stream
/// against the file; returns the streams by name for the tampered cases.
fn check_valid(v: &Value) -> HashMap<String, Vec<u8>> {
    let mut streams = HashMap::new();
    for c in v["valid"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let key: [u8; 32] = hx(&c["key"]).try_into().unwrap();
        let prefix: [u8; 7] = hx(&c["prefix"]).try_into().unwrap();
        let plain = match c.get("plaintext") {
            Some(p) => hx(p),
            None => {
                assert_eq!(c["plaintext_pattern"], "i mod 251");
                file_vectors::pattern(num(&c["plaintext_len"]))
            }
        };
        assert_eq!(plain.len(), num(&c["plaintext_len"]), "{name}");
        assert_eq!(sha(&plain), c["plaintext_sha256"], "{name}");
        let s = stream::seal(&key, prefix, &plain);
        assert_eq!(s.len(), num(&c["stream_len"]), "{name}");
        assert_eq!(
            s.len() as u64,
            stream::stream_len(plain.len() as u64),
            "{name}"
        );
        assert_eq!(sha(&s), c["stream_sha256"], "{name}");
        assert_eq!(s[..32.min(s.len())], hx(&c["stream_head"]), "{name}");
        assert_eq!(
            s[s.len().saturating_sub(32)..],
            hx(&c["stream_tail"]),
            "{name}"
        );
        if let Some(whole) = c.get("stream") {
            assert_eq!(s, hx(whole), "{name}");
        }
        assert_eq!(stream::open(&key, &s).unwrap(), plain, "{name}");
        assert_eq!(open_in_pieces(&key, &s, 1_000).unwrap(), plain, "{name}");
        streams.insert(name.to_owned(), s);
    }
    streams
}

#[test]
fn valid_streams_open_and_tampered_ones_are_refused() {
    let v = committed();
    let streams = check_valid(&v);
    assert!(streams.len() >= 5);
    let invalid = v["invalid"].as_array().unwrap();
    assert!(invalid.len() >= 9);
    for c in invalid {
        let name = c["name"].as_str().unwrap();
        let key: [u8; 32] = hx(&c["key"]).try_into().unwrap();
        let mut s = Vec::new();
        for p in c["parts"].as_array().unwrap() {
            match p.get("hex") {
                Some(h) => s.extend_from_slice(&hx(h)),
                None => {
                    let from = &streams[p["from"].as_str().unwrap()];
                    s.extend_from_slice(&from[num(&p["start"])..num(&p["end"])]);
                }
            }
        }
        assert_eq!(s.len(), num(&c["stream_len"]), "{name}");
        assert_eq!(sha(&s), c["stream_sha256"], "{name}");
        assert!(stream::open(&key, &s).is_err(), "{name} opened whole");
        for piece in [1, 4_096, 65_552, 1 << 20] {
            assert!(
                open_in_pieces(&key, &s, piece).is_err(),
                "{name} opened in pieces of {piece}"
            );
        }
    }
}

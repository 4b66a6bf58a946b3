//! The attachments' cross-language vectors (`vectors/messgo-file-v1.json`): streams
//! sealed from fixed keys and prefixes, and tampered forms every reader must refuse.
//! `web/crypto/stream.js` must reproduce and refuse them all.
//!
//! To stay small, plaintexts over 64 bytes are a pattern (byte i = i mod 251) and
//! streams over 256 bytes are given by length and SHA-256, with their first and last
//! 32 bytes; a reader seals the plaintext itself and compares. Tampered streams are
//! built from the valid ones: `parts` are byte ranges of named valid streams (which a
//! reader has just sealed and checked) or hex, concatenated.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::stream::{self, HEADER_LEN, SEALED_CHUNK_LEN};

/// Plaintexts up to this long are given in hex.
const PLAIN_HEX_MAX: usize = 64;
/// Streams up to this long are given in hex.
const STREAM_HEX_MAX: usize = 256;
const EDGE: usize = 32;

pub const MAIN_KEY: [u8; 32] = [0x42; 32];
const OTHER_KEY: [u8; 32] = [0x43; 32];

/// The plaintext of the pattern cases: byte i is i mod 251.
pub fn pattern(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| u8::try_from(i % 251).expect("below 251"))
        .collect()
}

fn h(b: &[u8]) -> String {
    hex::encode(b)
}

fn sha(b: &[u8]) -> String {
    h(&Sha256::digest(b))
}

struct Valid {
    name: &'static str,
    prefix: [u8; 7],
    plain: Vec<u8>,
    stream: Vec<u8>,
}

fn valid(name: &'static str, prefix_byte: u8, plain: Vec<u8>) -> Valid {
    let prefix = [prefix_byte; 7];
    let stream = stream::seal(&MAIN_KEY, prefix, &plain);
    Valid {
        name,
        prefix,
        plain,
        stream,
    }
}

fn valid_json(v: &Valid) -> Value {
    let mut case = json!({
        "name": v.name, "key": h(&MAIN_KEY), "prefix": h(&v.prefix),
        "plaintext_len": v.plain.len(), "plaintext_sha256": sha(&v.plain),
        "stream_len": v.stream.len(), "stream_sha256": sha(&v.stream),
        "stream_head": h(&v.stream[..EDGE.min(v.stream.len())]),
        "stream_tail": h(&v.stream[v.stream.len().saturating_sub(EDGE)..]),
    });
    if v.plain.len() <= PLAIN_HEX_MAX {
        case["plaintext"] = json!(h(&v.plain));
    } else {
        case["plaintext_pattern"] = json!("i mod 251");
    }
    if v.stream.len() <= STREAM_HEX_MAX {
        case["stream"] = json!(h(&v.stream));
    }
    case
}

/// One piece of a tampered stream.
enum Part {
    Range(&'static str, usize, usize),
    Hex(Vec<u8>),
}

fn chunk_range(name: &'static str, i: usize) -> Part {
    let start = HEADER_LEN + i * SEALED_CHUNK_LEN;
    Part::Range(name, start, start + SEALED_CHUNK_LEN)
}

fn build(valid: &[Valid], parts: &[Part]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in parts {
        match p {
            Part::Range(name, start, end) => {
                let v = valid
                    .iter()
                    .find(|v| v.name == *name)
                    .expect("a named case");
                out.extend_from_slice(&v.stream[*start..*end]);
            }
            Part::Hex(bytes) => out.extend_from_slice(bytes),
        }
    }
    out
}

fn invalid_json(valid: &[Valid], name: &str, why: &str, key: &[u8; 32], parts: &[Part]) -> Value {
    let bytes = build(valid, parts);
    let parts: Vec<Value> = parts
        .iter()
        .map(|p| match p {
            Part::Range(from, start, end) => json!({"from": from, "start": start, "end": end}),
            Part::Hex(b) => json!({"hex": h(b)}),
        })
        .collect();
    json!({
        "name": name, "why": why, "key": h(key), "parts": parts,
        "stream_len": bytes.len(), "stream_sha256": sha(&bytes),
    })
}

/// A one-chunk stream whose only chunk is sealed as not last: a writer that never set
/// the flag (or a stream cut off at a chunk boundary by someone holding the key).
fn no_last_flag(prefix: [u8; 7], plain: &[u8]) -> Vec<u8> {
    use aes_gcm::aead::stream::StreamPrimitive;
    let mut buf = plain.to_vec();
    stream::stream(&MAIN_KEY, &prefix)
        .encrypt_in_place(0, false, &[], &mut buf)
        .expect("a short chunk seals");
    [&[stream::VERSION][..], &prefix, &buf].concat()
}

fn valid_cases() -> Vec<Valid> {
    vec![
        valid("empty", 0x01, Vec::new()),
        valid("one_byte", 0x02, vec![0x61]),
        valid(
            "short",
            0x03,
            b"MessGo attachments, sealed in chunks".to_vec(),
        ),
        valid("one_full_chunk", 0x04, pattern(65_536)),
        valid("full_chunk_and_one", 0x05, pattern(65_537)),
        valid("three_chunks", 0x06, pattern(2 * 65_536 + 1_000)),
        valid("other_three_chunks", 0x07, pattern(2 * 65_536 + 1_000)),
    ]
}

fn len_of(v: &[Valid], name: &str) -> usize {
    v.iter()
        .find(|c| c.name == name)
        .map_or(0, |c| c.stream.len())
}

/// Chunks of a good stream reordered, dropped, cut off, repeated or mixed in.
fn reordered(v: &[Valid]) -> Vec<Value> {
    let t = "three_chunks";
    let header = || Part::Range(t, 0, HEADER_LEN);
    let end = len_of(v, t);
    let last_start = HEADER_LEN + 2 * SEALED_CHUNK_LEN;
    let last = || Part::Range(t, last_start, end);
    let k = &MAIN_KEY;
    vec![
        invalid_json(
            v,
            "chunks_swapped",
            "chunk 1 before chunk 0",
            k,
            &[header(), chunk_range(t, 1), chunk_range(t, 0), last()],
        ),
        invalid_json(
            v,
            "chunk_dropped",
            "chunk 1 left out",
            k,
            &[header(), chunk_range(t, 0), last()],
        ),
        invalid_json(
            v,
            "truncated_at_chunk_boundary",
            "ends after chunk 1, which is not the last",
            k,
            &[Part::Range(t, 0, last_start)],
        ),
        invalid_json(
            v,
            "truncated_mid_chunk",
            "ends 1000 bytes into chunk 1",
            k,
            &[Part::Range(t, 0, HEADER_LEN + SEALED_CHUNK_LEN + 1_000)],
        ),
        invalid_json(
            v,
            "bytes_appended",
            "one byte after the last chunk",
            k,
            &[Part::Range(t, 0, end), Part::Hex(vec![0])],
        ),
        invalid_json(
            v,
            "last_chunk_repeated",
            "a second copy of the last chunk follows it",
            k,
            &[Part::Range(t, 0, end), last()],
        ),
        invalid_json(
            v,
            "chunk_from_another_file",
            "chunk 1 of another stream (same key, other prefix)",
            k,
            &[
                header(),
                chunk_range(t, 0),
                chunk_range("other_three_chunks", 1),
                last(),
            ],
        ),
    ]
}

/// Streams wrong as a whole: no last flag, another version or key, no chunk.
fn malformed(v: &[Valid]) -> Vec<Value> {
    let mut wrong_version = build(v, &[Part::Range("one_byte", 0, len_of(v, "one_byte"))]);
    wrong_version[0] = 0x02;
    let k = &MAIN_KEY;
    vec![
        invalid_json(
            v,
            "no_last_flag",
            "its only chunk sealed as not last (all flags 0)",
            k,
            &[Part::Hex(no_last_flag([0x02; 7], &[0x61]))],
        ),
        invalid_json(
            v,
            "wrong_version",
            "version byte 0x02",
            k,
            &[Part::Hex(wrong_version)],
        ),
        invalid_json(
            v,
            "wrong_key",
            "a valid stream opened under another key",
            &OTHER_KEY,
            &[Part::Range("short", 0, len_of(v, "short"))],
        ),
        invalid_json(
            v,
            "header_only",
            "no chunk at all",
            k,
            &[Part::Range("one_byte", 0, HEADER_LEN)],
        ),
        invalid_json(v, "nothing", "not even a version byte", k, &[]),
    ]
}

/// All attachment vectors, deterministic.
pub fn generate() -> Value {
    let v = valid_cases();
    json!({
        "description": "MessGo attachment streams v1 (docs/crypto.md, Attachments), written by messgo-crypto. Bytes are hex. \
            Plaintexts of over 64 bytes are a pattern: byte i = i mod 251. Streams of over 256 bytes are given by length, SHA-256 \
            and their first and last 32 bytes: seal the plaintext and compare. An invalid case's stream is its parts concatenated: \
            bytes [start, end) of the valid case named `from` (as sealed), or hex; every reader must refuse it as a whole.",
        "chunk_len": stream::CHUNK_LEN,
        "tag_len": stream::TAG_LEN,
        "valid": v.iter().map(valid_json).collect::<Vec<_>>(),
        "invalid": ([reordered(&v), malformed(&v)].concat()),
    })
}

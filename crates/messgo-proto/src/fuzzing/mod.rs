//! The checks behind the fuzz targets in `fuzz/`: every parser a stranger's bytes
//! reach. Each function takes one raw input, returns when the input is merely
//! invalid, and panics when an invariant breaks. The fuzz targets (nightly,
//! `scripts/fuzz`) and the corpus replay test (`tests/fuzz_corpus.rs`, stable, in
//! `scripts/test`) both call these, so what is fuzzed and what is replayed cannot
//! drift apart.

use std::str::FromStr;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::{BlobId, Bytes, ChatId, ClientFrame, MessageId, RequestId, SessionId, UserId};

mod bodies;
mod keys;

pub use keys::{connect_key, username};

/// One target's check: the raw input in, a panic out when an invariant breaks.
pub type Check = fn(&[u8]);

/// Every target by name: `fuzz/fuzz_targets/<name>.rs` runs it, and
/// `fuzz/corpus/<name>/` holds its seeds.
pub const TARGETS: [(&str, Check); 6] = [
    ("client_frame", client_frame),
    ("json_bodies", json_bodies),
    ("base64url", base64url),
    ("connect_key", connect_key),
    ("username", username),
    ("ids", ids),
];

/// A WebSocket text frame from a client, through the server's decode
/// ([`ClientFrame::parse`], with its fast path for sends).
pub fn client_frame(data: &[u8]) {
    // A WebSocket text frame is UTF-8 by then: the socket layer refuses anything else.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = ClientFrame::parse(text);
    // The fast path exists for speed only: it must read what the generic decode reads.
    match (&parsed, serde_json::from_str::<ClientFrame>(text)) {
        (Ok(fast), Ok(generic)) => assert_eq!(fast, &generic, "fast path differs"),
        (Err(e), Ok(_)) => panic!("the fast path refused a frame the generic decode reads: {e}"),
        // The one leniency: the send struct ignores a second `type` key, which the
        // tagged enum refuses. What it reads is still a well-formed send.
        (Ok(_), Err(e)) => assert!(
            e.to_string().starts_with("duplicate field `type`"),
            "the fast path read a frame the generic decode refuses: {e}"
        ),
        (Err(_), Err(_)) => {}
    }
    if let Ok(frame) = parsed {
        let encoded = serde_json::to_string(&frame).expect("a decoded frame encodes");
        let again = ClientFrame::parse(&encoded)
            .unwrap_or_else(|e| panic!("{encoded} does not decode again: {e}"));
        assert_eq!(again, frame, "a frame changed through encode and decode");
    }
}

/// A JSON body: the first byte picks the type (request bodies the server reads, and
/// the answers a client reads from a server), the rest is the body.
pub fn json_bodies(data: &[u8]) {
    let Some((&pick, json)) = data.split_first() else {
        return;
    };
    let check = bodies::ALL[usize::from(pick) % bodies::ALL.len()];
    check(json);
}

/// Decodes `json` as a `T`; what decodes must encode, decode again, and encode to the
/// same text (so nothing is lost or changed on the way through).
fn round_trip<T: Serialize + DeserializeOwned>(json: &[u8]) {
    let Ok(value) = serde_json::from_slice::<T>(json) else {
        return;
    };
    let once = serde_json::to_string(&value).expect("a decoded body encodes");
    let back: T =
        serde_json::from_str(&once).unwrap_or_else(|e| panic!("{once} does not decode again: {e}"));
    let twice = serde_json::to_string(&back).expect("a decoded body encodes");
    assert_eq!(once, twice, "a body changed through encode and decode");
}

/// Binary fields (keys, nonces, ciphertexts, signatures) as base64url without padding.
pub fn base64url(data: &[u8]) {
    // Any bytes encode, at the documented length, and decode back.
    let bytes = Bytes(data.to_vec());
    let text = bytes.to_b64();
    assert_eq!(text.len(), (data.len() * 4).div_ceil(3), "unpadded length");
    let json = serde_json::to_string(&bytes).expect("bytes encode");
    assert_eq!(serde_json::from_str::<Bytes>(&json).ok(), Some(bytes));
    // The input as a field's text: whatever decodes has exactly one spelling, so a
    // signature or key cannot be resent in a second form.
    if let Ok(text) = std::str::from_utf8(data) {
        let quoted = serde_json::to_string(text).expect("a string encodes");
        if let Ok(decoded) = serde_json::from_str::<Bytes>(&quoted) {
            assert_eq!(
                decoded.to_b64(),
                text,
                "a non-canonical encoding was accepted"
            );
        }
    }
    // The input as it arrives in JSON, escapes and all.
    if let Ok(decoded) = serde_json::from_slice::<Bytes>(data) {
        let text: String = serde_json::from_slice(data).expect("Bytes decoded from a string");
        assert_eq!(
            decoded.to_b64(),
            text,
            "a non-canonical encoding was accepted"
        );
    }
}

/// Ids, as path segments (`FromStr`) and in JSON; all six id types read alike.
pub fn ids(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = ChatId::from_str(text).ok();
    let quoted = serde_json::to_string(text).expect("a string encodes");
    let from_json = serde_json::from_str::<ChatId>(&quoted).ok();
    assert_eq!(parsed, from_json, "path and JSON read an id differently");
    assert_eq!(
        UserId::from_str(text).ok().map(|i| i.0),
        parsed.map(|i| i.0)
    );
    assert_eq!(
        SessionId::from_str(text).ok().map(|i| i.0),
        parsed.map(|i| i.0)
    );
    assert_eq!(
        RequestId::from_str(text).ok().map(|i| i.0),
        parsed.map(|i| i.0)
    );
    assert_eq!(
        BlobId::from_str(text).ok().map(|i| i.0),
        parsed.map(|i| i.0)
    );
    assert_eq!(
        MessageId::from_str(text).ok().map(|i| i.0),
        parsed.map(|i| i.0)
    );
    let Some(id) = parsed else {
        return;
    };
    // Every accepted spelling names one id, which is written one way.
    let shown = id.to_string();
    assert_eq!(shown.len(), 36, "an id is shown hyphenated");
    assert_eq!(
        shown,
        shown.to_ascii_lowercase(),
        "an id is shown in lower case"
    );
    assert_eq!(ChatId::from_str(&shown).ok(), Some(id));
    let json = serde_json::to_string(&id).expect("an id encodes");
    assert_eq!(json, format!("\"{shown}\""));
}

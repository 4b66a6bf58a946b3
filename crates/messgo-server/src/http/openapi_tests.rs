use super::*;
use serde_json::Value;

fn contract() -> Value {
    serde_json::to_value(document()).expect("the contract serializes")
}

fn schema<'a>(doc: &'a Value, name: &str) -> &'a Value {
    &doc["components"]["schemas"][name]
}

/// The socket frames' schema is checked in (docs/frames.schema.json) so it can be
/// read without a server; regenerate it with `UPDATE_SCHEMA=1`.
#[test]
fn the_checked_in_frames_schema_is_current() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/frames.schema.json");
    let fresh =
        serde_json::to_string_pretty(&frames_schema(&document())).expect("serializes") + "\n";
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &fresh).expect("docs/frames.schema.json is writable");
    }
    let kept = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        kept == fresh,
        "docs/frames.schema.json is stale: run `UPDATE_SCHEMA=1 cargo test -p messgo-server --lib openapi`"
    );
}

#[test]
fn the_frames_schema_names_every_frame_and_resolves_every_ref() {
    let frames = frames_schema(&document());
    let defs = frames["$defs"].as_object().expect("$defs");
    let tags = |name: &str| -> Vec<String> {
        let text = defs[name].to_string();
        text.split("\"enum\":[\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next().map(str::to_owned))
            .collect()
    };
    let server = tags("ServerEvent");
    for t in [
        "pong",
        "message",
        "ack",
        "nack",
        "session.ended",
        "chat.updated",
        "typing",
    ] {
        assert!(
            server.iter().any(|s| s == t),
            "ServerEvent lacks {t}: {server:?}"
        );
    }
    let client = tags("ClientFrame");
    for t in ["ping", "send", "resume", "typing", "ai.ask", "ai.stop"] {
        assert!(
            client.iter().any(|s| s == t),
            "ClientFrame lacks {t}: {client:?}"
        );
    }
    let text = frames.to_string();
    assert!(!text.contains("#/components/"), "refs point into $defs");
    for r in text.split("\"$ref\":\"#/$defs/").skip(1) {
        let name = r.split('"').next().unwrap_or_default();
        assert!(
            defs.contains_key(name),
            "{name} is referred to but not defined"
        );
    }
}

/// Every `$ref` in the contract names a component it defines.
#[test]
fn the_contract_is_openapi_3_1_and_its_refs_resolve() {
    let doc = contract();
    assert_eq!(doc["openapi"], "3.1.0");
    let mut refs = Vec::new();
    refs_in(&doc, &mut refs);
    assert!(refs.len() > 50, "the types are referred to, not inlined");
    for name in refs {
        assert!(
            schema(&doc, &name).is_object(),
            "{name} is referred to but not defined"
        );
    }
    let mut ids = std::collections::BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        assert!(path.starts_with("/api/"), "{path}");
        for (method, op) in item.as_object().expect("path item") {
            let id = op["operationId"].as_str().unwrap_or_default().to_owned();
            assert!(
                ids.insert(id.clone()),
                "operationId {id} twice ({method} {path})"
            );
            assert!(op["responses"].as_object().is_some_and(|r| !r.is_empty()));
        }
    }
}

/// The limits in the contract are the code's own.
#[test]
fn the_contract_states_the_codes_limits() {
    use messgo_proto::*;
    let doc = contract();
    let field = |ty: &str, f: &str| schema(&doc, ty)["properties"][f].clone();
    let num = |v: &Value, k: &str| v[k].as_u64().unwrap_or_else(|| panic!("{k} in {v}"));
    assert_eq!(
        num(&field("Profile", "display_name"), "maxLength"),
        DISPLAY_NAME_MAX as u64
    );
    assert_eq!(num(&field("Profile", "bio"), "maxLength"), BIO_MAX as u64);
    let name = field("RegisterRequest", "username");
    assert_eq!(num(&name, "minLength"), USERNAME_MIN as u64);
    assert_eq!(num(&name, "maxLength"), USERNAME_MAX as u64);
    assert_eq!(
        num(&field("LoginRequest", "username"), "maxLength"),
        USERNAME_MAX as u64
    );
    let iterations = field("KdfParams", "iterations");
    assert_eq!(
        num(&iterations, "minimum"),
        u64::from(KdfParams::MIN_ITERATIONS)
    );
    assert_eq!(
        num(&iterations, "maximum"),
        u64::from(KdfParams::MAX_ITERATIONS)
    );
    assert_eq!(
        num(&field("SendMessage", "blobs"), "maxItems"),
        MAX_BLOBS_PER_MESSAGE as u64
    );
    assert_eq!(
        num(&field("CreateChat", "members"), "maxItems"),
        MAX_GROUP_MEMBERS as u64 - 1
    );
    assert_eq!(schema(&doc, "Bytes")["pattern"], BASE64URL_PATTERN);
    assert_eq!(schema(&doc, "Bytes")["contentEncoding"], "base64url");
}

/// The answers every request can meet are on every operation that can meet them.
#[test]
fn common_answers_are_on_every_operation() {
    let doc = contract();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let has = |status: &str| op["responses"][status].is_object();
            assert!(has("429") && has("421"), "{method} {path}");
            if method != "get" {
                assert!(
                    has("403") && has("503"),
                    "{method} {path} changes something"
                );
                let csrf = op["parameters"].as_array().into_iter().flatten();
                assert!(
                    csrf.into_iter().any(|p| p["name"] == "X-MessGo"),
                    "{method} {path}"
                );
            }
            if op["security"].is_array() {
                assert!(
                    has("401"),
                    "{method} {path} needs a session, so can answer 401"
                );
            }
            if op["requestBody"]["content"]["application/json"].is_object() {
                assert!(has("400") && has("413") && has("415"), "{method} {path}");
            }
        }
    }
}

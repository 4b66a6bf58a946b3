//! The HTTP API's contract, generated from the code: OpenAPI 3.1 built from each
//! handler's `#[utoipa::path]` (written next to the handler, collected by its
//! module's `Api`) and the wire types' schemas (messgo-proto's `openapi` feature),
//! served at `GET /api/openapi.json`. The errors any request can meet (the flood
//! brake, the Host and CSRF checks, JSON bodies, the session) are added here once,
//! from what each operation declares, so an annotation lists only its own answers.
//! The socket frames' JSON Schema (docs/frames.schema.json) is cut from the same
//! document, so REST and frames have one generator.

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{self, Router};
use axum::Extension;
use serde_json::{json, Value};
use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Required, ResponseBuilder};
use utoipa::{Modify, OpenApi, PartialSchema, ToSchema};

use super::guard::Cacheable;
use super::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "MessGo",
        description = "The HTTP API of a MessGo server, generated from its code. Prose, rules and \
            limits in words: docs/api.md and docs/protocol.md. Every error answer is \
            `ErrorBody`: `{\"error\":{\"code\":\"snake_case\",\"message\":\"A human sentence.\"}}`; \
            each response's description names the codes it can carry. Binary fields are \
            base64url without padding. Times are milliseconds since the Unix epoch."
    ),
    components(schemas(messgo_proto::ErrorBody, messgo_proto::ServerEvent, messgo_proto::ClientFrame)),
    modifiers(&SessionCookie)
)]
struct Base;

/// The session cookie, the one credential (docs/api.md).
struct SessionCookie;

impl Modify for SessionCookie {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let cookie = ApiKey::Cookie(ApiKeyValue::with_description(
            messgo_proto::SESSION_COOKIE,
            "Set by register and login; HttpOnly, SameSite=Strict.",
        ));
        doc.components
            .get_or_insert_with(Default::default)
            .add_security_scheme("session", SecurityScheme::ApiKey(cookie));
    }
}

/// An opaque body of bytes (`application/octet-stream`, an image).
pub struct Binary;

impl PartialSchema for Binary {
    fn schema() -> RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Binary,
            )))
            .into()
    }
}

impl ToSchema for Binary {}

/// The whole contract.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = Base::openapi();
    for part in [
        super::accounts::Api::openapi(),
        super::sessions::Api::openapi(),
        super::connections::Api::openapi(),
        super::chats::Api::openapi(),
        super::blobs::Api::openapi(),
        super::uploads::Api::openapi(),
        super::assistant::Api::openapi(),
        super::invites::Api::openapi(),
        super::pictures::Api::openapi(),
        super::ws::Api::openapi(),
        Api::openapi(),
    ] {
        doc.merge(part);
    }
    for item in doc.paths.paths.values_mut() {
        let methods = [
            (&mut item.get, false),
            (&mut item.head, false),
            (&mut item.post, true),
            (&mut item.put, true),
            (&mut item.patch, true),
            (&mut item.delete, true),
        ];
        for (op, changes) in methods {
            if let Some(op) = op.as_mut() {
                add_common_answers(op, changes);
                op.summary = op.summary.take().and_then(|s| summary_of(&s));
            }
        }
    }
    doc
}

/// A handler's doc heading, "# `POST /api/login` — signs in with the auth key.", less
/// the method and path the contract already gives.
fn summary_of(heading: &str) -> Option<String> {
    let words = match heading.strip_prefix("# `") {
        Some(rest) => rest.split_once(" — ")?.1,
        None => heading,
    };
    Some(words.trim().to_owned()).filter(|w| !w.is_empty())
}

/// What every request can be answered besides its own answers (docs/api.md, "Rules
/// for every request").
fn add_common_answers(op: &mut Operation, changes: bool) {
    add_error(op, 429, "`too_many_requests`: over `--requests-per-address` (default 100 a second) from this address; `Retry-After: 1`.");
    add_error(
        op,
        421,
        "`wrong_host`: the `Host` names neither `--public-url`'s host nor loopback.",
    );
    if op.security.as_ref().is_some_and(|s| !s.is_empty()) {
        add_error(op, 401, "`unauthenticated`: no session, or it ended.");
    }
    let params = op.parameters.get_or_insert_with(Vec::new);
    let has_path_ids = params
        .iter()
        .any(|p| matches!(p.parameter_in, ParameterIn::Path));
    if changes {
        params.push(csrf_header());
    }
    if has_path_ids {
        add_error(
            op,
            404,
            "`not_found`: no such id, or not one you may see (the same answer either way).",
        );
    }
    if changes {
        add_error(
            op,
            403,
            "`csrf`: `X-MessGo: 1` missing, or an `Origin` that is not this server's.",
        );
        add_error(
            op,
            503,
            "`storage_full`: the server's storage is full; nothing was stored; `Retry-After: 60`.",
        );
    }
    let json_body = op
        .request_body
        .as_ref()
        .is_some_and(|b| b.content.contains_key("application/json"));
    if json_body {
        add_error(op, 400, "`invalid_json`: the body does not parse as this operation's JSON (the message names the problem).");
        add_error(
            op,
            413,
            "`payload_too_large`: the body is over its limit (default 64 KiB).",
        );
        add_error(
            op,
            415,
            "`unsupported_media_type`: the body is not `application/json`.",
        );
    }
}

/// `X-MessGo: 1`, which every state-changing request must carry.
fn csrf_header() -> Parameter {
    let one = utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(["1"]));
    ParameterBuilder::new()
        .name("X-MessGo")
        .parameter_in(ParameterIn::Header)
        .required(Required::True)
        .description(Some("CSRF defence: a cross-site form cannot set it."))
        .schema(Some(one))
        .build()
}

/// Adds an `ErrorBody` answer, or the words to the one already declared for the status.
pub fn add_error(op: &mut Operation, status: u16, words: &str) {
    let key = status.to_string();
    match op.responses.responses.get_mut(&key) {
        Some(RefOr::T(existing)) => {
            existing.description = format!("{} {words}", existing.description);
        }
        Some(RefOr::Ref(_)) => {}
        None => {
            let body = ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build();
            let answer = ResponseBuilder::new()
                .description(words)
                .content("application/json", body)
                .build();
            op.responses.responses.insert(key, RefOr::T(answer));
        }
    }
}

/// The socket frames as one JSON Schema (2020-12): `ServerEvent` and `ClientFrame`
/// with every type they reach, from the same components as the REST contract.
pub fn frames_schema(doc: &utoipa::openapi::OpenApi) -> Value {
    let components = serde_json::to_value(&doc.components).expect("schemas serialize");
    let all = components.get("schemas").cloned().unwrap_or(Value::Null);
    let mut wanted = vec!["ServerEvent".to_owned(), "ClientFrame".to_owned()];
    let mut defs = serde_json::Map::new();
    while let Some(name) = wanted.pop() {
        if defs.contains_key(&name) {
            continue;
        }
        let schema = all.get(&name).cloned().unwrap_or(Value::Null);
        refs_in(&schema, &mut wanted);
        defs.insert(name, schema);
    }
    let text = serde_json::to_string(&json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "MessGo WebSocket frames",
        "description": "Generated from messgo-proto's types (do not edit: run `UPDATE_SCHEMA=1 cargo test -p messgo-server --lib openapi`). A frame from the server is a ServerEvent, a frame from the client a ClientFrame; both are JSON text frames. docs/protocol.md says when each is sent.",
        "anyOf": [
            {"$ref": "#/$defs/ServerEvent"},
            {"$ref": "#/$defs/ClientFrame"}
        ],
        "$defs": defs,
    }))
    .expect("JSON serializes");
    serde_json::from_str(&text.replace("#/components/schemas/", "#/$defs/")).expect("JSON parses")
}

/// The names of the components a schema refers to.
pub(crate) fn refs_in(schema: &Value, out: &mut Vec<String>) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                if let Some(name) = r.strip_prefix("#/components/schemas/") {
                    out.push(name.to_owned());
                }
            }
            map.values().for_each(|v| refs_in(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| refs_in(v, out)),
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {}
    }
}

#[derive(OpenApi)]
#[openapi(paths(contract))]
pub struct Api;

/// # `GET /api/openapi.json` — this contract; public, the same for every caller.
#[utoipa::path(get, path = "/api/openapi.json", tag = "contract",
    responses((status = 200, description = "The OpenAPI 3.1 document.", content_type = "application/json", body = Object)))]
async fn contract(Extension(body): Extension<axum::body::Bytes>) -> Response {
    let headers = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        ),
        // The same for everyone, until the server is upgraded.
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=3600"),
        ),
    ];
    let mut res = (headers, body).into_response();
    res.extensions_mut().insert(Cacheable);
    res
}

/// The contract, rendered once when the router is built.
pub fn routes() -> Router<AppState> {
    let body = document().to_json().expect("the contract serializes");
    Router::new()
        .route("/openapi.json", routing::get(contract))
        .layer(Extension(axum::body::Bytes::from(body)))
}

#[cfg(test)]
#[path = "openapi_tests.rs"]
mod tests;

//! The contract (`GET /api/openapi.json`) against the router that really serves:
//! every route under `/api` is in it with exactly its methods, so an endpoint added
//! without its `#[utoipa::path]` fails here.

// A test: a failed step panics and that panic is the report.
#![allow(clippy::unwrap_used, clippy::wildcard_enum_match_arm)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::TestServer;
use reqwest::{Method, StatusCode};
use serde_json::Value;

#[tokio::test]
async fn the_contract_is_served_to_anyone_and_may_be_cached() {
    let srv = TestServer::start().await;
    let res = srv
        .http()
        .get(srv.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "no session needed");
    assert_eq!(res.headers()["content-type"], "application/json");
    assert_eq!(res.headers()["cache-control"], "public, max-age=3600");
    let served: Value = res.json().await.unwrap();
    let built = serde_json::to_value(messgo_server::http::openapi_document()).unwrap();
    assert_eq!(served, built);
    assert_eq!(served["openapi"], "3.1.0");
    // Other API answers stay uncacheable.
    let res = srv.http().get(srv.url("/api/health")).send().await.unwrap();
    assert_eq!(res.headers()["cache-control"], "no-store");
}

/// The methods the router serves at `path` (an `/api` path, `{x}` filled in), read
/// from the `Allow` of its 405 to a method no route takes; `None` if no route there.
async fn served_methods(srv: &TestServer, path: &str) -> Option<BTreeSet<String>> {
    let filled: String = path
        .split('/')
        .map(|seg| {
            if seg.starts_with('{') {
                "00000000-0000-4000-8000-000000000000"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/");
    let res = srv
        .http()
        .request(Method::TRACE, srv.url(&filled))
        .header("x-messgo", "1")
        .send()
        .await
        .unwrap();
    match res.status() {
        StatusCode::METHOD_NOT_ALLOWED => {}
        StatusCode::NOT_FOUND => return None,
        other => panic!("TRACE {filled}: {other}"),
    }
    let allow = res.headers()["allow"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    Some(
        allow
            .split(',')
            .map(|m| m.trim().to_owned())
            .filter(|m| !m.is_empty() && m != "head")
            .collect(),
    )
}

/// Every `.route("…")` written under `src/http/`: the candidates for `/api` routes.
fn routes_in_source() -> BTreeSet<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http");
    let mut found = BTreeSet::new();
    let mut dirs = vec![dir];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for rest in text.split(".route(").skip(1) {
                let rest = rest.trim_start();
                if let Some(literal) = rest.strip_prefix('"').and_then(|r| r.split('"').next()) {
                    found.insert(format!("/api{literal}"));
                }
            }
        }
    }
    found
}

#[tokio::test]
async fn every_api_route_is_in_the_contract_with_its_methods() {
    let srv = TestServer::start().await;
    let spec = serde_json::to_value(messgo_server::http::openapi_document()).unwrap();
    let documented: BTreeMap<String, BTreeSet<String>> = spec["paths"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(path, item)| {
            (
                path.clone(),
                item.as_object().unwrap().keys().cloned().collect(),
            )
        })
        .collect();

    let mut served = BTreeMap::new();
    let candidates: BTreeSet<String> = routes_in_source()
        .into_iter()
        .chain(documented.keys().cloned())
        .collect();
    for path in &candidates {
        if let Some(methods) = served_methods(&srv, path).await {
            served.insert(path.clone(), methods);
        }
    }
    assert!(served.len() >= 40, "the probe found the API: {served:?}");
    for (path, methods) in &served {
        let doc = documented.get(path);
        assert_eq!(
            doc,
            Some(methods),
            "{path} is served with {methods:?}: document every method with #[utoipa::path] next to its handler and list it in the module's `Api`"
        );
    }
    for path in documented.keys() {
        assert!(
            served.contains_key(path),
            "{path} is documented but not served"
        );
    }
}

/// The contract says every JSON body is an object; serde alone would also read a
/// struct from an array of its fields (schemathesis found `[null, null]` accepted as
/// a profile) and an ignored body from anything.
#[tokio::test]
async fn json_bodies_must_be_objects() {
    let srv = TestServer::start().await;
    let (_, client) = common::register_fast(&srv, &common::username("arrays")).await;
    for (path, body) in [
        ("/api/connect-key/rotate", serde_json::json!([null, null])),
        ("/api/logout", serde_json::json!("bye")),
        ("/api/prelogin", serde_json::json!(["someone"])),
    ] {
        let res = client.raw_post(path, &body).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{path}");
        let error: Value = res.json().await.unwrap();
        assert_eq!(error["error"]["code"], "invalid_json", "{path}");
    }
    let put = |body: Value| {
        srv.http()
            .put(srv.url("/api/profile"))
            .header("cookie", client.cookie_header().unwrap())
            .header("x-messgo", "1")
            .json(&body)
            .send()
    };
    let res = put(serde_json::json!([null, null])).await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    // The same bodies as objects still pass.
    let res = client
        .raw_post("/api/connect-key/rotate", &serde_json::json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = put(serde_json::json!({"display_name": "Ada", "bio": null}))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

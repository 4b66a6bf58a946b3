//! The assistant relay against a local OpenAI-compatible server started by the test:
//! real HTTP, real server-sent-event streaming, controlled token by token.

// A test: a failed step panics and that panic is the report; a match's other arm
// is a failure too (`other => panic!`), and test data may be cut to size.
#![allow(
    clippy::unwrap_used,
    clippy::wildcard_enum_match_arm,
    clippy::cast_possible_truncation
)]

mod common;

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use common::{register_identity, username, TestServer};
use messgo_proto::{AskAssistant, ClientFrame, ServerEvent, Turn};
use serde_json::{json, Value};
use tokio::sync::{mpsc, Mutex as AsyncMutex};

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// Streams "echo:" and the last user text word by word, one word per release.
    Echo,
    TooMany,
    Malformed,
    /// Never finishes; reports when the relay hangs up.
    Hang,
}

#[derive(Clone)]
struct Fake {
    mode: Arc<Mutex<Mode>>,
    seen: mpsc::UnboundedSender<(HeaderMap, Value)>,
    release: Arc<AsyncMutex<mpsc::UnboundedReceiver<()>>>,
    hung_up: mpsc::UnboundedSender<()>,
}

/// Tells the test when the relay dropped the response body (it cancelled upstream).
struct HangUp(mpsc::UnboundedSender<()>);
impl Drop for HangUp {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}

async fn completions(
    State(f): State<Fake>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let text = body["messages"]
        .as_array()
        .and_then(|m| m.last())
        .map(|m| m["content"].to_string())
        .unwrap_or_default();
    f.seen.send((headers, body)).unwrap();
    let mode = *f.mode.lock().unwrap();
    match mode {
        Mode::TooMany => (StatusCode::TOO_MANY_REQUESTS, "slow down").into_response(),
        Mode::Malformed => sse(futures_util::stream::iter(vec![
            "data: {not json\n\n".to_owned()
        ])),
        Mode::Hang => {
            let guard = HangUp(f.hung_up.clone());
            let stream = futures_util::stream::unfold(guard, |guard| async move {
                std::future::pending::<()>().await;
                Some((String::new(), guard))
            });
            sse(stream)
        }
        Mode::Echo => {
            let words: Vec<String> = std::iter::once("echo:".to_owned())
                .chain(text.trim_matches('"').split(' ').map(str::to_owned))
                .collect();
            let release = f.release.clone();
            let stream = futures_util::stream::unfold(
                (words.into_iter(), release, false),
                |(mut words, release, done)| async move {
                    if done {
                        return None;
                    }
                    match words.next() {
                        Some(w) => {
                            release.lock().await.recv().await;
                            let chunk =
                                json!({"choices": [{"delta": {"content": format!("{w} ")}}]});
                            Some((format!("data: {chunk}\n\n"), (words, release, false)))
                        }
                        None => Some(("data: [DONE]\n\n".to_owned(), (words, release, true))),
                    }
                },
            );
            sse(stream)
        }
    }
}

fn sse(stream: impl futures_util::Stream<Item = String> + Send + 'static) -> Response {
    let body = Body::from_stream(futures_util::StreamExt::map(
        stream,
        Ok::<_, std::io::Error>,
    ));
    ([("content-type", "text/event-stream")], body).into_response()
}

struct Provider {
    url: String,
    mode: Arc<Mutex<Mode>>,
    seen: mpsc::UnboundedReceiver<(HeaderMap, Value)>,
    release: mpsc::UnboundedSender<()>,
    hung_up: mpsc::UnboundedReceiver<()>,
}

async fn provider() -> Provider {
    let (seen_tx, seen) = mpsc::unbounded_channel();
    let (release, release_rx) = mpsc::unbounded_channel();
    let (hung_tx, hung_up) = mpsc::unbounded_channel();
    let mode = Arc::new(Mutex::new(Mode::Echo));
    let fake = Fake {
        mode: mode.clone(),
        seen: seen_tx,
        release: Arc::new(AsyncMutex::new(release_rx)),
        hung_up: hung_tx,
    };
    let app = Router::new()
        .route("/v1/chat/completions", post(completions))
        .with_state(fake);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Provider {
        url,
        mode,
        seen,
        release,
        hung_up,
    }
}

fn ask(id: &str, messages: Vec<Turn>) -> String {
    serde_json::to_string(&ClientFrame::AiAsk(AskAssistant {
        request_id: id.into(),
        messages,
    }))
    .unwrap()
}

fn turn(role: &str, content: Value) -> Turn {
    Turn {
        role: role.into(),
        content,
    }
}

#[tokio::test]
async fn without_a_model_the_assistant_says_so_and_nothing_else_breaks() {
    let srv = TestServer::start().await;
    let (_, c) = register_identity(&srv, &username("nomodel")).await;
    let info = c.assistant().await.unwrap();
    assert!(!info.configured && info.model.is_none());
    assert_eq!(
        c.assistant().await.unwrap().chat_id,
        info.chat_id,
        "one assistant chat per account"
    );
    let mut events = c.events().await.unwrap();
    events
        .send_raw(&ask("q1", vec![turn("user", json!("hello?"))]))
        .await
        .unwrap();
    match events.next().await.unwrap() {
        ServerEvent::AiError { code, message, .. } => {
            assert_eq!(code, "not_configured");
            assert!(message.contains("no assistant model configured"));
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn answers_stream_with_the_context_and_images_forwarded() {
    let mut p = provider().await;
    let url = p.url.clone();
    let srv = TestServer::start_with(|c| {
        c.ai = Some(messgo_server::config::AiConfig {
            url,
            model: "test-model".into(),
            key: Some("test-key".into()),
        });
        c.ai_system_prompt = Some("Be brief.".into());
    })
    .await;
    let (_, c) = register_identity(&srv, &username("asker")).await;
    let info = c.assistant().await.unwrap();
    assert_eq!(
        (info.configured, info.model.as_deref()),
        (true, Some("test-model"))
    );
    let mut events = c.events().await.unwrap();

    let image = json!([{"type": "text", "text": "what is this"}, {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]);
    let question = "please repeat after me";
    events
        .send_raw(&ask(
            "q1",
            vec![
                turn("user", image.clone()),
                turn("assistant", json!("a tiny png")),
                turn("user", json!(question)),
            ],
        ))
        .await
        .unwrap();
    let (headers, body) = p.seen.recv().await.unwrap();
    assert_eq!(headers["authorization"], "Bearer test-key");
    assert_eq!(
        (body["model"].as_str(), body["stream"].as_bool()),
        (Some("test-model"), Some(true))
    );
    let roles: Vec<_> = body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(
        roles,
        vec!["system", "user", "assistant", "user"],
        "earlier turns are the model's memory"
    );
    assert_eq!(
        body["messages"][1]["content"], image,
        "images go as image_url data URLs"
    );

    // Progressive: each word reaches the client before the provider writes the next.
    let mut answer = String::new();
    for _ in 0..5 {
        p.release.send(()).unwrap();
        match events.next().await.unwrap() {
            ServerEvent::AiDelta { request_id, text } => {
                assert_eq!(request_id, "q1");
                answer.push_str(&text);
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(answer.trim(), format!("echo: {question}"));
    assert_eq!(
        events.next().await.unwrap(),
        ServerEvent::AiDone {
            request_id: "q1".into()
        }
    );

    // Provider trouble becomes words in the chat.
    *p.mode.lock().unwrap() = Mode::TooMany;
    events
        .send_raw(&ask("q2", vec![turn("user", json!("again"))]))
        .await
        .unwrap();
    let ServerEvent::AiError { code, .. } = events.next().await.unwrap() else {
        panic!()
    };
    assert_eq!(code, "provider_rate_limited");
    *p.mode.lock().unwrap() = Mode::Malformed;
    events
        .send_raw(&ask("q3", vec![turn("user", json!("again"))]))
        .await
        .unwrap();
    let ServerEvent::AiError { code, .. } = events.next().await.unwrap() else {
        panic!()
    };
    assert_eq!(code, "malformed_stream");

    // The server kept nothing of the conversation.
    let (_, dir) = srv.stop().await;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        for text in [question, "echo:", "a tiny png", "what is this"] {
            assert!(
                !common::file_contains(&path, text.as_bytes()),
                "{text} in {}",
                path.display()
            );
        }
    }
}

#[tokio::test]
async fn stopping_cancels_the_upstream_request() {
    let mut p = provider().await;
    *p.mode.lock().unwrap() = Mode::Hang;
    let url = p.url.clone();
    let srv = TestServer::start_with(|c| {
        c.ai = Some(messgo_server::config::AiConfig {
            url,
            model: "m".into(),
            key: None,
        });
    })
    .await;
    let (_, c) = register_identity(&srv, &username("stopper")).await;
    let mut events = c.events().await.unwrap();
    events
        .send_raw(&ask("long", vec![turn("user", json!("write a novel"))]))
        .await
        .unwrap();
    let (headers, _) = p.seen.recv().await.unwrap();
    assert!(
        !headers.contains_key("authorization"),
        "no key configured, none sent"
    );
    events
        .send_raw(r#"{"type":"ai.stop","request_id":"long"}"#)
        .await
        .unwrap();
    assert_eq!(
        events.next().await.unwrap(),
        ServerEvent::AiDone {
            request_id: "long".into()
        }
    );
    p.hung_up
        .recv()
        .await
        .expect("the provider saw the request cancelled");
}

#[tokio::test]
async fn questions_are_limited_per_account_and_in_size() {
    let p = provider().await;
    let url = p.url.clone();
    let srv = TestServer::start_with(|c| {
        c.ai = Some(messgo_server::config::AiConfig {
            url,
            model: "m".into(),
            key: None,
        });
        c.ai_requests_per_hour = 1;
        c.ai_context_bytes = 2048;
    })
    .await;
    let (_, c) = register_identity(&srv, &username("limited")).await;
    let mut events = c.events().await.unwrap();
    events
        .send_raw(&ask("big", vec![turn("user", json!("x".repeat(4096)))]))
        .await
        .unwrap();
    let ServerEvent::AiError { code, .. } = events.next().await.unwrap() else {
        panic!()
    };
    assert_eq!(code, "context_too_large");
    events
        .send_raw(&ask("next", vec![turn("user", json!("hi"))]))
        .await
        .unwrap();
    let ServerEvent::AiError { code, .. } = events.next().await.unwrap() else {
        panic!()
    };
    assert_eq!(code, "rate_limited", "the oversized question counted");
    drop(p);
}

/// A server with the fake provider as its model.
async fn with_model(p: &Provider) -> TestServer {
    let url = p.url.clone();
    TestServer::start_with(|c| {
        c.ai = Some(messgo_server::config::AiConfig {
            url,
            model: "m".into(),
            key: None,
        });
    })
    .await
}

fn question(id: &str, messages: Vec<Turn>) -> Value {
    serde_json::to_value(AskAssistant {
        request_id: id.into(),
        messages,
    })
    .unwrap()
}

#[tokio::test]
async fn a_question_with_large_images_goes_over_http_and_its_answer_streams_back() {
    let mut p = provider().await;
    let srv = with_model(&p).await;
    let (_, c) = register_identity(&srv, &username("httpask")).await;
    // Far more than a socket frame may carry (96 KiB).
    let picture = format!("data:image/jpeg;base64,{}", "A".repeat(400 * 1024));
    let image = json!([{"type": "text", "text": "what is this"}, {"type": "image_url", "image_url": {"url": picture}}]);
    for _ in 0..8 {
        p.release.send(()).unwrap();
    }
    let res = c
        .raw_post(
            "/api/assistant/ask",
            &question("h1", vec![turn("user", image.clone())]),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/x-ndjson");
    let (_, body) = p.seen.recv().await.unwrap();
    assert_eq!(
        body["messages"][0]["content"], image,
        "the image reached the model whole"
    );
    let events: Vec<ServerEvent> = res
        .text()
        .await
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        matches!(&events[0], ServerEvent::AiDelta { request_id, .. } if request_id == "h1"),
        "{events:?}"
    );
    assert_eq!(
        events.last(),
        Some(&ServerEvent::AiDone {
            request_id: "h1".into()
        })
    );

    // The same question over the socket is refused by the frame cap: the socket ends.
    let mut events = c.events().await.unwrap();
    let _ = events.send_raw(&ask("h2", vec![turn("user", image)])).await;
    let after = events.next_within(std::time::Duration::from_secs(10)).await;
    assert!(
        matches!(after, Ok(None) | Err(_)),
        "a frame over 96 KiB closes the socket: {after:?}"
    );
}

#[tokio::test]
async fn dropping_the_answer_cancels_the_upstream_request() {
    let mut p = provider().await;
    *p.mode.lock().unwrap() = Mode::Hang;
    let srv = with_model(&p).await;
    let (_, c) = register_identity(&srv, &username("httpstop")).await;
    let res = c
        .raw_post(
            "/api/assistant/ask",
            &question("long", vec![turn("user", json!("a novel"))]),
        )
        .await;
    assert_eq!(res.status(), 200);
    p.seen.recv().await.unwrap();
    drop(res);
    p.hung_up
        .recv()
        .await
        .expect("the provider saw the request cancelled");
}

#[tokio::test]
async fn questions_under_way_at_once_are_limited_per_account() {
    let mut p = provider().await;
    *p.mode.lock().unwrap() = Mode::Hang;
    let srv = with_model(&p).await;
    let (_, c) = register_identity(&srv, &username("manyq")).await;
    let ask_one = |id: &str| {
        let body = question(id, vec![turn("user", json!("hi"))]);
        let c = &c;
        async move { c.raw_post("/api/assistant/ask", &body).await }
    };
    let first = ask_one("a").await;
    let second = ask_one("b").await;
    assert_eq!(
        (first.status().as_u16(), second.status().as_u16()),
        (200, 200)
    );
    let third = ask_one("c").await;
    assert_eq!(third.status(), 429);
    let body: Value = third.json().await.unwrap();
    assert_eq!(body["error"]["code"], "too_many_questions");
    // Stopping one (dropping its answer) gives its place back.
    p.seen.recv().await.unwrap();
    drop(first);
    p.hung_up.recv().await.unwrap();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
    while ask_one("d").await.status() != 200 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the place never came back"
        );
        tokio::task::yield_now().await;
    }
}

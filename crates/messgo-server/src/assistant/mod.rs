//! The personal assistant relay. The client sends the recent turns of its assistant
//! chat (decrypted locally) with the new question; the server forwards them to an
//! OpenAI-compatible `/chat/completions` with `stream: true`, relays the tokens as
//! they come, and keeps nothing: no content is stored or logged here. The client
//! stores the finished answer, encrypted, in the chat.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use messgo_proto::{AskAssistant, AssistantInfo, ChatId, ServerEvent, UserId};
use serde_json::{json, Value};
use tokio::sync::mpsc;
use uuid::Uuid;

pub mod sql;

use crate::clock::Clock;
use crate::config::{AiConfig, Config};
use crate::ratelimit::RateLimiter;
use crate::service::{ServiceError, ServiceResult};
use crate::sessions::AuthContext;
use crate::store::Db;

const MAX_TURNS: usize = 200;

pub struct Assistant {
    http: reqwest::Client,
    ai: Option<AiConfig>,
    system_prompt: Option<String>,
    limiter: RateLimiter,
    max_context: usize,
    /// Questions taken, for the metrics.
    taken: prometheus_client::metrics::counter::Counter,
    db: Db,
    clock: Arc<dyn Clock>,
}

/// Why an answer failed, in words for the chat.
struct Failure(&'static str, String);

impl Assistant {
    pub fn new(
        db: Db,
        clock: Arc<dyn Clock>,
        config: &Config,
        metrics: &crate::metrics::Metrics,
    ) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(config.ai_timeout)
            .build()
            .expect("the HTTP client builds");
        Assistant {
            http,
            ai: config.ai.clone(),
            system_prompt: config.ai_system_prompt.clone(),
            limiter: RateLimiter::new(config.ai_requests_per_hour, 3_600_000, clock.clone())
                .counting(metrics, crate::metrics::Refused::Assistant),
            taken: metrics.assistant_requests.clone(),
            max_context: config.ai_context_bytes,
            db,
            clock,
        }
    }

    /// The banner's facts, and the user's assistant chat (created on first use).
    pub async fn info(&self, who: AuthContext) -> ServiceResult<AssistantInfo> {
        let now = self.clock.now_ms();
        let chat = db_run!(
            self.db,
            write,
            sql::assistant_chat(who.user_id, Uuid::new_v4(), now)
        )?;
        Ok(AssistantInfo {
            configured: self.ai.is_some(),
            model: self.ai.as_ref().map(|a| a.model.clone()),
            chat_id: ChatId(chat),
        })
    }

    /// Streams one answer into `out` as `ai.delta` frames, then `ai.done` or `ai.error`.
    pub async fn ask(&self, user: UserId, req: AskAssistant, out: mpsc::Sender<Box<ServerEvent>>) {
        let id = req.request_id.clone();
        let last = match self.answer(user, req, &out).await {
            Ok(()) => ServerEvent::AiDone { request_id: id },
            Err(Failure(code, message)) => ServerEvent::AiError {
                request_id: id,
                code: code.into(),
                message,
            },
        };
        let _ = out.send(Box::new(last)).await;
    }

    async fn answer(
        &self,
        user: UserId,
        req: AskAssistant,
        out: &mpsc::Sender<Box<ServerEvent>>,
    ) -> Result<(), Failure> {
        let Some(ai) = &self.ai else {
            return Err(Failure(
                "not_configured",
                "This server has no assistant model configured.".into(),
            ));
        };
        if let Err(wait) = self.limiter.hit(&user.to_string()) {
            return Err(Failure(
                "rate_limited",
                format!(
                    "You have asked the assistant a lot this hour; try again in {} minutes.",
                    wait.0.div_ceil(60)
                ),
            ));
        }
        check_context(&req, self.max_context)?;
        self.taken.inc();

        let res = self.request(ai, &req).send().await.map_err(unreachable)?;
        if !res.status().is_success() {
            return Err(provider_status(res.status().as_u16()));
        }
        let said_anything = relay(res, &req.request_id, out).await?;
        if said_anything {
            Ok(())
        } else {
            Err(Failure(
                "malformed_stream",
                "The model's answer ended before it said anything.".into(),
            ))
        }
    }
}

impl Assistant {
    /// The provider's `/chat/completions` request: the system prompt, then the turns.
    fn request(&self, ai: &AiConfig, req: &AskAssistant) -> reqwest::RequestBuilder {
        let mut messages: Vec<Value> = Vec::with_capacity(req.messages.len() + 1);
        if let Some(prompt) = &self.system_prompt {
            messages.push(json!({"role": "system", "content": prompt}));
        }
        messages.extend(
            req.messages
                .iter()
                .map(|t| json!({"role": t.role, "content": t.content})),
        );
        let request = self
            .http
            .post(format!("{}/chat/completions", ai.url))
            .json(&json!({"model": ai.model, "stream": true, "messages": messages}));
        match &ai.key {
            Some(key) => request.bearer_auth(key),
            None => request,
        }
    }
}

/// Relays the provider's server-sent events to `out` as `ai.delta` frames; returns
/// whether the model said anything. Stops early, quietly, when the socket is gone.
async fn relay(
    res: reqwest::Response,
    request_id: &str,
    out: &mpsc::Sender<Box<ServerEvent>>,
) -> Result<bool, Failure> {
    let mut body = res.bytes_stream();
    let mut buffer = Vec::new();
    let mut said_anything = false;
    while let Some(chunk) = body.next().await {
        buffer.extend_from_slice(&chunk.map_err(unreachable)?);
        // Server-sent events: one `data:` line per event, events end with a blank line.
        while let Some(end) = buffer.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = buffer.drain(..=end).collect();
            let line = String::from_utf8_lossy(&line);
            let Some(data) = line.trim().strip_prefix("data:") else {
                continue;
            };
            let data = data.trim();
            if data == "[DONE]" {
                return Ok(true);
            }
            let text = delta_text(data)?;
            if !text.is_empty() {
                said_anything = true;
                let delta = ServerEvent::AiDelta {
                    request_id: request_id.to_owned(),
                    text,
                };
                if out.send(Box::new(delta)).await.is_err() {
                    return Ok(true); // the socket is gone: stop reading
                }
            }
        }
    }
    Ok(said_anything)
}

fn check_context(req: &AskAssistant, max: usize) -> Result<(), Failure> {
    if req.request_id.is_empty() || req.request_id.len() > 64 {
        return Err(Failure(
            "invalid_frame",
            "A request needs a short request_id.".into(),
        ));
    }
    if req.messages.is_empty() || req.messages.len() > MAX_TURNS {
        return Err(Failure(
            "invalid_frame",
            "A question needs between 1 and 200 turns of context.".into(),
        ));
    }
    if req
        .messages
        .iter()
        .any(|t| t.role != "user" && t.role != "assistant")
    {
        return Err(Failure(
            "invalid_frame",
            "Turns are from the user or the assistant.".into(),
        ));
    }
    let size: usize = req
        .messages
        .iter()
        .map(|t| t.content.to_string().len())
        .sum();
    if size > max {
        return Err(Failure(
            "context_too_large",
            format!(
                "This conversation is too long to send (limit {} KiB); start a new topic.",
                max / 1024
            ),
        ));
    }
    Ok(())
}

/// The text of one streamed chunk: `choices[0].delta.content`.
fn delta_text(data: &str) -> Result<String, Failure> {
    let v: Value = serde_json::from_str(data).map_err(|_| {
        Failure(
            "malformed_stream",
            "The model's answer could not be read.".into(),
        )
    })?;
    if let Some(err) = v.get("error") {
        let _ = err; // provider error bodies can echo the prompt: never relay or log them
        return Err(Failure(
            "provider_error",
            "The model's provider reported an error.".into(),
        ));
    }
    Ok(v.pointer("/choices/0/delta/content")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned())
}

fn unreachable(e: reqwest::Error) -> Failure {
    if e.is_timeout() {
        Failure(
            "timeout",
            "The model took too long to answer. Try again.".into(),
        )
    } else {
        Failure(
            "unreachable",
            "The model could not be reached. Try again later.".into(),
        )
    }
}

fn provider_status(status: u16) -> Failure {
    match status {
        429 => Failure(
            "provider_rate_limited",
            "The model's provider is rate-limiting this server; try again shortly.".into(),
        ),
        401 | 403 => Failure(
            "provider_auth",
            "This server's key for the model was refused.".into(),
        ),
        400..=499 => Failure(
            "provider_rejected",
            format!("The model's provider refused the request ({status})."),
        ),
        _ => Failure(
            "provider_error",
            format!("The model's provider failed ({status}). Try again."),
        ),
    }
}

impl From<Failure> for ServiceError {
    fn from(f: Failure) -> Self {
        ServiceError::Internal(f.1)
    }
}

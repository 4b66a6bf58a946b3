//! `POST /api/assistant/ask`: a question to the assistant, over HTTP rather than the
//! socket. A question may carry images (up to `--ai-context-bytes`), far more than
//! a socket frame may (96 KiB: every frame is capped before its type is known), so
//! questions come as a request body the server reads in bounded pieces, and the
//! answer streams back in the response as the same events the socket would carry,
//! one JSON object per line. The client stops an answer by dropping the response:
//! the task relaying it is aborted, which closes the provider's connection.

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use messgo_proto::{AskAssistant, ErrorBody, ServerEvent};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

use super::extract::{Auth, Object};
use super::{ApiError, AppState, WebSettings};
use crate::service::{Limit, ServiceError};

/// Events waiting to be written per answer (each a few words of it).
const ANSWER_QUEUE: usize = 64;

/// # `POST /api/assistant/ask` — `AskAssistant` as JSON; the answer as NDJSON events.
#[utoipa::path(post, path = "/api/assistant/ask", tag = "assistant", request_body = AskAssistant, security(("session" = [])),
    responses((status = 200, description = "The answer as it comes: one `ServerEvent` (`ai.delta`, then `ai.done` or `ai.error`) per line.", content_type = "application/x-ndjson", body = ServerEvent),
        (status = 400, description = "`invalid_json`, `bad_request` (the body broke off).", body = ErrorBody), (status = 408, description = "`request_stalled`.", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: over `--ai-context-bytes`.", body = ErrorBody),
        (status = 429, description = "`too_many_questions`: 2 at once per account; `Retry-After: 5`.", body = ErrorBody)))]
pub async fn ask(
    State(s): State<AppState>,
    Auth(who): Auth,
    req: Request,
) -> Result<Response, ApiError> {
    // Held until the answer ends, so a client cannot have many large questions
    // read into memory (or answers streaming) at once.
    let place = s
        .asking
        .take(who.user_id.to_string())
        .ok_or(ServiceError::OverLimit(Limit::QuestionsAtOnce(
            s.asking.limit(),
        )))?;
    let body = read_question(req, &s.web).await?;
    let question = serde_json::from_slice::<Object<AskAssistant>>(&body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("The question could not be read: {e}."),
        )
    })?;
    let Object(question) = question;
    drop(body);
    let (tx, rx) = mpsc::channel::<Box<ServerEvent>>(ANSWER_QUEUE);
    let services = s.services.clone();
    let task = tokio::spawn(async move { services.assistant.ask(who.user_id, question, tx).await });
    let stop = Stop(task.abort_handle());
    let lines = tokio_stream_of(rx).map(move |event| {
        let _keep = (&stop, &place);
        let mut line = serde_json::to_vec(&event).expect("events serialize");
        line.push(b'\n');
        Ok::<_, std::convert::Infallible>(Bytes::from(line))
    });
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-ndjson"),
        )],
        Body::from_stream(lines),
    )
        .into_response())
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(ask))]
pub struct Api;

/// The question's body: at most `--ai-context-bytes` of context (in base64 data
/// URLs, with its JSON around it), each piece arriving within the stall timeout.
async fn read_question(req: Request, web: &WebSettings) -> Result<Vec<u8>, ApiError> {
    let limit = web.ai_context_bytes * 4 / 3 + 64 * 1024;
    let too_large = || ApiError::from_status(StatusCode::PAYLOAD_TOO_LARGE);
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let mut stream = req.into_body().into_data_stream();
    let mut body = Vec::new();
    loop {
        match tokio::time::timeout(web.stall_timeout, stream.next()).await {
            Err(_) => {
                return Err(ApiError::new(
                    StatusCode::REQUEST_TIMEOUT,
                    "request_stalled",
                    "The question stopped arriving. Please try again.",
                ))
            }
            Ok(None) => return Ok(body),
            Ok(Some(Err(_))) => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                    "The question broke off.",
                ))
            }
            Ok(Some(Ok(piece))) if body.len() + piece.len() > limit => return Err(too_large()),
            Ok(Some(Ok(piece))) => body.extend_from_slice(&piece),
        }
    }
}

/// Aborts the answer's task when the response is dropped (the client went away or
/// stopped the answer).
struct Stop(AbortHandle);

impl Drop for Stop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn tokio_stream_of<T: Send + 'static>(
    mut rx: mpsc::Receiver<T>,
) -> impl futures_util::Stream<Item = T> + Send {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

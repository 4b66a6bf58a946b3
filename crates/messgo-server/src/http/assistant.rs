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
use messgo_proto::{AskAssistant, ServerEvent};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

use super::extract::Auth;
use super::{ApiError, AppState};

/// Events waiting to be written per answer (each a few words of it).
const ANSWER_QUEUE: usize = 64;

/// # `POST /api/assistant/ask` — `AskAssistant` as JSON; the answer as NDJSON events.
pub async fn ask(
    State(s): State<AppState>,
    Auth(who): Auth,
    req: Request,
) -> Result<Response, ApiError> {
    // Room for the context in base64 data URLs with its JSON around it.
    let limit = s.web.ai_context_bytes * 4 / 3 + 64 * 1024;
    let body = axum::body::to_bytes(req.into_body(), limit)
        .await
        .map_err(|_| ApiError::from_status(StatusCode::PAYLOAD_TOO_LARGE))?;
    let question: AskAssistant = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("The question could not be read: {e}."),
        )
    })?;
    drop(body);
    let (tx, rx) = mpsc::channel::<Box<ServerEvent>>(ANSWER_QUEUE);
    let services = s.services.clone();
    let task = tokio::spawn(async move { services.assistant.ask(who.user_id, question, tx).await });
    let stop = Stop(task.abort_handle());
    let lines = tokio_stream_of(rx).map(move |event| {
        let _keep = &stop;
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

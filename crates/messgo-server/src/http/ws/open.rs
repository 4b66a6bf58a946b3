//! Opening a socket: the session, the `Origin` and the socket limits are checked,
//! then the connection is upgraded and handed to the session loop (`run`).

use axum::extract::ws::{WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use futures_util::StreamExt;
use messgo_proto::ErrorBody;

use super::{run, MAX_CLIENT_FRAME, READ_BUFFER};
use crate::http::extract::{Auth, ClientIp};
use crate::http::{ApiError, AppState};
use crate::metrics::{Metrics, Refused};

/// # `GET /api/ws` — real-time events for the signed-in user.
#[utoipa::path(get, path = "/api/ws", tag = "socket", security(("session" = [])),
    description = "A WebSocket of JSON text frames: `ServerEvent` from the server, `ClientFrame` from the client (docs/frames.schema.json, docs/protocol.md).",
    responses((status = 101, description = "Switched to the WebSocket."),
        (status = 400, description = "`bad_request`: not a WebSocket upgrade.", body = ErrorBody),
        (status = 403, description = "`csrf`: an `Origin` that is not this server's.", body = ErrorBody),
        (status = 426, description = "`bad_request`: the connection cannot be upgraded.", body = ErrorBody),
        (status = 429, description = "`too_many_sockets`: per account (default 32) or address (256); `Retry-After: 5`.", body = ErrorBody)))]
pub async fn upgrade(
    State(s): State<AppState>,
    Auth(who): Auth,
    ClientIp(address): ClientIp,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    // Browsers always send Origin on WebSockets; another site's page must not ride
    // the user's cookie into a socket (SameSite covers most, this covers the rest).
    if let Some(origin) = headers.get(header::ORIGIN) {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        let scheme = if s.web.behind_tls_proxy {
            "https"
        } else {
            "http"
        };
        if origin.to_str().ok() != Some(&format!("{scheme}://{host}")) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "csrf",
                "This socket was opened by another site.",
            ));
        }
    }
    let places = s
        .sockets
        .take(who.user_id.to_string(), address)
        .inspect_err(|_| s.services.metrics.refused(Refused::Sockets))?;
    // Across nodes, the user's events start reaching this node before the socket's
    // feed opens; if they were not reaching it, the order stage first reads where the
    // user's chats stand.
    let (order, db, user) = (
        s.services.pipeline.order.clone(),
        s.services.db.clone(),
        who.user_id,
    );
    let first = Box::pin(async move { order.rebase_for(&db, user).await });
    let sub = s
        .services
        .bus
        .open(who.user_id, who.session_id, first)
        .await;
    let services = s.services.clone();
    Ok(ws
        // An idle socket should cost little: tungstenite's default read buffer is
        // 128 KiB per socket. Larger frames still arrive; the buffer grows for them.
        .read_buffer_size(READ_BUFFER)
        // Every frame is capped before its type is known; a question to the
        // assistant with images goes over HTTP (`POST /api/assistant/ask`).
        .max_message_size(MAX_CLIENT_FRAME)
        .max_frame_size(MAX_CLIENT_FRAME)
        .on_upgrade(move |socket: WebSocket| async move {
            let _open = Metrics::open(&services.metrics.sockets);
            let (sink, stream) = socket.split();
            run(sink, stream, sub, services, who).await;
            drop(places);
        }))
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(upgrade))]
pub struct Api;

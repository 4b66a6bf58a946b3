//! Chat and message endpoints (docs/protocol.md).

use axum::extract::DefaultBodyLimit;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{self, Router};
use axum::Json;
use messgo_proto::{
    Ack, Chat, ChatId, ChatKind, ChatsResponse, CreateChat, EpochKey, EpochOpened, MemberBody,
    MessageId, MessagesResponse, MetaBody, OpenEpoch, SendMessage, UserId,
};
use serde::Deserialize;

use super::extract::{ApiJson, Auth};
use super::{ApiError, AppState};
use crate::messages::Page;

fn id<T: std::str::FromStr>(raw: &str) -> Result<T, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found())
}

/// # `GET /api/chats` — every chat you are in.
pub async fn list(
    State(s): State<AppState>,
    Auth(who): Auth,
) -> Result<Json<ChatsResponse>, ApiError> {
    Ok(Json(ChatsResponse {
        chats: s.services.chats.list(who).await?,
    }))
}

/// # `GET /api/chats/{id}`
pub async fn get(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(raw): Path<String>,
) -> Result<Json<Chat>, ApiError> {
    Ok(Json(
        s.services
            .chats
            .get(who.user_id, id::<ChatId>(&raw)?)
            .await?,
    ))
}

/// # `POST /api/chats` — a group of your contacts; you are its admin.
pub async fn create(
    State(s): State<AppState>,
    Auth(who): Auth,
    ApiJson(body): ApiJson<CreateChat>,
) -> Result<Response, ApiError> {
    if body.kind != ChatKind::Group {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_field",
            "Only groups are created this way; a direct chat comes with an accepted request.",
        ));
    }
    let chat = s.services.chats.create_group(who, body.members).await?;
    Ok((StatusCode::CREATED, Json(chat)).into_response())
}

/// # `POST /api/chats/{id}/epochs` — open the next key epoch.
pub async fn open_epoch(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<OpenEpoch>,
) -> Result<Response, ApiError> {
    let opened: EpochOpened = s.services.chats.open_epoch(who, id(&raw)?, body).await?;
    Ok((StatusCode::CREATED, Json(opened)).into_response())
}

#[derive(Deserialize)]
pub struct EpochQuery {
    epoch: u32,
}

/// # `GET /api/chats/{id}/keys?epoch=n` — your wrapped key of epoch n.
pub async fn epoch_key(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(raw): Path<String>,
    Query(q): Query<EpochQuery>,
) -> Result<Json<EpochKey>, ApiError> {
    Ok(Json(
        s.services.chats.epoch_key(who, id(&raw)?, q.epoch).await?,
    ))
}

/// # `POST /api/chats/{id}/members` — an admin adds one of their contacts.
pub async fn add_member(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<MemberBody>,
) -> Result<StatusCode, ApiError> {
    s.services
        .chats
        .add_member(who, id(&raw)?, body.user_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// # `DELETE /api/chats/{id}/members/{user}` — remove a member, or leave.
pub async fn remove_member(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path((raw, user)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    s.services
        .chats
        .remove_member(who, id(&raw)?, id::<UserId>(&user)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// # `POST /api/chats/{id}/admins` — promote a member.
pub async fn promote(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<MemberBody>,
) -> Result<StatusCode, ApiError> {
    s.services
        .chats
        .promote(who, id(&raw)?, body.user_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// # `PUT /api/chats/{id}/meta` — the group's sealed name.
pub async fn set_meta(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<MetaBody>,
) -> Result<StatusCode, ApiError> {
    s.services.chats.set_meta(who, id(&raw)?, body.meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub struct PageQuery {
    before: Option<i64>,
    after: Option<i64>,
    limit: Option<i64>,
}

/// # `GET /api/chats/{id}/messages?before=|after=&limit=` — history you may see.
pub async fn messages(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(raw): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Json<MessagesResponse>, ApiError> {
    let page = match (q.before, q.after) {
        (Some(_), Some(_)) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_field",
                "Give 'before' or 'after', not both.",
            ))
        }
        (_, Some(after)) => Page::After(after),
        (before, None) => Page::Before(before),
    };
    let messages = s
        .services
        .messages
        .history(who, id(&raw)?, page, q.limit.unwrap_or(50))
        .await?;
    Ok(Json(MessagesResponse { messages }))
}

#[derive(Deserialize)]
pub struct SendBody {
    id: MessageId,
    epoch: u32,
    nonce: messgo_proto::Bytes,
    ciphertext: messgo_proto::Bytes,
    signature: messgo_proto::Bytes,
    #[serde(default)]
    blobs: Vec<messgo_proto::BlobId>,
}

/// # `POST /api/chats/{id}/messages` — send without a socket; answers like `ack`.
pub async fn send(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(raw): Path<String>,
    ApiJson(b): ApiJson<SendBody>,
) -> Result<Json<Ack>, ApiError> {
    let m = SendMessage {
        chat_id: id(&raw)?,
        id: b.id,
        epoch: b.epoch,
        nonce: b.nonce,
        ciphertext: b.ciphertext,
        signature: b.signature,
        blobs: b.blobs,
    };
    // Detached: a client hanging up mid-request must not stop the fan-out of a
    // message that is already committed.
    let services = s.services.clone();
    let sent = tokio::spawn(async move { services.pipeline.send(who, m, None).await })
        .await
        .map_err(ApiError::internal)??;
    Ok(Json(sent.ack))
}

/// # `DELETE /api/chats/{id}/messages/{message}` — delete your message for everyone.
pub async fn delete_message(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path((raw, message)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    s.services
        .messages
        .delete_message(who, id(&raw)?, id::<MessageId>(&message)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// # `POST /api/chats/{id}/read` — move your read position forward.
pub async fn mark_read(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<messgo_proto::ReadBody>,
) -> Result<StatusCode, ApiError> {
    s.services.chats.mark_read(who, id(&raw)?, body.seq).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// # `GET /api/settings` — typing indicators and read receipts.
pub async fn settings(
    State(s): State<AppState>,
    Auth(who): Auth,
) -> Result<Json<messgo_proto::Settings>, ApiError> {
    Ok(Json(s.services.chats.settings(who).await?))
}

/// # `PUT /api/settings`
pub async fn set_settings(
    State(s): State<AppState>,
    Auth(who): Auth,
    ApiJson(body): ApiJson<messgo_proto::Settings>,
) -> Result<Json<messgo_proto::Settings>, ApiError> {
    Ok(Json(s.services.chats.set_settings(who, body).await?))
}

/// # `PUT /api/chats/{id}/timer` — the chat's disappearing-message timer.
pub async fn set_timer(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<messgo_proto::TimerBody>,
) -> Result<StatusCode, ApiError> {
    s.services
        .chats
        .set_timer(who, id(&raw)?, body.seconds)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// # `GET /api/assistant` — whether a model is configured, its name, your assistant chat.
pub async fn assistant(
    State(s): State<AppState>,
    Auth(who): Auth,
) -> Result<Json<messgo_proto::AssistantInfo>, ApiError> {
    Ok(Json(s.services.assistant.info(who).await?))
}

/// Bodies that grow with a group's size: creating it, and an epoch's wrapped keys.
const GROUP_BODY_LIMIT: usize = 512 * 1024;

/// Chats, epochs, messages, read positions, timers, settings and the assistant chat.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/chats",
            // A group of 1,000 members is ~40 KiB of ids.
            routing::get(list)
                .post(create)
                .layer(DefaultBodyLimit::max(GROUP_BODY_LIMIT)),
        )
        .route("/chats/{id}", routing::get(get))
        .route(
            "/chats/{id}/epochs",
            // A wrapped key per member: ~190 bytes each, so ~190 KiB for 1,000.
            routing::post(open_epoch).layer(DefaultBodyLimit::max(GROUP_BODY_LIMIT)),
        )
        .route("/chats/{id}/keys", routing::get(epoch_key))
        .route("/chats/{id}/members", routing::post(add_member))
        .route("/chats/{id}/members/{user}", routing::delete(remove_member))
        .route("/chats/{id}/admins", routing::post(promote))
        .route("/chats/{id}/meta", routing::put(set_meta))
        .route(
            "/chats/{id}/messages",
            // Room for a full 64 KiB ciphertext in base64, so the size rule can answer.
            routing::get(messages)
                .post(send)
                .layer(DefaultBodyLimit::max(128 * 1024)),
        )
        .route(
            "/chats/{id}/messages/{message}",
            routing::delete(delete_message),
        )
        .route("/chats/{id}/read", routing::post(mark_read))
        .route("/chats/{id}/timer", routing::put(set_timer))
        .route("/settings", routing::get(settings).put(set_settings))
        .route("/assistant", routing::get(assistant))
}

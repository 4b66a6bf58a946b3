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
use messgo_proto::{AssistantInfo, ErrorBody, ReadBody, Settings, TimerBody};
use serde::Deserialize;

use super::extract::{ApiJson, Auth};
use super::{ApiError, AppState};
use crate::messages::Page;

fn id<T: std::str::FromStr>(raw: &str) -> Result<T, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found())
}

/// # `GET /api/chats` — every chat you are in.
#[utoipa::path(get, path = "/api/chats", tag = "chats", operation_id = "list_chats", security(("session" = [])),
    responses((status = 200, description = "Every chat you are in.", body = ChatsResponse)))]
pub async fn list(
    State(s): State<AppState>,
    Auth(who): Auth,
) -> Result<Json<ChatsResponse>, ApiError> {
    Ok(Json(ChatsResponse {
        chats: s.services.chats.list(who).await?,
    }))
}

/// # `GET /api/chats/{id}`
#[utoipa::path(get, path = "/api/chats/{id}", tag = "chats", operation_id = "get_chat", params(("id" = ChatId, Path)), security(("session" = [])),
    responses((status = 200, description = "The chat.", body = Chat)))]
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
#[utoipa::path(post, path = "/api/chats", tag = "chats", request_body = CreateChat, security(("session" = [])),
    responses((status = 201, description = "The group; you are its admin.", body = Chat),
        (status = 400, description = "`invalid_field` (only groups), `not_a_contact`, `group_full`.", body = ErrorBody)))]
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
#[utoipa::path(post, path = "/api/chats/{id}/epochs", tag = "chats", request_body = OpenEpoch, params(("id" = ChatId, Path)), security(("session" = [])),
    responses((status = 201, description = "Opened.", body = EpochOpened),
        (status = 400, description = "`epoch_keys_mismatch`, `invalid_field`.", body = ErrorBody),
        (status = 409, description = "`epoch_conflict`: someone opened it first.", body = ErrorBody)))]
pub async fn open_epoch(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<OpenEpoch>,
) -> Result<Response, ApiError> {
    let opened: EpochOpened = s.services.chats.open_epoch(who, id(&raw)?, body).await?;
    Ok((StatusCode::CREATED, Json(opened)).into_response())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EpochQuery {
    epoch: u32,
}

/// # `GET /api/chats/{id}/keys?epoch=n` — your wrapped key of epoch n.
#[utoipa::path(get, path = "/api/chats/{id}/keys", tag = "chats", params(("id" = ChatId, Path), EpochQuery), security(("session" = [])),
    responses((status = 200, description = "Your wrapped key of that epoch.", body = EpochKey),
        (status = 400, description = "`bad_request`: `epoch` missing or not a number.", body = ErrorBody)))]
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
#[utoipa::path(post, path = "/api/chats/{id}/members", tag = "chats", request_body = MemberBody, params(("id" = ChatId, Path)), security(("session" = [])),
    responses((status = 204, description = "Added."),
        (status = 400, description = "`not_a_contact`, `not_a_group`, `group_full`.", body = ErrorBody),
        (status = 403, description = "`not_admin`.", body = ErrorBody), (status = 409, description = "`already_member`.", body = ErrorBody)))]
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
#[utoipa::path(delete, path = "/api/chats/{id}/members/{user}", tag = "chats", params(("id" = ChatId, Path), ("user" = UserId, Path)), security(("session" = [])),
    responses((status = 204, description = "Removed, or left."),
        (status = 400, description = "`not_a_group`.", body = ErrorBody), (status = 403, description = "`not_admin`.", body = ErrorBody)))]
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
#[utoipa::path(post, path = "/api/chats/{id}/admins", tag = "chats", request_body = MemberBody, params(("id" = ChatId, Path)), security(("session" = [])),
    responses((status = 204, description = "Promoted."),
        (status = 400, description = "`not_a_group`.", body = ErrorBody), (status = 403, description = "`not_admin`.", body = ErrorBody)))]
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
#[utoipa::path(put, path = "/api/chats/{id}/meta", tag = "chats", request_body = MetaBody, params(("id" = ChatId, Path)), security(("session" = [])),
    responses((status = 204, description = "Saved."), (status = 400, description = "`not_a_group`, `invalid_field`.", body = ErrorBody),
        (status = 403, description = "`not_admin`.", body = ErrorBody), (status = 409, description = "`epoch_stale`.", body = ErrorBody)))]
pub async fn set_meta(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<MetaBody>,
) -> Result<StatusCode, ApiError> {
    s.services.chats.set_meta(who, id(&raw)?, body.meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Messages before this sequence number (the newest page without either).
    before: Option<i64>,
    /// Messages after this sequence number.
    after: Option<i64>,
    /// How many: clamped to 1 to 200 (default 50).
    limit: Option<i64>,
}

/// # `GET /api/chats/{id}/messages?before=|after=&limit=` — history you may see.
#[utoipa::path(get, path = "/api/chats/{id}/messages", tag = "messages", params(("id" = ChatId, Path), PageQuery), security(("session" = [])),
    responses((status = 200, description = "A page of history you may see.", body = MessagesResponse),
        (status = 400, description = "`invalid_field`: both `before` and `after`; `bad_request`: not numbers.", body = ErrorBody)))]
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

/// A message sent over REST: the socket's `send` frame, its chat in the path.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct SendBody {
    id: MessageId,
    epoch: u32,
    nonce: messgo_proto::Bytes,
    ciphertext: messgo_proto::Bytes,
    signature: messgo_proto::Bytes,
    #[serde(default)]
    blobs: Vec<messgo_proto::BlobId>,
    /// `message` (default), `reaction` or `edit` (docs/protocol.md "Reactions and edits").
    #[serde(default)]
    kind: messgo_proto::MessageKind,
    /// The message a reaction or an edit is about.
    #[serde(default)]
    target: Option<MessageId>,
}

/// # `POST /api/chats/{id}/messages` — send without a socket; answers like `ack`.
#[utoipa::path(post, path = "/api/chats/{id}/messages", tag = "messages", request_body = SendBody, params(("id" = ChatId, Path)), security(("session" = [])),
    responses((status = 200, description = "Stored, as the socket's `ack`.", body = Ack),
        (status = 400, description = "`invalid_field` (sizes, kind and target), `invalid_blob`.", body = ErrorBody),
        (status = 403, description = "`not_your_message`: an edit of another's message.", body = ErrorBody),
        (status = 404, description = "`not_found` (not a member), `target_not_found`.", body = ErrorBody),
        (status = 409, description = "`epoch_stale`, `duplicate_id`.", body = ErrorBody), (status = 413, description = "`too_large`: over 64 KiB of ciphertext.", body = ErrorBody)))]
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
        kind: b.kind,
        target: b.target,
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
#[utoipa::path(delete, path = "/api/chats/{id}/messages/{message}", tag = "messages", params(("id" = ChatId, Path), ("message" = MessageId, Path)), security(("session" = [])),
    responses((status = 204, description = "Deleted for everyone.")))]
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
#[utoipa::path(post, path = "/api/chats/{id}/read", tag = "messages", request_body = ReadBody, params(("id" = ChatId, Path)), security(("session" = [])),
    responses((status = 204, description = "Your read position moved forward.")))]
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
#[utoipa::path(get, path = "/api/settings", tag = "chats", security(("session" = [])),
    responses((status = 200, description = "Your settings.", body = Settings)))]
pub async fn settings(
    State(s): State<AppState>,
    Auth(who): Auth,
) -> Result<Json<messgo_proto::Settings>, ApiError> {
    Ok(Json(s.services.chats.settings(who).await?))
}

/// # `PUT /api/settings`
#[utoipa::path(put, path = "/api/settings", tag = "chats", request_body = Settings, security(("session" = [])),
    responses((status = 200, description = "Saved.", body = Settings),
        (status = 400, description = "`invalid_field`: a timer that is not one of 300, 3600, 28800, 86400, 259200.", body = ErrorBody)))]
pub async fn set_settings(
    State(s): State<AppState>,
    Auth(who): Auth,
    ApiJson(body): ApiJson<messgo_proto::Settings>,
) -> Result<Json<messgo_proto::Settings>, ApiError> {
    Ok(Json(s.services.chats.set_settings(who, body).await?))
}

/// # `PUT /api/chats/{id}/timer` — the chat's disappearing-message timer.
#[utoipa::path(put, path = "/api/chats/{id}/timer", tag = "chats", request_body = TimerBody, params(("id" = ChatId, Path)), security(("session" = [])),
    responses((status = 204, description = "Set."),
        (status = 400, description = "`invalid_field`: not one of 300, 3600, 28800, 86400, 259200.", body = ErrorBody), (status = 403, description = "`not_admin`.", body = ErrorBody)))]
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
#[utoipa::path(get, path = "/api/assistant", tag = "assistant", security(("session" = [])),
    responses((status = 200, description = "Whether a model is configured, and your assistant chat.", body = AssistantInfo)))]
pub async fn assistant(
    State(s): State<AppState>,
    Auth(who): Auth,
) -> Result<Json<messgo_proto::AssistantInfo>, ApiError> {
    Ok(Json(s.services.assistant.info(who).await?))
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(
    list,
    get,
    create,
    open_epoch,
    epoch_key,
    add_member,
    remove_member,
    promote,
    set_meta,
    messages,
    send,
    delete_message,
    mark_read,
    settings,
    set_settings,
    set_timer,
    assistant
))]
pub struct Api;

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

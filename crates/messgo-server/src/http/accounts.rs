//! Account endpoints (docs/api.md).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{self, Router};
use axum::Json;
use messgo_proto::{
    ChangePasswordRequest, ConfigResponse, DeleteAccountRequest, ErrorBody, HealthResponse,
    LoginRequest, Me, PreloginRequest, PreloginResponse, RegisterRequest,
};
use serde::de::IgnoredAny;

use super::cookies::{clear_session_cookie, session_cookie};
use super::extract::{ApiJson, Auth, ClientIp, UserAgent};
use super::{ApiError, AppState};
use crate::accounts::UserRecord;
use crate::service::{DatabaseState, DiskState, NewAccount};

/// # `GET /api/health`
#[utoipa::path(get, path = "/api/health", tag = "accounts",
    responses((status = 200, description = "The process answers.", body = HealthResponse)))]
pub async fn health() -> Json<HealthResponse> {
    Json(HealthResponse {
        status: "ok".into(),
    })
}

/// # `GET /api/ready` — whether this node can serve: `200` when its database answers
/// a query, (with several nodes) NATS is connected, and the data's disk has at least
/// `--ready-min-free-disk` free; else `503`, naming what is wrong (`"database":"down"`,
/// `"bus":"down"`, `"disk":"low"`). A database that refuses writes while the disk
/// check passes (a full database file, or the check off) is `200` with
/// `"status":"degraded"` and `"database":"full"`: history is still served, every
/// change answers `storage_full`. A really full disk is below any threshold, so it is
/// `503` with both `"database":"full"` and `"disk":"low"`: the operator chose the
/// threshold to be told before that, and a node that cannot take a message is not
/// ready for one.
#[utoipa::path(get, path = "/api/ready", tag = "accounts",
    responses((status = 200, description = "This node can serve (`ready`), or serves history while its database refuses writes and the disk check passes (`degraded`).", body = Readiness),
        (status = 503, description = "`not_ready`: its database or (with `--bus`) NATS is down, or the data's disk has less free space than `--ready-min-free-disk`.", body = Readiness)))]
pub async fn ready(State(s): State<AppState>) -> Response {
    let r = s.services.readiness().await;
    let word = |ok: bool| if ok { "ok" } else { "down" };
    let database = match r.database {
        DatabaseState::Ok => "ok",
        DatabaseState::Full => "full",
        DatabaseState::Down => "down",
    };
    let disk = match r.disk {
        DiskState::Ok => "ok",
        DiskState::Low => "low",
        DiskState::Unchecked => "unchecked",
    };
    let up = r.database != DatabaseState::Down && r.bus && r.disk != DiskState::Low;
    let (status, word_for_status) = match (up, r.database) {
        (false, _) => (StatusCode::SERVICE_UNAVAILABLE, "not_ready"),
        (true, DatabaseState::Full) => (StatusCode::OK, "degraded"),
        (true, DatabaseState::Ok | DatabaseState::Down) => (StatusCode::OK, "ready"),
    };
    let body = Readiness {
        status: word_for_status,
        database,
        bus: word(r.bus),
        disk,
    };
    (status, Json(body)).into_response()
}

/// # `GET /api/config` — realm id, default KDF parameters, and who may sign up.
#[utoipa::path(get, path = "/api/config", tag = "accounts",
    responses((status = 200, description = "Realm id, default KDF parameters, the registration mode and whether users may make invite links.", body = ConfigResponse)))]
pub async fn config(State(s): State<AppState>) -> Json<ConfigResponse> {
    Json(s.services.accounts.config())
}

/// # `POST /api/prelogin` — the KDF parameters to derive the auth key with.
#[utoipa::path(post, path = "/api/prelogin", tag = "accounts", request_body = PreloginRequest,
    responses((status = 200, description = "The KDF parameters; an unknown name gets plausible ones, in the same shape and time.", body = PreloginResponse),
        (status = 400, description = "`invalid_username`.", body = ErrorBody)))]
pub async fn prelogin(
    State(s): State<AppState>,
    ApiJson(req): ApiJson<PreloginRequest>,
) -> Result<Json<PreloginResponse>, ApiError> {
    Ok(Json(s.services.accounts.prelogin(&req.username).await?))
}

/// # `POST /api/register` — creates the account and signs it in; with an invite, also
/// connects it to the inviter.
#[utoipa::path(post, path = "/api/register", tag = "accounts", request_body = RegisterRequest,
    responses((status = 201, description = "Registered and signed in: sets the session cookie. With a user's invite, the inviter is a contact already.", body = Me),
        (status = 400, description = "`invalid_username`, `invalid_field` (names the field: key sizes, KDF parameters).", body = ErrorBody),
        (status = 403, description = "`registration_closed` (a closed server), `invite_required` (an invite-only server, no invite), `invite_invalid` (wrong, used up, expired or revoked).", body = ErrorBody),
        (status = 409, description = "`username_taken`, `user_id_taken`.", body = ErrorBody),
        (status = 429, description = "`rate_limited`: 20 sign-ups per address an hour; `Retry-After`.", body = ErrorBody),
        (status = 503, description = "`busy`: too many password hashes waiting; `Retry-After: 2`.", body = ErrorBody)))]
pub async fn register(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    UserAgent(ua): UserAgent,
    ApiJson(req): ApiJson<RegisterRequest>,
) -> Result<Response, ApiError> {
    let new = NewAccount {
        user_id: req.user_id,
        username: req.username,
        auth_key: req.auth_key.0,
        kdf: req.kdf,
        key_bundle: req.key_bundle.0,
        x25519_public: req.x25519_public.0,
        ed25519_public: req.ed25519_public.0,
        invite: req.invite,
    };
    let user = s.services.accounts.register(new, &ip).await?;
    signed_in(&s, user, ua.as_deref(), StatusCode::CREATED).await
}

/// # `POST /api/login` — signs in with the auth key.
#[utoipa::path(post, path = "/api/login", tag = "accounts", request_body = LoginRequest,
    responses((status = 200, description = "Signed in: sets the session cookie.", body = Me),
        (status = 401, description = "`invalid_credentials`: unknown user, malformed name or key, or wrong key (the same answer).", body = ErrorBody),
        (status = 403, description = "`account_disabled`: the right key of an account the operator disabled (a wrong key still answers 401).", body = ErrorBody),
        (status = 429, description = "`rate_limited`: failed logins for the name (10) or the address (50) in 15 minutes; `Retry-After`.", body = ErrorBody),
        (status = 503, description = "`busy`: too many password hashes waiting; `Retry-After: 2`.", body = ErrorBody)))]
pub async fn login(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    UserAgent(ua): UserAgent,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let user = s
        .services
        .accounts
        .login(&req.username, req.auth_key.0, &ip)
        .await?;
    signed_in(&s, user, ua.as_deref(), StatusCode::OK).await
}

async fn signed_in(
    s: &AppState,
    user: UserRecord,
    ua: Option<&str>,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let session = s.services.sessions.create(user.id, ua).await?;
    let cookie = session_cookie(
        &session.token,
        s.services.sessions.cookie_max_age_secs(),
        s.web.behind_tls_proxy,
    );
    let me = crate::service::me_of(user);
    Ok((status, cookie, Json(me)).into_response())
}

/// # `POST /api/logout` — ends this session.
#[utoipa::path(post, path = "/api/logout", tag = "accounts", request_body = Object, security(("session" = [])),
    responses((status = 204, description = "This session ended; the cookie is cleared.")))]
pub async fn logout(
    State(s): State<AppState>,
    Auth(who): Auth,
    ApiJson(_): ApiJson<IgnoredAny>,
) -> Result<Response, ApiError> {
    match s.services.sessions.revoke(who, who.session_id).await {
        Ok(()) | Err(crate::service::ServiceError::NotFound) => {}
        Err(e) => return Err(e.into()),
    }
    Ok((
        StatusCode::NO_CONTENT,
        clear_session_cookie(s.web.behind_tls_proxy),
    )
        .into_response())
}

/// # `GET /api/me` — the signed-in account, with its sealed key bundle.
#[utoipa::path(get, path = "/api/me", tag = "accounts", security(("session" = [])),
    responses((status = 200, description = "The signed-in account.", body = Me)))]
pub async fn me(State(s): State<AppState>, Auth(who): Auth) -> Result<Json<Me>, ApiError> {
    Ok(Json(s.services.accounts.me(who).await?))
}

/// # `POST /api/account/password` — new auth key and re-wrapped bundle; other sessions end.
#[utoipa::path(post, path = "/api/account/password", tag = "accounts", request_body = ChangePasswordRequest, security(("session" = [])),
    responses((status = 204, description = "Changed; every other session ended."),
        (status = 400, description = "`invalid_field` (names the field).", body = ErrorBody),
        (status = 401, description = "`invalid_credentials`: the current key is wrong.", body = ErrorBody),
        (status = 429, description = "`rate_limited`: counted with failed logins; `Retry-After`.", body = ErrorBody),
        (status = 503, description = "`busy`: too many password hashes waiting; `Retry-After: 2`.", body = ErrorBody)))]
pub async fn change_password(
    State(s): State<AppState>,
    Auth(who): Auth,
    ApiJson(req): ApiJson<ChangePasswordRequest>,
) -> Result<StatusCode, ApiError> {
    s.services
        .accounts
        .change_password(
            who,
            req.auth_key.0,
            req.new_auth_key.0,
            req.new_kdf,
            req.new_key_bundle.0,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// # `DELETE /api/account` — deletes the account and everything of it, now.
#[utoipa::path(delete, path = "/api/account", tag = "accounts", request_body = DeleteAccountRequest, security(("session" = [])),
    responses((status = 204, description = "The account and everything of it is gone; the cookie is cleared."),
        (status = 400, description = "`invalid_field`: the auth key's size.", body = ErrorBody),
        (status = 401, description = "`invalid_credentials`: the key is wrong.", body = ErrorBody),
        (status = 429, description = "`rate_limited`: counted with failed logins; `Retry-After`.", body = ErrorBody),
        (status = 503, description = "`busy`: too many password hashes waiting; `Retry-After: 2`.", body = ErrorBody)))]
pub async fn delete_account(
    State(s): State<AppState>,
    Auth(who): Auth,
    ApiJson(req): ApiJson<DeleteAccountRequest>,
) -> Result<Response, ApiError> {
    s.services.accounts.delete(who, req.auth_key.0).await?;
    Ok((
        StatusCode::NO_CONTENT,
        clear_session_cookie(s.web.behind_tls_proxy),
    )
        .into_response())
}

/// `GET /api/ready`'s body.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Readiness {
    #[schema(pattern = "^(ready|degraded|not_ready)$")]
    status: &'static str,
    #[schema(pattern = "^(ok|full|down)$")]
    database: &'static str,
    #[schema(pattern = "^(ok|down)$")]
    bus: &'static str,
    #[schema(pattern = "^(ok|low|unchecked)$")]
    disk: &'static str,
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(
    health,
    ready,
    config,
    prelogin,
    register,
    login,
    logout,
    me,
    change_password,
    delete_account
))]
pub struct Api;

/// Accounts: registration, login, the account itself.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/health", routing::get(health))
        .route("/ready", routing::get(ready))
        .route("/config", routing::get(config))
        .route("/prelogin", routing::post(prelogin))
        .route("/register", routing::post(register))
        .route("/login", routing::post(login))
        .route("/logout", routing::post(logout))
        .route("/me", routing::get(me))
        .route("/account/password", routing::post(change_password))
        .route("/account", routing::delete(delete_account))
}

//! Account endpoints (docs/api.md).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{self, Router};
use axum::Json;
use messgo_proto::{
    ChangePasswordRequest, ConfigResponse, DeleteAccountRequest, HealthResponse, LoginRequest, Me,
    PreloginRequest, PreloginResponse, RegisterRequest,
};
use serde::de::IgnoredAny;

use super::cookies::{clear_session_cookie, session_cookie};
use super::extract::{ApiJson, Auth, ClientIp, UserAgent};
use super::{ApiError, AppState};
use crate::accounts::UserRecord;
use crate::service::{DatabaseState, DiskState, NewAccount};

/// # `GET /api/health`
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
    let body = serde_json::json!({
        "status": word_for_status,
        "database": database,
        "bus": word(r.bus),
        "disk": disk,
    });
    (status, Json(body)).into_response()
}

/// # `GET /api/config` — realm id, default KDF parameters, and who may sign up.
pub async fn config(State(s): State<AppState>) -> Json<ConfigResponse> {
    Json(s.services.accounts.config())
}

/// # `POST /api/prelogin` — the KDF parameters to derive the auth key with.
pub async fn prelogin(
    State(s): State<AppState>,
    ApiJson(req): ApiJson<PreloginRequest>,
) -> Result<Json<PreloginResponse>, ApiError> {
    Ok(Json(s.services.accounts.prelogin(&req.username).await?))
}

/// # `POST /api/register` — creates the account and signs it in; with an invite, also
/// connects it to the inviter.
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
pub async fn me(State(s): State<AppState>, Auth(who): Auth) -> Result<Json<Me>, ApiError> {
    Ok(Json(s.services.accounts.me(who).await?))
}

/// # `POST /api/account/password` — new auth key and re-wrapped bundle; other sessions end.
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

//! One error type for every HTTP answer, mapped once to status + JSON body.

use axum::extract::rejection::JsonRejection;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use messgo_proto::ErrorBody;

use crate::refusal::Refusal;
use crate::service::{Limit, ServiceError, SignUpRefusal};
use crate::store::StoreError;

/// When a client may try again after `storage_full`: room is made by an operator
/// (or the sweep), not in a moment.
const STORAGE_FULL_RETRY_SECS: u64 = 60;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn unauthenticated() -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Please sign in.",
        )
    }

    /// The right password for an account the operator disabled.
    pub fn account_disabled() -> Self {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "account_disabled",
            "This account has been disabled by the server's operator.",
        )
    }

    pub fn not_found() -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "There is nothing here.")
    }

    /// Logs the cause server-side; the client learns only that it was our fault.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "request failed");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Something went wrong on the server. Please try again.",
        )
    }

    /// The generic error for a bare status (405s, 413s from layers, …).
    pub fn from_status(status: StatusCode) -> Self {
        let (code, message) = match status {
            StatusCode::NOT_FOUND => ("not_found", "There is nothing here."),
            StatusCode::METHOD_NOT_ALLOWED => {
                ("method_not_allowed", "This method is not allowed here.")
            }
            StatusCode::PAYLOAD_TOO_LARGE => {
                ("payload_too_large", "The request body is too large.")
            }
            StatusCode::UNSUPPORTED_MEDIA_TYPE => (
                "unsupported_media_type",
                "The request body must be JSON (Content-Type: application/json).",
            ),
            StatusCode::UNAUTHORIZED => ("unauthenticated", "Please sign in."),
            StatusCode::FORBIDDEN => ("forbidden", "This is not allowed."),
            StatusCode::TOO_MANY_REQUESTS => ("rate_limited", "Too many requests; please wait."),
            s if s.is_server_error() => (
                "internal",
                "Something went wrong on the server. Please try again.",
            ),
            _ => ("bad_request", "The request could not be understood."),
        };
        ApiError::new(status, code, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (self.status, Json(ErrorBody::new(self.code, self.message))).into_response();
        if let Some(secs) = self.retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        use ServiceError::*;
        match e {
            InvalidUsername(u) => {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_username", u.to_string())
            }
            InvalidField { field, problem } => ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_field",
                format!("The field '{field}' {problem}."),
            ),
            InvalidConnectKey => ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_connect_key",
                "A connect key is 32 letters and digits (dashes and spaces are fine).",
            ),
            Rule(code) => rule_error(code),
            TooLarge(what) => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("The {what} is larger than the server accepts."),
            ),
            UsernameTaken => ApiError::new(
                StatusCode::CONFLICT,
                "username_taken",
                "This username is taken. Please choose another.",
            ),
            UserIdTaken => ApiError::new(
                StatusCode::CONFLICT,
                "user_id_taken",
                "Please try registering again.",
            ),
            InvalidCredentials => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "Wrong username or password.",
            ),
            AccountDisabled => ApiError::account_disabled(),
            Unauthenticated => ApiError::unauthenticated(),
            NotFound => ApiError::not_found(),
            RateLimited(after) => ApiError {
                retry_after: Some(after.0),
                ..ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    format!("Too many attempts. Try again in {}.", wait_words(after.0)),
                )
            },
            Busy(after) => ApiError {
                retry_after: Some(after.0),
                ..ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "busy",
                    format!(
                        "The server is busy checking other sign-ins. Try again in {}.",
                        wait_words(after.0)
                    ),
                )
            },
            SignUp(refusal) => sign_up_error(refusal),
            OverLimit(limit) => limit_error(limit),
            // Nothing was stored; the operator has to make room. Said plainly, and
            // logged, since only the operator can act on it.
            Store(StoreError::Full) => {
                tracing::error!("the database's storage is full: writes are refused");
                ApiError {
                    retry_after: Some(STORAGE_FULL_RETRY_SECS),
                    ..ApiError::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "storage_full",
                        "The server is out of storage space, so nothing was saved. Please try again later.",
                    )
                }
            }
            Store(e) => ApiError::internal(e),
            Internal(e) => ApiError::internal(e),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match r.status() {
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::from_status(StatusCode::PAYLOAD_TOO_LARGE),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                ApiError::from_status(StatusCode::UNSUPPORTED_MEDIA_TYPE)
            }
            _ => ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", json_problem(&r)),
        }
    }
}

/// What the operator's sign-up settings refuse, in words.
fn sign_up_error(refusal: SignUpRefusal) -> ApiError {
    let (code, message) = match refusal {
        SignUpRefusal::Closed => ("registration_closed", "Sign-up is closed on this server."),
        SignUpRefusal::InviteRequired => (
            "invite_required",
            "Sign-up is by invitation on this server: open the invite link you were given.",
        ),
        SignUpRefusal::InvitesByOperator => (
            "invites_by_operator",
            "On this server only the operator makes invites.",
        ),
    };
    ApiError::new(StatusCode::FORBIDDEN, code, message)
}

/// Each operator limit's status, code and words, naming the value.
fn limit_error(limit: Limit) -> ApiError {
    let busy = |code, message: String| ApiError {
        retry_after: Some(LIMIT_RETRY_SECS),
        ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, code, message)
    };
    match limit {
        Limit::AttachmentSize(max) => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("An attachment may be at most {} (after encryption).", human_size(max)),
        ),
        Limit::Quota(quota) => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "quota_exceeded",
            format!(
                "Your attachments may take at most {} on the server at once; older ones make room as they expire.",
                human_size(quota)
            ),
        ),
        Limit::UploadsAtOnce(n) => busy(
            "too_many_uploads",
            format!("At most {n} uploads may be under way at once; wait for one to finish."),
        ),
        Limit::UploadsPerHour(n, after) => ApiError {
            retry_after: Some(after),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!("At most {n} uploads an hour; try again in {}.", wait_words(after)),
            )
        },
        Limit::SocketsPerAccount(n) => busy(
            "too_many_sockets",
            format!("At most {n} connections per account may be open at once; close a tab or device."),
        ),
        Limit::DownloadsPerAddress(n) => busy(
            "too_many_downloads",
            format!("At most {n} downloads from one address may be under way at once; wait for one to finish."),
        ),
        Limit::QuestionsAtOnce(n) => busy(
            "too_many_questions",
            format!("At most {n} questions to the assistant may be under way at once; wait for an answer or stop one."),
        ),
        Limit::LiveInvites(n) => ApiError::new(
            StatusCode::CONFLICT,
            "too_many_invites",
            format!("You may hold at most {n} unused invites at once; revoke one, or wait for one to be used or expire."),
        ),
        Limit::SocketsPerAddress(n) => busy(
            "too_many_sockets",
            format!("At most {n} connections from one address may be open at once."),
        ),
    }
}

/// When a client may try again after a limit on things under way at once.
const LIMIT_RETRY_SECS: u64 = 5;

/// "10 MiB", "64 KiB", "1 GiB", "100 bytes".
pub fn human_size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    match bytes {
        b if b >= KIB * KIB * KIB && b % (KIB * KIB * KIB) == 0 => {
            format!("{} GiB", b / (KIB * KIB * KIB))
        }
        b if b >= KIB * KIB && b % (KIB * KIB) == 0 => format!("{} MiB", b / (KIB * KIB)),
        b if b >= KIB => format!("{} KiB", b / KIB),
        b => format!("{b} bytes"),
    }
}

/// "45 seconds", "about 15 minutes", "about 2 hours".
fn wait_words(secs: u64) -> String {
    match secs {
        0..=1 => "a second".into(),
        2..=119 => format!("{secs} seconds"),
        120..=7199 => format!("about {} minutes", secs.div_ceil(60)),
        _ => format!("about {} hours", secs.div_ceil(3600)),
    }
}

/// Each rule's status and words, once for REST answers and socket nacks alike.
fn rule_error(refusal: Refusal) -> ApiError {
    let (status, message) = match refusal {
        Refusal::NotAdmin => (
            StatusCode::FORBIDDEN,
            "Only the group's admins may do this.",
        ),
        Refusal::NotAContact => (
            StatusCode::BAD_REQUEST,
            "Groups can only hold your own contacts.",
        ),
        Refusal::NotAGroup => (
            StatusCode::BAD_REQUEST,
            "This is a direct chat, not a group.",
        ),
        Refusal::AlreadyMember => (StatusCode::CONFLICT, "This person is already in the group."),
        Refusal::GroupFull => (
            StatusCode::BAD_REQUEST,
            "A group holds at most 1,000 members.",
        ),
        Refusal::EpochConflict => (
            StatusCode::CONFLICT,
            "Someone else changed the chat's keys first; fetch the chat and retry.",
        ),
        Refusal::EpochKeysMismatch => (
            StatusCode::BAD_REQUEST,
            "The new keys must cover exactly the chat's current members.",
        ),
        Refusal::EpochStale => (
            StatusCode::CONFLICT,
            "The chat needs new keys before this message; open the next epoch and resend.",
        ),
        Refusal::InvalidBlob => (
            StatusCode::BAD_REQUEST,
            "An attachment is missing, expired, or not yours to send here.",
        ),
        Refusal::DuplicateId => (StatusCode::CONFLICT, "This message id is already taken."),
        Refusal::InviteInvalid => (
            StatusCode::FORBIDDEN,
            "This invite is no longer valid; ask for a new one.",
        ),
        Refusal::TargetNotFound => (
            StatusCode::NOT_FOUND,
            "The message this reacts to or edits is not in the chat (deleted, expired or never seen).",
        ),
        Refusal::NotYourMessage => (
            StatusCode::FORBIDDEN,
            "Only the sender of a message may edit it.",
        ),
    };
    ApiError::new(status, refusal.code(), message)
}

/// serde's own words name the field and the problem; axum's prefix is dropped.
fn json_problem(r: &JsonRejection) -> String {
    let text = r.body_text();
    let detail = text
        .split_once(": ")
        .map_or(text.as_str(), |(_, rest)| rest);
    format!("The request body is not valid: {detail}.")
}

//! Wire types shared by the MessGo server and its clients.
//!
//! Everything here is plain data with serde: request and response bodies, the error
//! body, ids and the username rules, so that the server and every client agree on
//! them by construction.

mod account;
mod assistant;
mod bytes;
mod chats;
mod connect_key;
mod connections;
mod error;
mod events;
// The checks the fuzz targets and their corpus replay share; not API.
#[doc(hidden)]
pub mod fuzzing;
mod ids;
mod invites;
mod text;
mod uploads;
mod username;

pub use account::*;
pub use assistant::{AskAssistant, AssistantInfo, Turn};
pub use bytes::{Bytes, BASE64URL_PATTERN};
pub use chats::*;
pub use connect_key::{ConnectKey, ConnectKeyError, CONNECT_KEY_BYTES};
pub use connections::*;
pub use error::{ErrorBody, ErrorDetail};
pub use events::{ClientFrame, ServerEvent};
pub use ids::{BlobId, ChatId, InviteId, MessageId, RequestId, SessionId, UserId};
pub use invites::*;
pub use text::{is_invisible_format, is_shown_char};
pub use uploads::{NewUpload, UploadStatus, UPLOAD_OFFSET_HEADER};
pub use username::{Username, UsernameError, USERNAME_MAX, USERNAME_MIN};

/// Header that every state-changing request must carry (CSRF defence: a cross-site
/// form cannot set it, and a cross-site script cannot without a CORS preflight).
pub const CSRF_HEADER: &str = "x-messgo";
/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "messgo_session";

//! The JSON bodies [`super::json_bodies`] picks from. A stranger reaches the request
//! bodies through the API and the socket; a malicious or broken server reaches a
//! client through the answers. The order is the corpus's: the first byte of each
//! `fuzz/corpus/json_bodies` file indexes this list, so add new types at the end.

use super::{round_trip, Check};
use crate::*;

pub(super) const ALL: [Check; 41] = [
    // Requests: accounts and sessions.
    round_trip::<PreloginRequest>,
    round_trip::<RegisterRequest>,
    round_trip::<LoginRequest>,
    round_trip::<ChangePasswordRequest>,
    round_trip::<DeleteAccountRequest>,
    // Requests: connections, blocks, the profile.
    round_trip::<ConnectionRequestBody>,
    round_trip::<BlockBody>,
    round_trip::<Profile>,
    // Requests: chats, groups, epochs, messages, settings.
    round_trip::<CreateChat>,
    round_trip::<OpenEpoch>,
    round_trip::<MemberBody>,
    round_trip::<MetaBody>,
    round_trip::<Settings>,
    round_trip::<TimerBody>,
    round_trip::<ReadBody>,
    round_trip::<SendMessage>,
    round_trip::<ResumePoints>,
    round_trip::<AskAssistant>,
    round_trip::<ClientFrame>,
    // Answers a client reads.
    round_trip::<ServerEvent>,
    round_trip::<ErrorBody>,
    round_trip::<HealthResponse>,
    round_trip::<ConfigResponse>,
    round_trip::<PreloginResponse>,
    round_trip::<Me>,
    round_trip::<SessionList>,
    round_trip::<ConnectKeyResponse>,
    round_trip::<RequestSent>,
    round_trip::<RequestsResponse>,
    round_trip::<ContactsResponse>,
    round_trip::<BlocksResponse>,
    round_trip::<ChatsResponse>,
    round_trip::<MessagesResponse>,
    round_trip::<EpochOpened>,
    round_trip::<Vec<EpochKey>>,
    round_trip::<BlobUploaded>,
    round_trip::<AssistantInfo>,
    round_trip::<Ack>,
    round_trip::<Sealed>,
    round_trip::<SystemEvent>,
    round_trip::<Username>,
];

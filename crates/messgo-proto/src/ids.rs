use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn random() -> Self {
                $name(Uuid::new_v4())
            }

            /// The 16 raw bytes, as bound into cryptographic associated data.
            pub fn as_bytes(&self) -> &[u8; 16] {
                self.0.as_bytes()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map($name)
            }
        }
    };
}

uuid_id!(
    /// A user's random id (UUID v4).
    UserId
);
uuid_id!(
    /// A login session's id (not its token: the token never leaves the cookie).
    SessionId
);
uuid_id!(
    /// A chat's random id.
    ChatId
);
uuid_id!(
    /// A connection request's random id.
    RequestId
);
uuid_id!(
    /// An invite's random id (not its code: the code is shown once, to its maker).
    InviteId
);
uuid_id!(
    /// An encrypted attachment's random id.
    BlobId
);
uuid_id!(
    /// A message's id, chosen by its sender so resends are idempotent.
    MessageId
);

impl MessageId {
    /// A new id for a message about to be sent: UUIDv7, 48 bits of the time in
    /// milliseconds then 74 random bits. Still unguessable, and ids minted in time
    /// order land at the right edge of the server's id index instead of on a page of
    /// their own.
    pub fn new_v7() -> Self {
        MessageId(Uuid::now_v7())
    }
}

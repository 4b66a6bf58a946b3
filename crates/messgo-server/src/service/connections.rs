//! Consent: connection requests, contacts and blocks. Nobody can learn whether a
//! username or connect key exists: sending a request does the same work and gives the
//! same answer whatever the target is, and a non-contact looks like nobody at all.

use std::sync::Arc;

use messgo_proto::{
    BlockedUser, ConnectKey, ConnectKeyResponse, ConnectionRequestBody, Contact, IncomingRequest,
    OutgoingRequest, Profile, RequestId, RequestTarget, Requester, RequestsResponse, ServerEvent,
    UserId, Username, AVATAR_MAX_BYTES, BIO_MAX, DISPLAY_NAME_MAX,
};
use uuid::Uuid;

use super::{new_connect_key, AuthContext, ServiceError, ServiceResult};
use crate::bus::{notify, Bus};
use crate::clock::Clock;
use crate::config::Config;
use crate::ratelimit::RetryAfter;
use crate::store::ops::{target_from_parts, ContactRow, NewRequest, SendOutcome};
use crate::store::{Store, StoreError};

const HOUR_MS: i64 = 3_600_000;
/// Requests live as long as any conversation data may: 72 hours at most, less if the
/// server's retention is shorter.
pub const REQUEST_TTL_MS: i64 = 72 * HOUR_MS;

pub struct Connections {
    store: Arc<dyn Store>,
    bus: Arc<dyn Bus>,
    clock: Arc<dyn Clock>,
    limit_per_hour: u32,
    ttl_ms: i64,
}

fn not_found(e: StoreError) -> ServiceError {
    match e {
        StoreError::NotFound => ServiceError::NotFound,
        e => e.into(),
    }
}

fn contact_of(r: ContactRow) -> Contact {
    Contact {
        user_id: UserId(r.user_id),
        username: r.username,
        display_name: r.display_name,
        bio: r.bio,
        avatar_updated_at: r.avatar_updated_at,
        x25519_public: r.x25519_public.into(),
        ed25519_public: r.ed25519_public.into(),
        connected_at: r.connected_at,
        chat_id: messgo_proto::ChatId(r.chat_id),
    }
}

impl Connections {
    pub fn new(
        store: Arc<dyn Store>,
        bus: Arc<dyn Bus>,
        clock: Arc<dyn Clock>,
        config: &Config,
    ) -> Self {
        Connections {
            store,
            bus,
            clock,
            limit_per_hour: config.request_limit_per_hour,
            ttl_ms: (config.retention.as_millis() as i64).min(REQUEST_TTL_MS),
        }
    }

    pub async fn connect_key(&self, who: AuthContext) -> ServiceResult<ConnectKeyResponse> {
        let user = self
            .store
            .user_by_id(who.user_id)
            .await
            .map_err(|_| ServiceError::Unauthenticated)?;
        let key = match user.connect_key {
            Some(k) => k,
            None => return self.rotate_key(who).await,
        };
        Ok(key_response(&key))
    }

    /// A fresh key; the old one stops resolving in the same write.
    pub async fn rotate_key(&self, who: AuthContext) -> ServiceResult<ConnectKeyResponse> {
        let key = new_connect_key();
        self.store.set_connect_key(who.user_id, &key).await?;
        Ok(key_response(&key))
    }

    pub async fn send(&self, who: AuthContext, body: ConnectionRequestBody) -> ServiceResult<()> {
        let target = match (body.username, body.connect_key) {
            (Some(u), None) => RequestTarget::Username(Username::parse(&u)?.to_string()),
            (None, Some(k)) => RequestTarget::ConnectKey(
                ConnectKey::parse(&k)
                    .map_err(|_| ServiceError::InvalidConnectKey)?
                    .as_str()
                    .to_owned(),
            ),
            _ => {
                return Err(ServiceError::InvalidField {
                    field: "username",
                    problem: "or 'connect_key' must be given, and not both",
                })
            }
        };
        let now = self.clock.now_ms();
        let me = self
            .store
            .user_by_id(who.user_id)
            .await
            .map_err(|_| ServiceError::Unauthenticated)?;
        let request = NewRequest {
            id: RequestId::random(),
            from: who.user_id,
            target: target.clone(),
            now,
            expires_at: now + self.ttl_ms,
            window_start: now - HOUR_MS,
            limit: self.limit_per_hour,
        };
        match self.store.send_request(&request).await? {
            SendOutcome::RateLimited { oldest_attempt } => {
                let wait_ms = (oldest_attempt + HOUR_MS - now).max(1000);
                Err(ServiceError::RateLimited(RetryAfter(
                    ((wait_ms + 999) / 1000) as u64,
                )))
            }
            SendOutcome::Duplicate => Ok(()),
            SendOutcome::Sent { delivered_to } => {
                let outgoing = OutgoingRequest {
                    id: request.id,
                    target,
                    created_at: now,
                    expires_at: request.expires_at,
                };
                notify(
                    &*self.bus,
                    [who.user_id],
                    &ServerEvent::OutgoingAdded { request: outgoing },
                );
                if let Some(to) = delivered_to {
                    let incoming = IncomingRequest {
                        id: request.id,
                        from: Requester {
                            user_id: me.id,
                            username: me.username,
                            ed25519_public: me.ed25519_public.into(),
                        },
                        created_at: now,
                        expires_at: request.expires_at,
                    };
                    notify(
                        &*self.bus,
                        [to],
                        &ServerEvent::RequestReceived { request: incoming },
                    );
                }
                Ok(())
            }
        }
    }

    pub async fn requests(&self, who: AuthContext) -> ServiceResult<RequestsResponse> {
        let now = self.clock.now_ms();
        let incoming = self.store.incoming_requests(who.user_id, now).await?;
        let outgoing = self.store.outgoing_requests(who.user_id, now).await?;
        Ok(RequestsResponse {
            incoming: incoming
                .into_iter()
                .map(|r| IncomingRequest {
                    id: RequestId(r.id),
                    from: Requester {
                        user_id: UserId(r.from_user),
                        username: r.username,
                        ed25519_public: r.ed25519_public.into(),
                    },
                    created_at: r.created_at,
                    expires_at: r.expires_at,
                })
                .collect(),
            outgoing: outgoing
                .into_iter()
                .map(|r| {
                    Ok(OutgoingRequest {
                        id: RequestId(r.id),
                        target: target_from_parts(&r.target_kind, r.target)?,
                        created_at: r.created_at,
                        expires_at: r.expires_at,
                    })
                })
                .collect::<Result<_, StoreError>>()?,
        })
    }

    /// Connects the pair and creates their direct chat; both see each other at once.
    pub async fn accept(&self, who: AuthContext, id: RequestId) -> ServiceResult<Contact> {
        let now = self.clock.now_ms();
        let done = self
            .store
            .accept_request(id, who.user_id, Uuid::new_v4(), now)
            .await
            .map_err(not_found)?;
        let requester = done.requester;
        let for_me = self.contact(who, requester).await?;
        let for_them = self.view_of(requester, who.user_id).await?;
        notify(
            &*self.bus,
            [who.user_id],
            &ServerEvent::RequestRemoved { id },
        );
        notify(
            &*self.bus,
            [requester],
            &ServerEvent::OutgoingRemoved { id },
        );
        for reverse in done.removed_reverse {
            notify(
                &*self.bus,
                [who.user_id],
                &ServerEvent::OutgoingRemoved { id: reverse },
            );
            notify(
                &*self.bus,
                [requester],
                &ServerEvent::RequestRemoved { id: reverse },
            );
        }
        notify(
            &*self.bus,
            [who.user_id],
            &ServerEvent::ContactAdded {
                contact: for_me.clone(),
            },
        );
        notify(
            &*self.bus,
            [requester],
            &ServerEvent::ContactAdded { contact: for_them },
        );
        Ok(for_me)
    }

    /// The requester is told nothing; the request stays in their list until it expires.
    pub async fn decline(&self, who: AuthContext, id: RequestId) -> ServiceResult<()> {
        let now = self.clock.now_ms();
        self.store
            .decline_request(id, who.user_id, now)
            .await
            .map_err(not_found)?;
        notify(
            &*self.bus,
            [who.user_id],
            &ServerEvent::RequestRemoved { id },
        );
        Ok(())
    }

    pub async fn block_requester(&self, who: AuthContext, id: RequestId) -> ServiceResult<()> {
        let now = self.clock.now_ms();
        let from = self
            .store
            .incoming_sender(id, who.user_id, now)
            .await
            .map_err(not_found)?;
        self.block(who, from).await
    }

    pub async fn cancel(&self, who: AuthContext, id: RequestId) -> ServiceResult<()> {
        let to = self
            .store
            .cancel_request(id, who.user_id)
            .await
            .map_err(not_found)?;
        notify(
            &*self.bus,
            [who.user_id],
            &ServerEvent::OutgoingRemoved { id },
        );
        if let Some(to) = to {
            notify(&*self.bus, [to], &ServerEvent::RequestRemoved { id });
        }
        Ok(())
    }

    pub async fn contacts(&self, who: AuthContext) -> ServiceResult<Vec<Contact>> {
        let rows = self.store.contacts(who.user_id, None).await?;
        Ok(rows.into_iter().map(contact_of).collect())
    }

    /// A contact; anyone else, existing or not, is the same NotFound.
    pub async fn contact(&self, who: AuthContext, other: UserId) -> ServiceResult<Contact> {
        self.view_of(who.user_id, other).await
    }

    async fn view_of(&self, viewer: UserId, other: UserId) -> ServiceResult<Contact> {
        let mut rows = self.store.contacts(viewer, Some(other)).await?;
        rows.pop().map(contact_of).ok_or(ServiceError::NotFound)
    }

    pub async fn remove(&self, who: AuthContext, other: UserId) -> ServiceResult<()> {
        let chat = self
            .store
            .disconnect(who.user_id, other)
            .await
            .map_err(not_found)?;
        let chat_id = messgo_proto::ChatId(chat);
        notify(
            &*self.bus,
            [who.user_id, other],
            &ServerEvent::ChatRemoved { chat_id },
        );
        notify(
            &*self.bus,
            [who.user_id],
            &ServerEvent::ContactRemoved { user_id: other },
        );
        notify(
            &*self.bus,
            [other],
            &ServerEvent::ContactRemoved {
                user_id: who.user_id,
            },
        );
        Ok(())
    }

    pub async fn block(&self, who: AuthContext, other: UserId) -> ServiceResult<()> {
        let now = self.clock.now_ms();
        let done = self
            .store
            .block(who.user_id, other, now)
            .await
            .map_err(not_found)?;
        if let Some(chat) = done.removed_chat {
            let chat_id = messgo_proto::ChatId(chat);
            notify(
                &*self.bus,
                [who.user_id, other],
                &ServerEvent::ChatRemoved { chat_id },
            );
        }
        if done.was_connected {
            notify(
                &*self.bus,
                [who.user_id],
                &ServerEvent::ContactRemoved { user_id: other },
            );
            notify(
                &*self.bus,
                [other],
                &ServerEvent::ContactRemoved {
                    user_id: who.user_id,
                },
            );
        }
        for id in done.hidden {
            notify(
                &*self.bus,
                [who.user_id],
                &ServerEvent::RequestRemoved { id },
            );
        }
        for id in done.deleted {
            notify(
                &*self.bus,
                [who.user_id],
                &ServerEvent::OutgoingRemoved { id },
            );
            notify(&*self.bus, [other], &ServerEvent::RequestRemoved { id });
        }
        notify(&*self.bus, [who.user_id], &ServerEvent::BlocksChanged);
        Ok(())
    }

    pub async fn unblock(&self, who: AuthContext, other: UserId) -> ServiceResult<()> {
        self.store
            .unblock(who.user_id, other)
            .await
            .map_err(not_found)?;
        notify(&*self.bus, [who.user_id], &ServerEvent::BlocksChanged);
        Ok(())
    }

    pub async fn blocks(&self, who: AuthContext) -> ServiceResult<Vec<BlockedUser>> {
        Ok(self
            .store
            .blocks(who.user_id)
            .await?
            .into_iter()
            .map(|b| BlockedUser {
                user_id: UserId(b.user_id),
                username: b.username,
                blocked_at: b.blocked_at,
            })
            .collect())
    }

    /// Contacts see the new profile at once; nobody else can see it at all.
    pub async fn set_profile(&self, who: AuthContext, profile: Profile) -> ServiceResult<Profile> {
        let clean = |v: Option<String>| v.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
        let (name, bio) = (clean(profile.display_name), clean(profile.bio));
        if let Some(n) = &name {
            if n.chars().count() > DISPLAY_NAME_MAX || n.chars().any(char::is_control) {
                return Err(ServiceError::InvalidField {
                    field: "display_name",
                    problem: "must be at most 64 characters, without control characters",
                });
            }
        }
        if let Some(b) = &bio {
            if b.chars().count() > BIO_MAX || b.chars().any(|c| c.is_control() && c != '\n') {
                return Err(ServiceError::InvalidField {
                    field: "bio",
                    problem: "must be at most 160 characters",
                });
            }
        }
        self.store
            .set_profile(who.user_id, name.clone(), bio.clone())
            .await?;
        self.profile_changed(who).await?;
        Ok(Profile {
            display_name: name,
            bio,
        })
    }

    /// A JPEG, PNG or WebP of at most 256 KiB (the client crops and resizes first).
    pub async fn set_avatar(&self, who: AuthContext, image: Option<Vec<u8>>) -> ServiceResult<()> {
        let image = match image {
            Some(bytes) => {
                if bytes.len() > AVATAR_MAX_BYTES {
                    return Err(ServiceError::TooLarge("avatar"));
                }
                let kind = image_type(&bytes).ok_or(ServiceError::InvalidField {
                    field: "avatar",
                    problem: "must be a JPEG, PNG or WebP image",
                })?;
                Some((bytes, kind.to_owned()))
            }
            None => None,
        };
        self.store
            .set_avatar(who.user_id, image, self.clock.now_ms())
            .await?;
        self.profile_changed(who).await
    }

    pub async fn avatar(
        &self,
        who: AuthContext,
        user: UserId,
    ) -> ServiceResult<(Vec<u8>, String, i64)> {
        self.store
            .avatar_for(who.user_id, user)
            .await
            .map_err(not_found)
    }

    async fn profile_changed(&self, who: AuthContext) -> ServiceResult<()> {
        let me = self.store.user_by_id(who.user_id).await?;
        let event = ServerEvent::ProfileUpdated {
            display_name: me.display_name,
            bio: me.bio,
            avatar_updated_at: me.avatar_updated_at,
        };
        notify(&*self.bus, [who.user_id], &event);
        for contact in self.store.contacts(who.user_id, None).await? {
            let viewer = UserId(contact.user_id);
            if let Ok(me_for_them) = self.view_of(viewer, who.user_id).await {
                notify(
                    &*self.bus,
                    [viewer],
                    &ServerEvent::ContactUpdated {
                        contact: me_for_them,
                    },
                );
            }
        }
        Ok(())
    }

    pub async fn sweep(&self) -> ServiceResult<u64> {
        let now = self.clock.now_ms();
        Ok(self.store.sweep_requests(now, now - HOUR_MS).await?)
    }
}

fn key_response(key: &str) -> ConnectKeyResponse {
    let display = ConnectKey::parse(key)
        .map(|k| k.display())
        .unwrap_or_else(|_| key.to_owned());
    ConnectKeyResponse {
        connect_key: key.to_owned(),
        display,
    }
}

/// Recognises the image formats avatars may have, by their first bytes.
fn image_type(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [0xff, 0xd8, 0xff, ..] => Some("image/jpeg"),
        [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, ..] => Some("image/png"),
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Some("image/webp"),
        _ => None,
    }
}

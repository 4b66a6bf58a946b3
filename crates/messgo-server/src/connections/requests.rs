//! Connection requests: sending (the same work and answer whatever the target is),
//! listing, accepting, declining, cancelling.

use messgo_proto::{
    ConnectKey, ConnectionRequestBody, Contact, IncomingRequest, OutgoingRequest, RequestId,
    RequestTarget, Requester, RequestsResponse, ServerEvent, UserId, Username,
};
use uuid::Uuid;

use super::sql::{self, target_from_parts, NewRequest, SendOutcome};
use super::{Connections, HOUR_MS};
use crate::accounts::sql as accounts_sql;
use crate::bus::notify;
use crate::ratelimit::RetryAfter;
use crate::service::{rule, ServiceError, ServiceResult};
use crate::sessions::AuthContext;
use crate::store::StoreError;

impl Connections {
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
        let me = db_run!(self.db, read, accounts_sql::user_by_id(who.user_id))
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
        let outcome = {
            let request = request.clone();
            db_run!(self.db, write, sql::send_request(&request))?
        };
        match outcome {
            SendOutcome::RateLimited { oldest_attempt } => {
                self.refused.inc();
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
        let incoming = db_run!(self.db, read, sql::incoming(who.user_id, now))?;
        let outgoing = db_run!(self.db, read, sql::outgoing(who.user_id, now))?;
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
        let done = db_run!(
            self.db,
            write,
            sql::accept(id, who.user_id, Uuid::new_v4(), now)
        )
        .map_err(rule)?;
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
        db_run!(self.db, write, sql::decline(id, who.user_id, now)).map_err(rule)?;
        notify(
            &*self.bus,
            [who.user_id],
            &ServerEvent::RequestRemoved { id },
        );
        Ok(())
    }

    pub async fn block_requester(&self, who: AuthContext, id: RequestId) -> ServiceResult<()> {
        let now = self.clock.now_ms();
        let from =
            db_run!(self.db, read, sql::incoming_sender(id, who.user_id, now)).map_err(rule)?;
        self.block(who, from).await
    }

    pub async fn cancel(&self, who: AuthContext, id: RequestId) -> ServiceResult<()> {
        let to = db_run!(self.db, write, sql::cancel(id, who.user_id)).map_err(rule)?;
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
}

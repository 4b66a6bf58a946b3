//! Invite links: a user (when the operator allows) or the operator makes an invite
//! for 1 to 100 sign-ups that expires; the code is random (256 bits), shown once
//! and kept only as its SHA-256, like a session token. Signing up with a user's
//! invite makes the new account and its inviter contacts in the same transaction
//! (`sql::register_invited`, called by `accounts/`). A wrong, used-up, expired or
//! revoked code is one answer, `invite_invalid`; nothing in it is about accounts.

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use messgo_proto::{
    CreateInvite, CreatedInvite, InviteId, InviteInfo, ServerEvent, UserId, INVITE_MAX_USES,
    LIVE_INVITES_PER_USER, OPERATOR_INVITE_DEFAULT_SECS, OPERATOR_INVITE_MAX_SECS,
    USER_INVITE_DEFAULT_SECS, USER_INVITE_MAX_SECS,
};
use rand::RngCore;
use sha2::{Digest, Sha256};

pub mod sql;

use crate::bus::{notify, Bus};
use crate::clock::Clock;
use crate::config::{Config, InvitesBy};
use crate::connections::contact_view;
use crate::refusal::Refusal;
use crate::service::{Limit, ServiceError, ServiceResult, SignUpRefusal};
use crate::sessions::AuthContext;
use crate::store::{Db, StoreError};
use sql::{InviteRow, NewInvite};

const CODE_BYTES: usize = 32;
/// A code as it is written: 32 bytes in unpadded base64url.
const CODE_CHARS: usize = 43;

pub struct Invites {
    db: Db,
    clock: Arc<dyn Clock>,
    by: InvitesBy,
}

/// Whose invite: a user's, or the operator's (`messgo admin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Maker {
    User(UserId),
    Operator,
}

impl Maker {
    fn inviter(self) -> Option<UserId> {
        match self {
            Maker::User(u) => Some(u),
            Maker::Operator => None,
        }
    }
}

impl Invites {
    pub fn new(db: Db, clock: Arc<dyn Clock>, config: &Config) -> Self {
        Invites {
            db,
            clock,
            by: config.invites_by,
        }
    }

    /// Whether signed-in users may make invites on this server.
    pub fn users_may_invite(&self) -> bool {
        self.by == InvitesBy::Users
    }

    /// A user's invite: `uses` 1 to 100 (1 if unsaid), lasting `expires_in_secs`, at
    /// most 72 hours (24 if unsaid); at most [`LIVE_INVITES_PER_USER`] live at once.
    pub async fn create(
        &self,
        who: AuthContext,
        body: CreateInvite,
    ) -> ServiceResult<CreatedInvite> {
        if !self.users_may_invite() {
            return Err(ServiceError::SignUp(SignUpRefusal::InvitesByOperator));
        }
        let secs = body.expires_in_secs.unwrap_or(USER_INVITE_DEFAULT_SECS);
        if !(60..=USER_INVITE_MAX_SECS).contains(&secs) {
            return Err(field(
                "expires_in_secs",
                "must be between 60 and 259200 (72 hours)",
            ));
        }
        self.make(Maker::User(who.user_id), body.uses, secs).await
    }

    /// The operator's invite (`messgo admin invites create`): it connects nobody, and
    /// may last up to 30 days (7 if unsaid). Not limited in number: the operator is
    /// the one who limits.
    pub async fn create_by_operator(
        &self,
        uses: Option<u32>,
        expires_in_secs: Option<i64>,
    ) -> ServiceResult<CreatedInvite> {
        let secs = expires_in_secs.unwrap_or(OPERATOR_INVITE_DEFAULT_SECS);
        if !(60..=OPERATOR_INVITE_MAX_SECS).contains(&secs) {
            return Err(field(
                "expires_in_secs",
                "must be between 60 and 2592000 (30 days)",
            ));
        }
        self.make(Maker::Operator, uses, secs).await
    }

    async fn make(
        &self,
        maker: Maker,
        uses: Option<u32>,
        secs: i64,
    ) -> ServiceResult<CreatedInvite> {
        let uses = uses.unwrap_or(1);
        if !(1..=INVITE_MAX_USES).contains(&uses) {
            return Err(field("uses", "must be between 1 and 100"));
        }
        let mut raw = [0u8; CODE_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut raw);
        let code = URL_SAFE_NO_PAD.encode(raw);
        let now = self.clock.now_ms();
        let new = NewInvite {
            id: InviteId::random(),
            code_hash: code_hash(&code),
            inviter: maker.inviter(),
            uses,
            now,
            expires_at: now + secs * 1000,
            live_limit: LIVE_INVITES_PER_USER,
        };
        let stored = {
            let new = new.clone();
            db_run!(self.db, write, sql::create_invite(&new))
        };
        match stored {
            Ok(true) => {}
            Ok(false) => {
                return Err(ServiceError::OverLimit(Limit::LiveInvites(
                    LIVE_INVITES_PER_USER,
                )))
            }
            // The session outlived its account.
            Err(StoreError::NotFound) => return Err(ServiceError::Unauthenticated),
            Err(e) => return Err(e.into()),
        }
        let invite = InviteInfo {
            id: new.id,
            uses,
            uses_left: uses,
            created_at: now,
            expires_at: new.expires_at,
        };
        Ok(CreatedInvite { invite, code })
    }

    /// The caller's live invites, newest first; never their codes.
    pub async fn list(&self, who: AuthContext) -> ServiceResult<Vec<InviteInfo>> {
        self.list_of(Maker::User(who.user_id)).await
    }

    /// The operator's live invites.
    pub async fn list_by_operator(&self) -> ServiceResult<Vec<InviteInfo>> {
        self.list_of(Maker::Operator).await
    }

    async fn list_of(&self, maker: Maker) -> ServiceResult<Vec<InviteInfo>> {
        let now = self.clock.now_ms();
        let rows = db_run!(self.db, read, sql::invites_of(maker.inviter(), now))?;
        rows.into_iter().map(info_of).collect()
    }

    /// Revokes one of the caller's invites at once; anyone else's is NotFound.
    pub async fn revoke(&self, who: AuthContext, id: InviteId) -> ServiceResult<()> {
        self.revoke_of(Maker::User(who.user_id), id).await
    }

    /// Revokes one of the operator's invites.
    pub async fn revoke_by_operator(&self, id: InviteId) -> ServiceResult<()> {
        self.revoke_of(Maker::Operator, id).await
    }

    async fn revoke_of(&self, maker: Maker, id: InviteId) -> ServiceResult<()> {
        match db_run!(self.db, write, sql::revoke_invite(id, maker.inviter())) {
            Ok(()) => Ok(()),
            Err(StoreError::NotFound) => Err(ServiceError::NotFound),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes expired invites.
    pub async fn sweep(&self) -> ServiceResult<u64> {
        let now = self.clock.now_ms();
        Ok(db_run!(self.db, write, sql::sweep_invites(now))?)
    }
}

/// After a sign-up with a user's invite: the inviter's open sessions see their new
/// contact at once, as after an accepted request (the new account has no session
/// yet; its client reads its contacts when it starts).
pub async fn announce(
    db: &Db,
    bus: &dyn Bus,
    inviter: UserId,
    invited: UserId,
) -> ServiceResult<()> {
    let contact = contact_view(db, inviter, invited).await?;
    notify(bus, [inviter], &ServerEvent::ContactAdded { contact });
    Ok(())
}

/// The stored form of a code; a code of the wrong shape cannot be anyone's invite,
/// and gets the same answer as one that is no longer valid.
pub fn code_hash_checked(code: &str) -> ServiceResult<Vec<u8>> {
    if code.len() != CODE_CHARS || URL_SAFE_NO_PAD.decode(code).is_err() {
        return Err(ServiceError::Rule(Refusal::InviteInvalid));
    }
    Ok(code_hash(code))
}

fn code_hash(code: &str) -> Vec<u8> {
    Sha256::digest(code.as_bytes()).to_vec()
}

fn info_of(r: InviteRow) -> ServiceResult<InviteInfo> {
    let count =
        |n: i64| u32::try_from(n).map_err(|_| StoreError::Corrupt(format!("invite uses {n}")));
    Ok(InviteInfo {
        id: InviteId(r.id),
        uses: count(r.uses)?,
        uses_left: count(r.uses_left)?,
        created_at: r.created_at,
        expires_at: r.expires_at,
    })
}

fn field(field: &'static str, problem: &'static str) -> ServiceError {
    ServiceError::InvalidField { field, problem }
}

#[cfg(test)]
mod tests;

//! Registration: who may sign up (`--registration`), the fields checked, and the
//! account created, with an invite spent in the same transaction when one is given.

use messgo_proto::{sizes, Registration, Username};
use uuid::Uuid;

use super::{check_ed25519, check_kdf, check_len, field, new_connect_key, sql};
use super::{Accounts, NewAccount, UserRecord};
use crate::invites::{self, sql as invites_sql};
use crate::refusal::Refusal;
use crate::service::{ServiceError, ServiceResult, SignUpRefusal};
use crate::store::{StoreError, Unique};

impl Accounts {
    /// Creates the account. The server's mode is checked first; then an invite, if
    /// given, before anything about the username is looked at, so a bad invite
    /// learns nothing about accounts. With a user's invite the new account and its
    /// inviter are contacts when this returns, and the inviter's sessions are told.
    pub async fn register(&self, new: NewAccount, ip: &str) -> ServiceResult<UserRecord> {
        match (self.registration, &new.invite) {
            (Registration::Closed, _) => return Err(ServiceError::SignUp(SignUpRefusal::Closed)),
            (Registration::Invite, None) => {
                return Err(ServiceError::SignUp(SignUpRefusal::InviteRequired))
            }
            (Registration::Invite | Registration::Open, _) => {}
        }
        let username = Username::parse(&new.username)?;
        if new.user_id.0.get_version_num() != 4 {
            return Err(field("user_id", "must be a random (version 4) UUID"));
        }
        check_len("auth_key", &new.auth_key, sizes::AUTH_KEY)?;
        check_kdf(&new.kdf)?;
        check_len("key_bundle", &new.key_bundle, sizes::KEY_BUNDLE)?;
        check_len("x25519_public", &new.x25519_public, sizes::PUBLIC_KEY)?;
        check_ed25519(&new.ed25519_public)?;
        self.register_by_ip
            .hit(ip)
            .map_err(ServiceError::RateLimited)?;
        let invite = match &new.invite {
            Some(code) => Some(self.live_invite(code).await?),
            None => None,
        };

        let user = UserRecord {
            id: new.user_id,
            username: username.to_string(),
            auth_hash: self.hasher.hash(new.auth_key).await?,
            kdf: new.kdf,
            key_bundle: new.key_bundle,
            x25519_public: new.x25519_public,
            ed25519_public: new.ed25519_public,
            created_at: self.clock.now_ms(),
            connect_key: Some(new_connect_key()),
            display_name: None,
            bio: None,
            avatar_updated_at: None,
            disabled_at: None,
        };
        let created = {
            let user = user.clone();
            match invite {
                Some(hash) => db_run!(
                    self.db,
                    write,
                    invites_sql::register_invited(&user, &hash, Uuid::new_v4())
                )
                .map(|done| done.inviter),
                None => db_run!(self.db, write, sql::create_user(&user)).map(|()| None),
            }
        };
        match created {
            Ok(Some(inviter)) => {
                // The connection is made; telling the inviter's open sessions is a
                // courtesy (they read it at their next start if this fails).
                if let Err(e) = invites::announce(&self.db, &*self.bus, inviter, user.id).await {
                    tracing::warn!(error = %e, "telling an inviter of their new contact failed");
                }
                Ok(user)
            }
            Ok(None) => Ok(user),
            Err(StoreError::Conflict(Unique::Username)) => Err(ServiceError::UsernameTaken),
            Err(StoreError::Conflict(_)) => Err(ServiceError::UserIdTaken),
            Err(StoreError::Rejected(refusal)) => Err(ServiceError::Rule(refusal)),
            Err(e) => Err(e.into()),
        }
    }

    /// The stored hash of a live invite's code; anything else is `invite_invalid`.
    /// A look before the costly hashing; `register_invited` checks again as it spends.
    async fn live_invite(&self, code: &str) -> ServiceResult<Vec<u8>> {
        let hash = invites::code_hash_checked(code)?;
        let now = self.clock.now_ms();
        let live = {
            let hash = hash.clone();
            db_run!(self.db, read, invites_sql::invite_is_live(&hash, now))?
        };
        if !live {
            return Err(ServiceError::Rule(Refusal::InviteInvalid));
        }
        Ok(hash)
    }
}

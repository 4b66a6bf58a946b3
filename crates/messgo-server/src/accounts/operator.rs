//! What the server's operator may do to an account (`messgo admin`, through
//! `admin/`): find it by name, disable or enable it, delete it. Each runs the same
//! path as the account's own action would (sessions end and sockets close at once;
//! deletion erases), without the password a user would give.

use messgo_proto::{UserId, Username};

use super::{sql, Accounts};
use crate::bus::Ending;
use crate::service::{ServiceError, ServiceResult};
use crate::store::StoreError;

impl Accounts {
    /// The account called `name`, or `NotFound`.
    pub async fn id_of(&self, name: &str) -> ServiceResult<UserId> {
        let username = Username::parse(name).map_err(|_| ServiceError::NotFound)?;
        match db_run!(self.db, read, sql::user_by_username(username.as_str())) {
            Ok(user) => Ok(user.id),
            Err(StoreError::NotFound) => Err(ServiceError::NotFound),
            Err(e) => Err(e.into()),
        }
    }

    /// Disables the account (it cannot sign in; its sessions end in the same write
    /// and its sockets close now) or enables it again. Says whether it changed.
    pub async fn set_disabled(&self, user: UserId, disabled: bool) -> ServiceResult<bool> {
        let at = disabled.then(|| self.clock.now_ms());
        let changed = match db_run!(self.db, write, sql::set_disabled(user, at)) {
            Ok(changed) => changed,
            Err(StoreError::NotFound) => return Err(ServiceError::NotFound),
            Err(e) => return Err(e.into()),
        };
        if disabled {
            self.bus.end_sessions(user, Ending::All);
        }
        Ok(changed)
    }

    /// Deletes the account as its owner's deletion does: what they said goes, their
    /// groups pass to another admin, their direct chats go, their sockets close, and
    /// the erasure routine runs before this returns.
    pub async fn delete_by_operator(&self, user: UserId) -> ServiceResult<()> {
        self.remove(user).await
    }
}

//! The operator's side door: `messgo admin` talks to the running server over a local
//! Unix socket (`socket.rs`, owner-only), in the line protocol of `protocol.rs`, and
//! [`Admin::handle`] answers by calling the same services a user's own action calls:
//! a disable or a revocation ends sessions and closes sockets at once, a deletion
//! runs the account-deletion path with its erasure, and every write goes through the
//! store's one writer. With the server stopped, `messgo admin` opens the database
//! itself and calls the same `handle` (`Server::open_for_admin`).
//!
//! It knows no capability's tables beyond its counts (`sql.rs`), and it answers with
//! usernames, dates and totals only: never a message, a key, a contact or who talks
//! to whom. `backup.rs` is the logical export of what survives a server move.

pub mod backup;
mod backup_sql;
pub mod client;
pub mod protocol;
pub mod socket;
mod sql;

use std::sync::Arc;

use protocol::{AdminError, Answer, Reply, Request, MAX_PAGE};

use crate::service::{ServiceError, Services};

/// Answers admin requests with the server's services.
pub struct Admin {
    services: Arc<Services>,
}

impl Admin {
    pub fn new(services: Arc<Services>) -> Self {
        Admin { services }
    }

    /// One request, one answer. Errors are one line for the operator; a storage
    /// error's details go to the server's log, not the answer.
    pub async fn handle(&self, request: Request) -> Reply {
        match self.answer(request).await {
            Ok(answer) => Reply::Ok(answer),
            Err(e) => Reply::Error(e),
        }
    }

    async fn answer(&self, request: Request) -> Result<Answer, AdminError> {
        let s = &self.services;
        match request {
            Request::UsersCount => {
                let (accounts, disabled) =
                    db_run!(s.db, read, sql::user_counts()).map_err(storage)?;
                Ok(Answer::Count { accounts, disabled })
            }
            Request::UsersList { after, limit } => {
                let limit = i64::from(limit.clamp(1, MAX_PAGE));
                let after = after.unwrap_or_default();
                let users = db_run!(s.db, read, sql::users_page(&after, limit)).map_err(storage)?;
                Ok(Answer::Users { users })
            }
            Request::UsersDisable { username } => self.set_disabled(username, true).await,
            Request::UsersEnable { username } => self.set_disabled(username, false).await,
            Request::UsersDelete { username } => {
                let user = s
                    .accounts
                    .id_of(&username)
                    .await
                    .map_err(|e| fail(e, &username))?;
                s.accounts
                    .delete_by_operator(user)
                    .await
                    .map_err(|e| fail(e, &username))?;
                Ok(Answer::Deleted { username })
            }
            Request::SessionsRevoke { username } => {
                let user = s
                    .accounts
                    .id_of(&username)
                    .await
                    .map_err(|e| fail(e, &username))?;
                let sessions = s
                    .sessions
                    .revoke_all(user)
                    .await
                    .map_err(|e| fail(e, &username))?;
                Ok(Answer::Revoked { username, sessions })
            }
            Request::Stats => {
                let mut stats = db_run!(s.db, read, sql::totals()).map_err(storage)?;
                stats.sockets_open = s.bus.counts().sockets;
                Ok(Answer::Stats(stats))
            }
            Request::InvitesCreate {
                uses,
                expires_in_secs,
            } => {
                let made = s.invites.create_by_operator(uses, expires_in_secs).await;
                Ok(Answer::Invite(made.map_err(invite_fail)?))
            }
            Request::InvitesList => Ok(Answer::Invites {
                invites: s.invites.list_by_operator().await.map_err(invite_fail)?,
            }),
            Request::InvitesRevoke { id } => {
                let no_such = || AdminError::new("no_such_invite", format!("no such invite: {id}"));
                let parsed: messgo_proto::InviteId = id.parse().map_err(|_| no_such())?;
                match s.invites.revoke_by_operator(parsed).await {
                    Err(ServiceError::NotFound) => Err(no_such()),
                    Err(e) => Err(invite_fail(e)),
                    Ok(()) => Ok(Answer::InviteRevoked { id }),
                }
            }
        }
    }

    async fn set_disabled(&self, username: String, disabled: bool) -> Result<Answer, AdminError> {
        let accounts = &self.services.accounts;
        let user = accounts
            .id_of(&username)
            .await
            .map_err(|e| fail(e, &username))?;
        let changed = accounts
            .set_disabled(user, disabled)
            .await
            .map_err(|e| fail(e, &username))?;
        Ok(Answer::Changed { username, changed })
    }
}

/// A service's refusal in the operator's words.
fn fail(e: ServiceError, username: &str) -> AdminError {
    match e {
        ServiceError::NotFound => {
            AdminError::new("no_such_user", format!("no such user: {username}"))
        }
        ServiceError::Store(e) => storage(e),
        other @ (ServiceError::InvalidUsername(_)
        | ServiceError::InvalidField { .. }
        | ServiceError::InvalidConnectKey
        | ServiceError::Rule(_)
        | ServiceError::TooLarge(_)
        | ServiceError::UsernameTaken
        | ServiceError::UserIdTaken
        | ServiceError::InvalidCredentials
        | ServiceError::AccountDisabled
        | ServiceError::SignUp(_)
        | ServiceError::Unauthenticated
        | ServiceError::RateLimited(_)
        | ServiceError::Busy(_)
        | ServiceError::OverLimit(_)
        | ServiceError::Internal(_)) => {
            tracing::warn!(error = %other, "an admin request failed");
            AdminError::new("failed", format!("the server refused: {other}"))
        }
    }
}

/// An invite request's refusal: a bad count or lifetime says which, in words.
fn invite_fail(e: ServiceError) -> AdminError {
    if let ServiceError::InvalidField { .. } = e {
        return AdminError::new("bad_request", e.to_string());
    }
    fail(e, "-")
}

fn storage(e: crate::store::StoreError) -> AdminError {
    tracing::error!(error = %e, "an admin request failed in the database");
    AdminError::new("storage", "the database failed; the server's log says why")
}

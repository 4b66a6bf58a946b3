//! Contacts and blocks: who sees whom, and severing that.

use messgo_proto::{BlockedUser, Contact, ServerEvent, UserId};

use super::contacts_sql;
use super::{contact_of, Connections};
use crate::bus::notify;
use crate::service::{rule, ServiceError, ServiceResult};
use crate::sessions::AuthContext;
use crate::store::Db;

/// What `viewer` sees of `other`: a contact, or NotFound for anyone else, existing
/// or not.
pub(crate) async fn contact_view(db: &Db, viewer: UserId, other: UserId) -> ServiceResult<Contact> {
    let mut rows = db_run!(db, read, contacts_sql::contacts(viewer, Some(other)))?;
    rows.pop().map(contact_of).ok_or(ServiceError::NotFound)
}

impl Connections {
    pub async fn contacts(&self, who: AuthContext) -> ServiceResult<Vec<Contact>> {
        let rows = db_run!(self.db, read, contacts_sql::contacts(who.user_id, None))?;
        Ok(rows.into_iter().map(contact_of).collect())
    }

    /// A contact; anyone else, existing or not, is the same NotFound.
    pub async fn contact(&self, who: AuthContext, other: UserId) -> ServiceResult<Contact> {
        self.view_of(who.user_id, other).await
    }

    pub(super) async fn view_of(&self, viewer: UserId, other: UserId) -> ServiceResult<Contact> {
        contact_view(&self.db, viewer, other).await
    }

    pub async fn remove(&self, who: AuthContext, other: UserId) -> ServiceResult<()> {
        let chat =
            db_run!(self.db, write, contacts_sql::disconnect(who.user_id, other)).map_err(rule)?;
        let chat_id = messgo_proto::ChatId(chat);
        notify(
            &*self.bus,
            [who.user_id, other],
            &ServerEvent::ChatRemoved { chat_id },
        );
        self.severed(who.user_id, other);
        // Their direct chat went with the connection: its messages and attachments
        // leave the files now.
        self.erasure.erase("a removed contact's chat").await;
        Ok(())
    }

    pub async fn block(&self, who: AuthContext, other: UserId) -> ServiceResult<()> {
        let now = self.clock.now_ms();
        let done =
            db_run!(self.db, write, contacts_sql::block(who.user_id, other, now)).map_err(rule)?;
        if let Some(chat) = done.removed_chat {
            self.erasure.erase("a blocked contact's chat").await;
            let chat_id = messgo_proto::ChatId(chat);
            notify(
                &*self.bus,
                [who.user_id, other],
                &ServerEvent::ChatRemoved { chat_id },
            );
        }
        if done.was_connected {
            self.severed(who.user_id, other);
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
        db_run!(self.db, write, contacts_sql::unblock(who.user_id, other)).map_err(rule)?;
        notify(&*self.bus, [who.user_id], &ServerEvent::BlocksChanged);
        Ok(())
    }

    pub async fn blocks(&self, who: AuthContext) -> ServiceResult<Vec<BlockedUser>> {
        Ok(db_run!(self.db, read, contacts_sql::blocks(who.user_id))?
            .into_iter()
            .map(|b| BlockedUser {
                user_id: UserId(b.user_id),
                username: b.username,
                blocked_at: b.blocked_at,
            })
            .collect())
    }

    /// Tells both sides that their connection is gone.
    fn severed(&self, me: UserId, other: UserId) {
        notify(
            &*self.bus,
            [me],
            &ServerEvent::ContactRemoved { user_id: other },
        );
        notify(
            &*self.bus,
            [other],
            &ServerEvent::ContactRemoved { user_id: me },
        );
    }
}

//! The connection capability of the store: requests, contacts, blocks, connect keys.
//! Bodies live in [`super::ops`], shared by both engines.

use async_trait::async_trait;
use messgo_proto::{RequestId, UserId};
use uuid::Uuid;

use super::ops::{
    self, Accepted, Blocked, BlockedRow, ContactRow, IncomingRow, NewRequest, OutgoingRow,
    SendOutcome,
};
use super::{PostgresStore, SqliteStore, StoreResult};

#[async_trait]
pub trait ConnectionStore: Send + Sync {
    async fn send_request(&self, r: &NewRequest) -> StoreResult<SendOutcome>;
    async fn incoming_requests(&self, me: UserId, now: i64) -> StoreResult<Vec<IncomingRow>>;
    async fn outgoing_requests(&self, me: UserId, now: i64) -> StoreResult<Vec<OutgoingRow>>;
    async fn incoming_sender(&self, id: RequestId, me: UserId, now: i64) -> StoreResult<UserId>;
    async fn accept_request(
        &self,
        id: RequestId,
        me: UserId,
        new_chat: Uuid,
        now: i64,
    ) -> StoreResult<Accepted>;
    async fn decline_request(&self, id: RequestId, me: UserId, now: i64) -> StoreResult<()>;
    async fn cancel_request(&self, id: RequestId, me: UserId) -> StoreResult<Option<UserId>>;
    /// All contacts of `me`, or just `only` if that one is a contact.
    async fn contacts(&self, me: UserId, only: Option<UserId>) -> StoreResult<Vec<ContactRow>>;
    async fn disconnect(&self, me: UserId, other: UserId) -> StoreResult<Uuid>;
    async fn block(&self, me: UserId, other: UserId, now: i64) -> StoreResult<Blocked>;
    async fn unblock(&self, me: UserId, other: UserId) -> StoreResult<()>;
    async fn blocks(&self, me: UserId) -> StoreResult<Vec<BlockedRow>>;
    async fn set_connect_key(&self, me: UserId, key: &str) -> StoreResult<()>;
    async fn set_profile(
        &self,
        me: UserId,
        name: Option<String>,
        bio: Option<String>,
    ) -> StoreResult<()>;
    async fn set_avatar(
        &self,
        me: UserId,
        image: Option<(Vec<u8>, String)>,
        now: i64,
    ) -> StoreResult<()>;
    async fn avatar_for(&self, viewer: UserId, user: UserId)
        -> StoreResult<(Vec<u8>, String, i64)>;
    async fn sweep_requests(&self, now: i64, attempts_before: i64) -> StoreResult<u64>;
}

// Each engine runs the same bodies; SQLite through its group-committing writer and
// reader pool, PostgreSQL in a transaction per call. Owned copies are taken where a
// write job must outlive the caller's borrow.
macro_rules! connection_store_impl {
    ($engine:ident, $store:ty, $write:ident, $read:ident) => {
        #[async_trait]
        impl ConnectionStore for $store {
            async fn send_request(&self, r: &NewRequest) -> StoreResult<SendOutcome> {
                let r = r.clone();
                $write!(self, |c| ops::$engine::send_request(c, &r))
            }
            async fn incoming_requests(
                &self,
                me: UserId,
                now: i64,
            ) -> StoreResult<Vec<IncomingRow>> {
                $read!(self, |c| ops::$engine::incoming(c, me, now))
            }
            async fn outgoing_requests(
                &self,
                me: UserId,
                now: i64,
            ) -> StoreResult<Vec<OutgoingRow>> {
                $read!(self, |c| ops::$engine::outgoing(c, me, now))
            }
            async fn incoming_sender(
                &self,
                id: RequestId,
                me: UserId,
                now: i64,
            ) -> StoreResult<UserId> {
                $read!(self, |c| ops::$engine::incoming_sender(c, id, me, now))
            }
            async fn accept_request(
                &self,
                id: RequestId,
                me: UserId,
                new_chat: Uuid,
                now: i64,
            ) -> StoreResult<Accepted> {
                $write!(self, |c| ops::$engine::accept(c, id, me, new_chat, now))
            }
            async fn decline_request(
                &self,
                id: RequestId,
                me: UserId,
                now: i64,
            ) -> StoreResult<()> {
                $write!(self, |c| ops::$engine::decline(c, id, me, now))
            }
            async fn cancel_request(
                &self,
                id: RequestId,
                me: UserId,
            ) -> StoreResult<Option<UserId>> {
                $write!(self, |c| ops::$engine::cancel(c, id, me))
            }
            async fn contacts(
                &self,
                me: UserId,
                only: Option<UserId>,
            ) -> StoreResult<Vec<ContactRow>> {
                $read!(self, |c| ops::$engine::contacts(c, me, only))
            }
            async fn disconnect(&self, me: UserId, other: UserId) -> StoreResult<Uuid> {
                $write!(self, |c| ops::$engine::disconnect(c, me, other))
            }
            async fn block(&self, me: UserId, other: UserId, now: i64) -> StoreResult<Blocked> {
                $write!(self, |c| ops::$engine::block(c, me, other, now))
            }
            async fn unblock(&self, me: UserId, other: UserId) -> StoreResult<()> {
                $write!(self, |c| ops::$engine::unblock(c, me, other))
            }
            async fn blocks(&self, me: UserId) -> StoreResult<Vec<BlockedRow>> {
                $read!(self, |c| ops::$engine::blocks(c, me))
            }
            async fn set_connect_key(&self, me: UserId, key: &str) -> StoreResult<()> {
                let key = key.to_owned();
                $write!(self, |c| ops::$engine::set_connect_key(c, me, &key))
            }
            async fn set_profile(
                &self,
                me: UserId,
                name: Option<String>,
                bio: Option<String>,
            ) -> StoreResult<()> {
                $write!(self, |c| ops::$engine::set_profile(
                    c,
                    me,
                    name.as_deref(),
                    bio.as_deref()
                ))
            }
            async fn set_avatar(
                &self,
                me: UserId,
                image: Option<(Vec<u8>, String)>,
                now: i64,
            ) -> StoreResult<()> {
                $write!(self, |c| ops::$engine::set_avatar(
                    c,
                    me,
                    image.as_ref().map(|(b, t)| (b.as_slice(), t.as_str())),
                    now
                ))
            }
            async fn avatar_for(
                &self,
                viewer: UserId,
                user: UserId,
            ) -> StoreResult<(Vec<u8>, String, i64)> {
                $read!(self, |c| ops::$engine::avatar_for(c, viewer, user))
            }
            async fn sweep_requests(&self, now: i64, attempts_before: i64) -> StoreResult<u64> {
                $write!(self, |c| ops::$engine::sweep_requests(
                    c,
                    now,
                    attempts_before
                ))
            }
        }
    };
}

connection_store_impl!(sqlite, SqliteStore, sqlite_write, sqlite_read);
connection_store_impl!(postgres, PostgresStore, pg_tx, pg_tx);

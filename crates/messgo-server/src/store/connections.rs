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

#[async_trait]
impl ConnectionStore for SqliteStore {
    async fn send_request(&self, r: &NewRequest) -> StoreResult<SendOutcome> {
        let r = r.clone();
        sqlite_write!(self, |c| ops::sqlite::send_request(c, &r))
    }
    async fn incoming_requests(&self, me: UserId, now: i64) -> StoreResult<Vec<IncomingRow>> {
        sqlite_read!(self, |c| ops::sqlite::incoming(c, me, now))
    }
    async fn outgoing_requests(&self, me: UserId, now: i64) -> StoreResult<Vec<OutgoingRow>> {
        sqlite_read!(self, |c| ops::sqlite::outgoing(c, me, now))
    }
    async fn incoming_sender(&self, id: RequestId, me: UserId, now: i64) -> StoreResult<UserId> {
        sqlite_read!(self, |c| ops::sqlite::incoming_sender(c, id, me, now))
    }
    async fn accept_request(
        &self,
        id: RequestId,
        me: UserId,
        new_chat: Uuid,
        now: i64,
    ) -> StoreResult<Accepted> {
        sqlite_write!(self, |c| ops::sqlite::accept(c, id, me, new_chat, now))
    }
    async fn decline_request(&self, id: RequestId, me: UserId, now: i64) -> StoreResult<()> {
        sqlite_write!(self, |c| ops::sqlite::decline(c, id, me, now))
    }
    async fn cancel_request(&self, id: RequestId, me: UserId) -> StoreResult<Option<UserId>> {
        sqlite_write!(self, |c| ops::sqlite::cancel(c, id, me))
    }
    async fn contacts(&self, me: UserId, only: Option<UserId>) -> StoreResult<Vec<ContactRow>> {
        sqlite_read!(self, |c| ops::sqlite::contacts(c, me, only))
    }
    async fn disconnect(&self, me: UserId, other: UserId) -> StoreResult<Uuid> {
        sqlite_write!(self, |c| ops::sqlite::disconnect(c, me, other))
    }
    async fn block(&self, me: UserId, other: UserId, now: i64) -> StoreResult<Blocked> {
        sqlite_write!(self, |c| ops::sqlite::block(c, me, other, now))
    }
    async fn unblock(&self, me: UserId, other: UserId) -> StoreResult<()> {
        sqlite_write!(self, |c| ops::sqlite::unblock(c, me, other))
    }
    async fn blocks(&self, me: UserId) -> StoreResult<Vec<BlockedRow>> {
        sqlite_read!(self, |c| ops::sqlite::blocks(c, me))
    }
    async fn set_connect_key(&self, me: UserId, key: &str) -> StoreResult<()> {
        let key = key.to_owned();
        sqlite_write!(self, |c| ops::sqlite::set_connect_key(c, me, &key))
    }
    async fn set_profile(
        &self,
        me: UserId,
        name: Option<String>,
        bio: Option<String>,
    ) -> StoreResult<()> {
        sqlite_write!(self, |c| ops::sqlite::set_profile(
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
        sqlite_write!(self, |c| ops::sqlite::set_avatar(
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
        sqlite_read!(self, |c| ops::sqlite::avatar_for(c, viewer, user))
    }
    async fn sweep_requests(&self, now: i64, attempts_before: i64) -> StoreResult<u64> {
        sqlite_write!(self, |c| ops::sqlite::sweep_requests(
            c,
            now,
            attempts_before
        ))
    }
}

#[async_trait]
impl ConnectionStore for PostgresStore {
    async fn send_request(&self, r: &NewRequest) -> StoreResult<SendOutcome> {
        pg_tx!(self, |c| ops::postgres::send_request(c, r))
    }
    async fn incoming_requests(&self, me: UserId, now: i64) -> StoreResult<Vec<IncomingRow>> {
        pg_tx!(self, |c| ops::postgres::incoming(c, me, now))
    }
    async fn outgoing_requests(&self, me: UserId, now: i64) -> StoreResult<Vec<OutgoingRow>> {
        pg_tx!(self, |c| ops::postgres::outgoing(c, me, now))
    }
    async fn incoming_sender(&self, id: RequestId, me: UserId, now: i64) -> StoreResult<UserId> {
        pg_tx!(self, |c| ops::postgres::incoming_sender(c, id, me, now))
    }
    async fn accept_request(
        &self,
        id: RequestId,
        me: UserId,
        new_chat: Uuid,
        now: i64,
    ) -> StoreResult<Accepted> {
        pg_tx!(self, |c| ops::postgres::accept(c, id, me, new_chat, now))
    }
    async fn decline_request(&self, id: RequestId, me: UserId, now: i64) -> StoreResult<()> {
        pg_tx!(self, |c| ops::postgres::decline(c, id, me, now))
    }
    async fn cancel_request(&self, id: RequestId, me: UserId) -> StoreResult<Option<UserId>> {
        pg_tx!(self, |c| ops::postgres::cancel(c, id, me))
    }
    async fn contacts(&self, me: UserId, only: Option<UserId>) -> StoreResult<Vec<ContactRow>> {
        pg_tx!(self, |c| ops::postgres::contacts(c, me, only))
    }
    async fn disconnect(&self, me: UserId, other: UserId) -> StoreResult<Uuid> {
        pg_tx!(self, |c| ops::postgres::disconnect(c, me, other))
    }
    async fn block(&self, me: UserId, other: UserId, now: i64) -> StoreResult<Blocked> {
        pg_tx!(self, |c| ops::postgres::block(c, me, other, now))
    }
    async fn unblock(&self, me: UserId, other: UserId) -> StoreResult<()> {
        pg_tx!(self, |c| ops::postgres::unblock(c, me, other))
    }
    async fn blocks(&self, me: UserId) -> StoreResult<Vec<BlockedRow>> {
        pg_tx!(self, |c| ops::postgres::blocks(c, me))
    }
    async fn set_connect_key(&self, me: UserId, key: &str) -> StoreResult<()> {
        pg_tx!(self, |c| ops::postgres::set_connect_key(c, me, key))
    }
    async fn set_profile(
        &self,
        me: UserId,
        name: Option<String>,
        bio: Option<String>,
    ) -> StoreResult<()> {
        pg_tx!(self, |c| ops::postgres::set_profile(
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
        pg_tx!(self, |c| ops::postgres::set_avatar(
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
        pg_tx!(self, |c| ops::postgres::avatar_for(c, viewer, user))
    }
    async fn sweep_requests(&self, now: i64, attempts_before: i64) -> StoreResult<u64> {
        pg_tx!(self, |c| ops::postgres::sweep_requests(
            c,
            now,
            attempts_before
        ))
    }
}

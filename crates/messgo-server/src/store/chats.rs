//! The chat capability of the store. Bodies live in [`super::chat_ops`] and
//! [`super::message_ops`].

use async_trait::async_trait;
use messgo_proto::{BlobId, ChatId, MessageId, UserId};
use uuid::Uuid;

use super::chat_ops::{self, ChatRow, MemberRow};
use super::message_ops::{self, Appended, MessageRow, NewMessage, Page};
use super::{PostgresStore, SqliteStore, StoreResult};

#[async_trait]
pub trait ChatStore: Send + Sync {
    async fn chats_of(&self, user: UserId) -> StoreResult<Vec<ChatRow>>;
    async fn chat_for(&self, user: UserId, chat: ChatId) -> StoreResult<ChatRow>;
    async fn members_for(&self, user: UserId, only: Option<ChatId>) -> StoreResult<Vec<MemberRow>>;
    async fn member_ids(&self, chat: ChatId) -> StoreResult<Vec<UserId>>;
    async fn create_group(
        &self,
        chat: ChatId,
        creator: UserId,
        members: &[UserId],
        now: i64,
        expires_at: i64,
    ) -> StoreResult<MessageRow>;
    #[allow(clippy::too_many_arguments)]
    async fn open_epoch(
        &self,
        chat: ChatId,
        by: UserId,
        epoch: u32,
        keys: &[(UserId, Vec<u8>)],
        meta: Option<String>,
        now: i64,
    ) -> StoreResult<()>;
    async fn epoch_key(
        &self,
        chat: ChatId,
        user: UserId,
        epoch: u32,
    ) -> StoreResult<(Vec<u8>, Uuid, i64)>;
    async fn add_member(
        &self,
        chat: ChatId,
        by: UserId,
        user: UserId,
        now: i64,
        expires_at: i64,
    ) -> StoreResult<MessageRow>;
    async fn remove_member(
        &self,
        chat: ChatId,
        by: UserId,
        user: UserId,
        now: i64,
        expires_at: i64,
    ) -> StoreResult<Option<MessageRow>>;
    async fn promote(
        &self,
        chat: ChatId,
        by: UserId,
        user: UserId,
        now: i64,
        expires_at: i64,
    ) -> StoreResult<MessageRow>;
    #[allow(clippy::too_many_arguments)]
    async fn set_meta(
        &self,
        chat: ChatId,
        by: UserId,
        epoch: u32,
        meta: String,
        now: i64,
        expires_at: i64,
    ) -> StoreResult<MessageRow>;
    async fn append(&self, m: &NewMessage) -> StoreResult<Appended>;
    /// Appends many messages (none with attachments) and returns each one's verdict
    /// in order, as [`ChatStore::append`] would have given it.
    async fn append_batch(&self, batch: Vec<NewMessage>)
        -> StoreResult<Vec<StoreResult<Appended>>>;
    async fn messages(
        &self,
        chat: ChatId,
        user: UserId,
        page: Page,
        limit: i64,
        now: i64,
    ) -> StoreResult<Vec<MessageRow>>;
    async fn delete_message(&self, chat: ChatId, sender: UserId, id: MessageId)
        -> StoreResult<i64>;
    async fn mark_read(&self, chat: ChatId, user: UserId, seq: i64) -> StoreResult<i64>;
    async fn members_opted_in(
        &self,
        chat: ChatId,
        except: UserId,
        typing: bool,
    ) -> StoreResult<Vec<UserId>>;
    async fn settings(&self, user: UserId) -> StoreResult<(i64, i64, i64)>;
    async fn set_settings(
        &self,
        user: UserId,
        typing: bool,
        receipts: bool,
        timer: i64,
    ) -> StoreResult<()>;
    async fn set_timer(
        &self,
        chat: ChatId,
        by: UserId,
        secs: i64,
        now: i64,
        expires_at: i64,
    ) -> StoreResult<MessageRow>;
    async fn delete_expired_messages(&self, now: i64, batch: i64) -> StoreResult<u64>;
    async fn delete_spent_epoch_keys(&self) -> StoreResult<u64>;
    async fn forget_read_state_of_empty_chats(&self) -> StoreResult<u64>;
    #[allow(clippy::too_many_arguments)]
    async fn insert_blob(
        &self,
        id: BlobId,
        chat: ChatId,
        uploader: UserId,
        data: Vec<u8>,
        now: i64,
        expires_at: i64,
    ) -> StoreResult<()>;
    async fn blob_for(&self, user: UserId, id: BlobId, now: i64) -> StoreResult<Vec<u8>>;
    async fn delete_expired_blobs(&self, now: i64) -> StoreResult<u64>;
    async fn assistant_chat(&self, user: UserId, candidate: Uuid, now: i64) -> StoreResult<Uuid>;
}

/// SQLite: the whole batch is one job of the single writer (see `batch.rs`), one that
/// keeps the chats' state it read for the next batch.
macro_rules! sqlite_batch {
    ($self:ident, $batch:ident) => {{
        let writer = $self.writer().await?;
        let generation = writer.generation();
        let cache = $self.chat_cache.clone();
        writer
            .append(move |c| {
                Box::pin(async move {
                    let now = generation.load(std::sync::atomic::Ordering::Relaxed);
                    super::batch::append_batch(c, &$batch, &cache, now).await
                })
            })
            .await
    }};
}

/// PostgreSQL: each message its own transaction. Chats proceed side by side;
/// within a chat, messages go one after another so they keep the batch's order.
macro_rules! pg_batch {
    ($self:ident, $batch:ident) => {
        Ok(append_each(&$batch, |m| $self.append(m)).await)
    };
}

async fn append_each<'a, F, Fut>(batch: &'a [NewMessage], append: F) -> Vec<StoreResult<Appended>>
where
    F: Fn(&'a NewMessage) -> Fut,
    Fut: std::future::Future<Output = StoreResult<Appended>>,
{
    let mut by_chat: std::collections::HashMap<ChatId, Vec<usize>> =
        std::collections::HashMap::new();
    for (i, m) in batch.iter().enumerate() {
        by_chat.entry(m.chat_id).or_default().push(i);
    }
    let lanes = by_chat.into_values().map(|indexes| {
        let append = &append;
        async move {
            let mut out = Vec::with_capacity(indexes.len());
            for i in indexes {
                out.push((i, append(&batch[i]).await));
            }
            out
        }
    });
    let mut verdicts: Vec<Option<StoreResult<Appended>>> = batch.iter().map(|_| None).collect();
    for (i, verdict) in futures_util::future::join_all(lanes)
        .await
        .into_iter()
        .flatten()
    {
        verdicts[i] = Some(verdict);
    }
    verdicts
        .into_iter()
        .map(|v| v.expect("every message is answered"))
        .collect()
}

macro_rules! chat_store_impl {
    ($engine:ident, $store:ty, $write:ident, $read:ident, $batch:ident) => {
        #[async_trait]
        impl ChatStore for $store {
            async fn chats_of(&self, user: UserId) -> StoreResult<Vec<ChatRow>> {
                $read!(self, |c| chat_ops::$engine::chats_of(c, user))
            }
            async fn chat_for(&self, user: UserId, chat: ChatId) -> StoreResult<ChatRow> {
                $read!(self, |c| chat_ops::$engine::chat_for(c, user, chat))
            }
            async fn members_for(
                &self,
                user: UserId,
                only: Option<ChatId>,
            ) -> StoreResult<Vec<MemberRow>> {
                $read!(self, |c| chat_ops::$engine::members_for(c, user, only))
            }
            async fn member_ids(&self, chat: ChatId) -> StoreResult<Vec<UserId>> {
                $read!(self, |c| chat_ops::$engine::member_ids(c, chat))
            }
            async fn create_group(
                &self,
                chat: ChatId,
                creator: UserId,
                members: &[UserId],
                now: i64,
                expires_at: i64,
            ) -> StoreResult<MessageRow> {
                let members = members.to_vec();
                $write!(self, |c| chat_ops::$engine::create_group(
                    c, chat, creator, &members, now, expires_at
                ))
            }
            async fn open_epoch(
                &self,
                chat: ChatId,
                by: UserId,
                epoch: u32,
                keys: &[(UserId, Vec<u8>)],
                meta: Option<String>,
                now: i64,
            ) -> StoreResult<()> {
                let keys = keys.to_vec();
                $write!(self, |c| chat_ops::$engine::open_epoch(
                    c,
                    chat,
                    by,
                    epoch,
                    &keys,
                    meta.as_deref(),
                    now
                ))
            }
            async fn epoch_key(
                &self,
                chat: ChatId,
                user: UserId,
                epoch: u32,
            ) -> StoreResult<(Vec<u8>, Uuid, i64)> {
                $read!(self, |c| chat_ops::$engine::epoch_key(c, chat, user, epoch))
            }
            async fn add_member(
                &self,
                chat: ChatId,
                by: UserId,
                user: UserId,
                now: i64,
                expires_at: i64,
            ) -> StoreResult<MessageRow> {
                $write!(self, |c| chat_ops::$engine::add_member(
                    c, chat, by, user, now, expires_at
                ))
            }
            async fn remove_member(
                &self,
                chat: ChatId,
                by: UserId,
                user: UserId,
                now: i64,
                expires_at: i64,
            ) -> StoreResult<Option<MessageRow>> {
                $write!(self, |c| chat_ops::$engine::remove_member(
                    c, chat, by, user, now, expires_at
                ))
            }
            async fn promote(
                &self,
                chat: ChatId,
                by: UserId,
                user: UserId,
                now: i64,
                expires_at: i64,
            ) -> StoreResult<MessageRow> {
                $write!(self, |c| chat_ops::$engine::promote(
                    c, chat, by, user, now, expires_at
                ))
            }
            async fn set_meta(
                &self,
                chat: ChatId,
                by: UserId,
                epoch: u32,
                meta: String,
                now: i64,
                expires_at: i64,
            ) -> StoreResult<MessageRow> {
                $write!(self, |c| chat_ops::$engine::set_meta(
                    c, chat, by, epoch, &meta, now, expires_at
                ))
            }
            async fn append(&self, m: &NewMessage) -> StoreResult<Appended> {
                let m = m.clone();
                $write!(self, |c| message_ops::$engine::append(c, &m))
            }
            async fn append_batch(
                &self,
                batch: Vec<NewMessage>,
            ) -> StoreResult<Vec<StoreResult<Appended>>> {
                $batch!(self, batch)
            }
            async fn messages(
                &self,
                chat: ChatId,
                user: UserId,
                page: Page,
                limit: i64,
                now: i64,
            ) -> StoreResult<Vec<MessageRow>> {
                $read!(self, |c| message_ops::$engine::messages(
                    c, chat, user, page, limit, now
                ))
            }
            async fn delete_message(
                &self,
                chat: ChatId,
                sender: UserId,
                id: MessageId,
            ) -> StoreResult<i64> {
                $write!(self, |c| message_ops::$engine::delete_message(
                    c, chat, sender, id
                ))
            }
            async fn mark_read(&self, chat: ChatId, user: UserId, seq: i64) -> StoreResult<i64> {
                $write!(self, |c| chat_ops::$engine::mark_read(c, chat, user, seq))
            }
            async fn members_opted_in(
                &self,
                chat: ChatId,
                except: UserId,
                typing: bool,
            ) -> StoreResult<Vec<UserId>> {
                $read!(self, |c| chat_ops::$engine::members_opted_in(
                    c, chat, except, typing
                ))
            }
            async fn settings(&self, user: UserId) -> StoreResult<(i64, i64, i64)> {
                $read!(self, |c| chat_ops::$engine::settings(c, user))
            }
            async fn set_settings(
                &self,
                user: UserId,
                typing: bool,
                receipts: bool,
                timer: i64,
            ) -> StoreResult<()> {
                $write!(self, |c| chat_ops::$engine::set_settings(
                    c, user, typing, receipts, timer
                ))
            }
            async fn set_timer(
                &self,
                chat: ChatId,
                by: UserId,
                secs: i64,
                now: i64,
                expires_at: i64,
            ) -> StoreResult<MessageRow> {
                $write!(self, |c| chat_ops::$engine::set_timer(
                    c, chat, by, secs, now, expires_at
                ))
            }
            async fn delete_expired_messages(&self, now: i64, batch: i64) -> StoreResult<u64> {
                $write!(self, |c| message_ops::$engine::delete_expired_messages(
                    c, now, batch
                ))
            }
            async fn delete_spent_epoch_keys(&self) -> StoreResult<u64> {
                $write!(self, |c| chat_ops::$engine::delete_spent_epoch_keys(c))
            }
            async fn forget_read_state_of_empty_chats(&self) -> StoreResult<u64> {
                $write!(self, |c| {
                    chat_ops::$engine::forget_read_state_of_empty_chats(c)
                })
            }
            async fn insert_blob(
                &self,
                id: BlobId,
                chat: ChatId,
                uploader: UserId,
                data: Vec<u8>,
                now: i64,
                expires_at: i64,
            ) -> StoreResult<()> {
                $write!(self, |c| message_ops::$engine::insert_blob(
                    c, id, chat, uploader, &data, now, expires_at
                ))
            }
            async fn blob_for(&self, user: UserId, id: BlobId, now: i64) -> StoreResult<Vec<u8>> {
                $read!(self, |c| message_ops::$engine::blob_for(c, user, id, now))
            }
            async fn delete_expired_blobs(&self, now: i64) -> StoreResult<u64> {
                $write!(self, |c| message_ops::$engine::delete_expired_blobs(c, now))
            }
            async fn assistant_chat(
                &self,
                user: UserId,
                candidate: Uuid,
                now: i64,
            ) -> StoreResult<Uuid> {
                $write!(self, |c| chat_ops::$engine::assistant_chat(
                    c, user, candidate, now
                ))
            }
        }
    };
}

chat_store_impl!(sqlite, SqliteStore, sqlite_write, sqlite_read, sqlite_batch);
chat_store_impl!(postgres, PostgresStore, pg_tx, pg_tx, pg_batch);

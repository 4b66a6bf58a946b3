//! Message and attachment SQL, written once for both engines. A message is checked
//! against its chat (membership, epoch, duplicate id) in the same transaction that
//! stores it. Chats and their members are in `chats::sql`, epochs in `chats::epochs_sql`.

use messgo_proto::{BlobId, ChatId, MessageId, MessageKind, UserId, EPOCH_MAX_AGE_MS};
use uuid::Uuid;

use crate::refusal::Refusal;
use crate::store::{StoreError, StoreResult};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MessageRow {
    pub chat_id: Uuid,
    pub seq: i64,
    pub id: Uuid,
    pub sender: Option<Uuid>,
    pub epoch: i64,
    pub kind: String,
    pub nonce: Option<Vec<u8>>,
    pub ciphertext: Option<Vec<u8>>,
    pub signature: Option<Vec<u8>>,
    pub system: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub deleted: i64,
    /// The message a reaction or an edit names.
    pub target: Option<Uuid>,
    /// 1 on a message an edit replaced (its sealed parts erased).
    pub edited: i64,
}

#[derive(Debug, Clone)]
pub struct NewMessage {
    pub chat_id: ChatId,
    pub id: MessageId,
    pub sender: UserId,
    pub epoch: u32,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
    pub signature: Vec<u8>,
    pub now: i64,
    pub expires_at: i64,
    pub blobs: Vec<BlobId>,
    pub kind: MessageKind,
    pub target: Option<MessageId>,
}

impl NewMessage {
    /// Whether a chat in this epoch state must refuse the message: another epoch, a
    /// membership change since the epoch opened, or an epoch past its age.
    pub(crate) fn is_stale(
        &self,
        epoch: i64,
        rotation_required: i64,
        epoch_opened_at: i64,
    ) -> bool {
        i64::from(self.epoch) != epoch
            || rotation_required != 0
            || self.now - epoch_opened_at > EPOCH_MAX_AGE_MS
    }

    /// When the message expires in a chat whose timer is `timer_secs`: the timer
    /// shortens the server-wide retention, never extends it.
    pub(crate) fn expiry_in(&self, timer_secs: i64) -> i64 {
        self.expires_at.min(self.now + timer_secs * 1000)
    }

    /// Whether `stored`, found under this message's id, is this very message sent
    /// again (a resend after a lost ack) rather than another one reusing its id.
    pub(crate) fn is_resend_of(&self, stored: &MessageRow) -> bool {
        stored.chat_id == self.chat_id.0 && stored.sender == Some(self.sender.0)
    }

    /// The row the message becomes at `seq`.
    pub(crate) fn row(&self, seq: i64, timer_secs: i64) -> MessageRow {
        self.row_until(seq, self.expiry_in(timer_secs))
    }

    /// The row the message becomes at `seq`, expiring at `expires_at`.
    pub(crate) fn row_until(&self, seq: i64, expires_at: i64) -> MessageRow {
        MessageRow {
            chat_id: self.chat_id.0,
            seq,
            id: self.id.0,
            sender: Some(self.sender.0),
            epoch: i64::from(self.epoch),
            kind: kind_name(self.kind).into(),
            nonce: Some(self.nonce.clone()),
            ciphertext: Some(self.ciphertext.clone()),
            signature: Some(self.signature.clone()),
            system: None,
            created_at: self.now,
            expires_at,
            deleted: 0,
            target: self.target.map(|t| t.0),
            edited: 0,
        }
    }
}

/// A kind as the `kind` column spells it.
pub fn kind_name(kind: MessageKind) -> &'static str {
    match kind {
        MessageKind::Message => "message",
        MessageKind::System => "system",
        MessageKind::Reaction => "reaction",
        MessageKind::Edit => "edit",
    }
}

/// A message stored (or found stored: a resend of the same id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    pub row: MessageRow,
    pub duplicate: bool,
    /// The members at the time of the write: who the message goes to.
    pub members: Vec<UserId>,
    /// The sequence numbers an edit turned into tombstones (the previous edit).
    pub superseded: Vec<i64>,
}

/// Where a page of history starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// Newest first, below this sequence number (`None`: from the newest).
    Before(Option<i64>),
    /// Oldest first, above this sequence number.
    After(i64),
}

pub(crate) const MESSAGE_COLUMNS: &str =
    "chat_id, seq, id, sender, epoch, kind, nonce, ciphertext, signature, system, \
     created_at, expires_at, deleted, target, edited";

/// An insert's error, where a uniqueness conflict means another message took the id
/// between the lookup and the insert (PostgreSQL, where appends to different chats
/// run side by side).
fn id_taken(e: sqlx::Error) -> StoreError {
    match crate::store::classify(e) {
        StoreError::Conflict(_) => rejected(Refusal::DuplicateId),
        e @ (StoreError::NotFound
        | StoreError::Database(_)
        | StoreError::Full
        | StoreError::Migrate(_)
        | StoreError::Corrupt(_)
        | StoreError::Rejected(_)
        | StoreError::NotCommitted
        | StoreError::Closed) => e,
    }
}

pub(crate) fn rejected(refusal: Refusal) -> StoreError {
    StoreError::Rejected(refusal)
}

for_both_engines! {
    uses(crate::chats::sql as chat_sql, crate::messages::targets as targets);

    /// Stores a message under the next sequence number, or finds the one already
    /// stored under the same id (a resend). Its sealed parts go in the row if
    /// `sealed_here`, else the caller keeps them (`sealed.rs`).
    pub async fn append(c: &mut Conn, m: &NewMessage, sealed_here: bool) -> StoreResult<Appended> {
        // Only what the rules need: `chat_for` would also count the sender's unread
        // messages, a scan that grows with the chat.
        let current: Option<(i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT ch.epoch, ch.rotation_required, ch.epoch_opened_at, ch.timer_secs \
             FROM chats ch JOIN chat_members m ON m.chat_id = ch.id WHERE ch.id = $1 AND m.user_id = $2",
        )
        .bind(m.chat_id.0)
        .bind(m.sender.0)
        .fetch_optional(&mut *c)
        .await?;
        let (epoch, rotation_required, epoch_opened_at, timer_secs) = current.ok_or(StoreError::NotFound)?;
        let existing: Option<MessageRow> =
            sqlx::query_as(&format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = $1"))
                .bind(m.id.0)
                .fetch_optional(&mut *c)
                .await?;
        if let Some(row) = existing {
            if !m.is_resend_of(&row) {
                return Err(rejected(Refusal::DuplicateId));
            }
            return Ok(Appended { row, duplicate: true, members: Vec::new(), superseded: Vec::new() });
        }
        if m.is_stale(epoch, rotation_required, epoch_opened_at) {
            return Err(rejected(Refusal::EpochStale));
        }
        // A reaction or an edit keeps its sealed parts in the row (its life is its
        // target's; migration sqlite 0015 says why), changes no one's last activity
        // and takes its target's expiry, checked once the counter is taken.
        let in_row = sealed_here || !m.kind.is_message();
        let (seq, expires_at) = if m.kind.is_message() {
            let (seq,): (i64,) =
                sqlx::query_as("UPDATE chats SET seq = seq + 1, last_activity_at = $2 WHERE id = $1 RETURNING seq")
                    .bind(m.chat_id.0)
                    .bind(m.now)
                    .fetch_one(&mut *c)
                    .await?;
            (seq, m.expiry_in(timer_secs))
        } else {
            let (seq,): (i64,) = sqlx::query_as("UPDATE chats SET seq = seq + 1 WHERE id = $1 RETURNING seq")
                .bind(m.chat_id.0)
                .fetch_one(&mut *c)
                .await?;
            (seq, targets::check(&mut *c, m).await?)
        };
        sqlx::query(
            "INSERT INTO messages (chat_id, seq, id, sender, epoch, kind, nonce, ciphertext, signature, created_at, expires_at, target) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(m.chat_id.0)
        .bind(seq)
        .bind(m.id.0)
        .bind(m.sender.0)
        .bind(i64::from(m.epoch))
        .bind(kind_name(m.kind))
        .bind(in_row.then_some(&m.nonce))
        .bind(in_row.then_some(&m.ciphertext))
        .bind(in_row.then_some(&m.signature))
        .bind(m.now)
        .bind(expires_at)
        .bind(m.target.map(|t| t.0))
        .execute(&mut *c)
        .await
        .map_err(id_taken)?;
        let superseded = match (m.kind, m.target) {
            (MessageKind::Edit, Some(target)) => targets::supersede(&mut *c, m.chat_id, target, seq).await?,
            _ => Vec::new(),
        };
        let row = m.row_until(seq, expires_at);
        // Attachments: the sender's own unclaimed, complete uploads to this chat, now
        // bound to the message's life.
        for blob in &m.blobs {
            let done = sqlx::query(
                "UPDATE blobs SET message_seq = $1, expires_at = $2 \
                 WHERE id = $3 AND chat_id = $4 AND uploader = $5 AND message_seq IS NULL AND NOT pending AND expires_at > $6",
            )
            .bind(seq)
            .bind(expires_at)
            .bind(blob.0)
            .bind(m.chat_id.0)
            .bind(m.sender.0)
            .bind(m.now)
            .execute(&mut *c)
            .await?;
            if done.rows_affected() != 1 {
                return Err(rejected(Refusal::InvalidBlob));
            }
        }
        let members = chat_sql::member_ids(&mut *c, m.chat_id).await?;
        Ok(Appended { row, duplicate: false, members, superseded })
    }


    /// A page of history as `user` may see it: from their joining on, unexpired.
    pub async fn messages(c: &mut Conn, chat: ChatId, user: UserId, page: Page, limit: i64, now: i64) -> StoreResult<Vec<MessageRow>> {
        let joined: Option<(i64,)> = sqlx::query_as("SELECT joined_seq FROM chat_members WHERE chat_id = $1 AND user_id = $2")
            .bind(chat.0)
            .bind(user.0)
            .fetch_optional(&mut *c)
            .await?;
        let (joined,) = joined.ok_or(StoreError::NotFound)?;
        // One lower bound on `seq` only: given two (`seq > joined AND seq > after`),
        // SQLite may start the range at the smaller and filter the rest, reading the
        // chat from the start for each resume.
        let (sql, lower, upper) = match page {
            Page::Before(before) => (
                format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE chat_id = $1 AND seq > $2 AND seq < $3 \
                         AND expires_at > $4 ORDER BY seq DESC LIMIT $5"),
                joined,
                before.unwrap_or(i64::MAX),
            ),
            Page::After(after) => (
                format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE chat_id = $1 AND seq > $2 AND seq < $3 \
                         AND expires_at > $4 ORDER BY seq ASC LIMIT $5"),
                joined.max(after),
                i64::MAX,
            ),
        };
        Ok(sqlx::query_as(&sql)
            .bind(chat.0)
            .bind(lower)
            .bind(upper)
            .bind(now)
            .bind(limit)
            .fetch_all(&mut *c)
            .await?)
    }


    /// Deletes up to `batch` expired messages; returns how many went.
    pub async fn delete_expired_messages(c: &mut Conn, now: i64, batch: i64) -> StoreResult<u64> {
        let done = sqlx::query(
            "DELETE FROM messages WHERE (chat_id, seq) IN \
             (SELECT chat_id, seq FROM messages WHERE expires_at <= $1 LIMIT $2)",
        )
        .bind(now)
        .bind(batch)
        .execute(&mut *c)
        .await?;
        Ok(done.rows_affected())
    }


    /// Erases a message's content for everyone; its sequence number stays as a
    /// tombstone. Its reactions and edits go with it: returns its sequence number
    /// and theirs.
    pub async fn delete_message(c: &mut Conn, chat: ChatId, sender: UserId, id: MessageId) -> StoreResult<(i64, Vec<i64>)> {
        chat_sql::chat_for(&mut *c, sender, chat).await?;
        let row: Option<(i64,)> = sqlx::query_as(
            "UPDATE messages SET deleted = 1, nonce = NULL, ciphertext = NULL, signature = NULL \
             WHERE chat_id = $1 AND id = $2 AND sender = $3 AND deleted = 0 RETURNING seq",
        )
        .bind(chat.0)
        .bind(id.0)
        .bind(sender.0)
        .fetch_optional(&mut *c)
        .await?;
        let (seq,) = row.ok_or(StoreError::NotFound)?;
        sqlx::query("DELETE FROM blobs WHERE chat_id = $1 AND message_seq = $2")
            .bind(chat.0)
            .bind(seq)
            .execute(&mut *c)
            .await?;
        let dependents = targets::delete_dependents(&mut *c, chat, id).await?;
        Ok((seq, dependents))
    }
}

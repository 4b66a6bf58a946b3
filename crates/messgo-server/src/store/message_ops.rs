//! Chat, epoch and message SQL, written once for both engines. Rules that depend on
//! the current state (membership, admin rights, epochs) are checked inside the same
//! transaction as the write they guard.

use messgo_proto::{BlobId, ChatId, MessageId, UserId, EPOCH_MAX_AGE_MS, MAX_GROUP_MEMBERS};
use uuid::Uuid;

use super::ops::pair;
use super::{StoreError, StoreResult};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ChatRow {
    pub id: Uuid,
    pub kind: String,
    pub epoch: i64,
    pub epoch_opened_at: i64,
    pub rotation_required: i64,
    pub seq: i64,
    pub meta: Option<String>,
    pub created_at: i64,
    pub last_activity_at: i64,
    /// The viewer's read position, and the others' messages after it.
    pub last_read_seq: i64,
    pub unread: i64,
    pub timer_secs: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MemberRow {
    pub chat_id: Uuid,
    pub user_id: Uuid,
    pub username: String,
    pub role: String,
    pub joined_at: i64,
    pub joined_seq: i64,
    pub x25519_public: Vec<u8>,
    pub ed25519_public: Vec<u8>,
}

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
}

impl NewMessage {
    /// Whether a chat in this epoch state must refuse the message: another epoch, a
    /// membership change since the epoch opened, or an epoch past its age.
    pub(super) fn is_stale(
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
    pub(super) fn expiry_in(&self, timer_secs: i64) -> i64 {
        self.expires_at.min(self.now + timer_secs * 1000)
    }

    /// Whether `stored`, found under this message's id, is this very message sent
    /// again (a resend after a lost ack) rather than another one reusing its id.
    pub(super) fn is_resend_of(&self, stored: &MessageRow) -> bool {
        stored.chat_id == self.chat_id.0 && stored.sender == Some(self.sender.0)
    }

    /// The row the message becomes at `seq`.
    pub(super) fn row(&self, seq: i64, timer_secs: i64) -> MessageRow {
        MessageRow {
            chat_id: self.chat_id.0,
            seq,
            id: self.id.0,
            sender: Some(self.sender.0),
            epoch: i64::from(self.epoch),
            kind: "message".into(),
            nonce: Some(self.nonce.clone()),
            ciphertext: Some(self.ciphertext.clone()),
            signature: Some(self.signature.clone()),
            system: None,
            created_at: self.now,
            expires_at: self.expiry_in(timer_secs),
            deleted: 0,
        }
    }
}

/// A message stored (or found stored: a resend of the same id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    pub row: MessageRow,
    pub duplicate: bool,
    /// The members at the time of the write: who the message goes to.
    pub members: Vec<UserId>,
}

/// Where a page of history starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// Newest first, below this sequence number (`None`: from the newest).
    Before(Option<i64>),
    /// Oldest first, above this sequence number.
    After(i64),
}

const CHAT_COLUMNS: &str =
    "ch.id, ch.kind, ch.epoch, ch.epoch_opened_at, ch.rotation_required, ch.seq, ch.meta, \
     ch.created_at, ch.last_activity_at, m.last_read_seq, ch.timer_secs, \
     (SELECT COUNT(*) FROM messages msg WHERE msg.chat_id = ch.id AND msg.seq > m.last_read_seq \
        AND msg.seq > m.joined_seq AND msg.kind = 'message' AND msg.deleted = 0 \
        AND (msg.sender IS NULL OR msg.sender <> m.user_id)) AS unread";
const MEMBER_SELECT: &str =
    "SELECT m.chat_id, m.user_id, u.username, m.role, m.joined_at, m.joined_seq, \
     u.x25519_public, u.ed25519_public FROM chat_members m JOIN users u ON u.id = m.user_id";
pub(super) const MESSAGE_COLUMNS: &str =
    "chat_id, seq, id, sender, epoch, kind, nonce, ciphertext, signature, system, \
     created_at, expires_at, deleted";

fn rejected(code: &'static str) -> StoreError {
    StoreError::Rejected(code)
}

for_both_engines! {
    pub async fn chats_of(c: &mut Conn, user: UserId) -> StoreResult<Vec<ChatRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {CHAT_COLUMNS} FROM chats ch JOIN chat_members m ON m.chat_id = ch.id \
             WHERE m.user_id = $1 ORDER BY ch.last_activity_at DESC, ch.created_at DESC"
        ))
        .bind(user.0)
        .fetch_all(&mut *c)
        .await?)
    }

    /// The chat, if `user` is a member; NotFound otherwise, exactly as for no chat.
    pub async fn chat_for(c: &mut Conn, user: UserId, chat: ChatId) -> StoreResult<ChatRow> {
        sqlx::query_as(&format!(
            "SELECT {CHAT_COLUMNS} FROM chats ch JOIN chat_members m ON m.chat_id = ch.id \
             WHERE ch.id = $1 AND m.user_id = $2"
        ))
        .bind(chat.0)
        .bind(user.0)
        .fetch_optional(&mut *c)
        .await?
        .ok_or(StoreError::NotFound)
    }

    /// Members of every chat `user` belongs to (or of one chat).
    pub async fn members_for(c: &mut Conn, user: UserId, only: Option<ChatId>) -> StoreResult<Vec<MemberRow>> {
        Ok(sqlx::query_as(&format!(
            "{MEMBER_SELECT} WHERE m.chat_id IN (SELECT chat_id FROM chat_members WHERE user_id = $1) \
             AND ($2 IS NULL OR m.chat_id = $2) ORDER BY m.joined_at, u.username"
        ))
        .bind(user.0)
        .bind(only.map(|c| c.0))
        .fetch_all(&mut *c)
        .await?)
    }

    pub async fn member_ids(c: &mut Conn, chat: ChatId) -> StoreResult<Vec<UserId>> {
        let rows: Vec<(Uuid,)> = sqlx::query_as("SELECT user_id FROM chat_members WHERE chat_id = $1")
            .bind(chat.0)
            .fetch_all(&mut *c)
            .await?;
        Ok(rows.into_iter().map(|(u,)| UserId(u)).collect())
    }

    async fn role_of(c: &mut Conn, chat: ChatId, user: UserId) -> StoreResult<Option<String>> {
        let row: Option<(String,)> = sqlx::query_as("SELECT role FROM chat_members WHERE chat_id = $1 AND user_id = $2")
            .bind(chat.0)
            .bind(user.0)
            .fetch_optional(&mut *c)
            .await?;
        Ok(row.map(|(r,)| r))
    }

    async fn is_connected(c: &mut Conn, a: UserId, b: UserId) -> StoreResult<bool> {
        let (x, y) = pair(a, b);
        let (yes,): (bool,) =
            sqlx::query_as("SELECT EXISTS(SELECT 1 FROM connections WHERE user_a = $1 AND user_b = $2)")
                .bind(x)
                .bind(y)
                .fetch_one(&mut *c)
                .await?;
        Ok(yes)
    }

    /// Appends a server-written system message under the chat's current epoch.
    async fn system_message(c: &mut Conn, chat: ChatId, system: &str, now: i64, expires_at: i64) -> StoreResult<MessageRow> {
        let (seq, epoch, timer): (i64, i64, i64) = sqlx::query_as(
            "UPDATE chats SET seq = seq + 1, last_activity_at = $2 WHERE id = $1 RETURNING seq, epoch, timer_secs",
        )
        .bind(chat.0)
        .bind(now)
        .fetch_one(&mut *c)
        .await?;
        let expires_at = expires_at.min(now + timer * 1000);
        let id = Uuid::new_v4();
        sqlx::query(
            "INSERT INTO messages (chat_id, seq, id, sender, epoch, kind, system, created_at, expires_at) \
             VALUES ($1, $2, $3, NULL, $4, 'system', $5, $6, $7)",
        )
        .bind(chat.0)
        .bind(seq)
        .bind(id)
        .bind(epoch)
        .bind(system)
        .bind(now)
        .bind(expires_at)
        .execute(&mut *c)
        .await?;
        Ok(MessageRow {
            chat_id: chat.0,
            seq,
            id,
            sender: None,
            epoch,
            kind: "system".into(),
            nonce: None,
            ciphertext: None,
            signature: None,
            system: Some(system.to_owned()),
            created_at: now,
            expires_at,
            deleted: 0,
        })
    }

    /// A group of the creator's connections; the creator is its admin.
    pub async fn create_group(
        c: &mut Conn, chat: ChatId, creator: UserId, members: &[UserId], now: i64, expires_at: i64,
    ) -> StoreResult<MessageRow> {
        if members.len() + 1 > MAX_GROUP_MEMBERS {
            return Err(rejected("group_full"));
        }
        for m in members {
            if *m == creator || !is_connected(&mut *c, creator, *m).await? {
                return Err(rejected("not_a_contact"));
            }
        }
        let (timer,): (i64,) = sqlx::query_as("SELECT default_timer_secs FROM users WHERE id = $1")
            .bind(creator.0)
            .fetch_one(&mut *c)
            .await?;
        sqlx::query(
            "INSERT INTO chats (id, kind, created_at, last_activity_at, timer_secs) VALUES ($1, 'group', $2, $3, $4)",
        )
        .bind(chat.0)
        .bind(now)
        .bind(now)
        .bind(timer)
        .execute(&mut *c)
        .await?;
        for (user, role) in std::iter::once((creator, "admin")).chain(members.iter().map(|m| (*m, "member"))) {
            sqlx::query(
                "INSERT INTO chat_members (chat_id, user_id, role, joined_at, joined_seq) VALUES ($1, $2, $3, $4, 0) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(chat.0)
            .bind(user.0)
            .bind(role)
            .bind(now)
            .execute(&mut *c)
            .await?;
        }
        let event = format!(r#"{{"event":"created","by":"{}"}}"#, creator.0);
        system_message(&mut *c, chat, &event, now, expires_at).await
    }

    /// Opens the next epoch with a wrapped key for exactly the current members.
    pub async fn open_epoch(
        c: &mut Conn, chat: ChatId, by: UserId, epoch: u32, keys: &[(UserId, Vec<u8>)], meta: Option<&str>, now: i64,
    ) -> StoreResult<()> {
        let current = chat_for(&mut *c, by, chat).await?;
        if i64::from(epoch) != current.epoch + 1 {
            return Err(rejected("epoch_conflict"));
        }
        let mut members = member_ids(&mut *c, chat).await?;
        let mut covered: Vec<UserId> = keys.iter().map(|(u, _)| *u).collect();
        members.sort();
        covered.sort();
        if members != covered {
            return Err(rejected("epoch_keys_mismatch"));
        }
        for (user, wrapped) in keys {
            sqlx::query(
                "INSERT INTO epoch_keys (chat_id, epoch, user_id, wrapped, opened_by, opened_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(chat.0)
            .bind(i64::from(epoch))
            .bind(user.0)
            .bind(wrapped)
            .bind(by.0)
            .bind(now)
            .execute(&mut *c)
            .await?;
        }
        sqlx::query(
            "UPDATE chats SET epoch = $2, epoch_opened_at = $3, rotation_required = 0, meta = COALESCE($4, meta) WHERE id = $1",
        )
        .bind(chat.0)
        .bind(i64::from(epoch))
        .bind(now)
        .bind(meta)
        .execute(&mut *c)
        .await?;
        Ok(())
    }

    pub async fn epoch_key(c: &mut Conn, chat: ChatId, user: UserId, epoch: u32) -> StoreResult<(Vec<u8>, Uuid, i64)> {
        sqlx::query_as("SELECT wrapped, opened_by, opened_at FROM epoch_keys WHERE chat_id = $1 AND epoch = $2 AND user_id = $3")
            .bind(chat.0)
            .bind(i64::from(epoch))
            .bind(user.0)
            .fetch_optional(&mut *c)
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// Admins add their own connections; the chat then needs a new epoch.
    pub async fn add_member(c: &mut Conn, chat: ChatId, by: UserId, user: UserId, now: i64, expires_at: i64) -> StoreResult<MessageRow> {
        let current = chat_for(&mut *c, by, chat).await?;
        if current.kind != "group" {
            return Err(rejected("not_a_group"));
        }
        if role_of(&mut *c, chat, by).await?.as_deref() != Some("admin") {
            return Err(rejected("not_admin"));
        }
        if !is_connected(&mut *c, by, user).await? {
            return Err(rejected("not_a_contact"));
        }
        if role_of(&mut *c, chat, user).await?.is_some() {
            return Err(rejected("already_member"));
        }
        if member_ids(&mut *c, chat).await?.len() >= MAX_GROUP_MEMBERS {
            return Err(rejected("group_full"));
        }
        sqlx::query(
            "INSERT INTO chat_members (chat_id, user_id, role, joined_at, joined_seq) VALUES ($1, $2, 'member', $3, $4)",
        )
        .bind(chat.0)
        .bind(user.0)
        .bind(now)
        .bind(current.seq)
        .execute(&mut *c)
        .await?;
        sqlx::query("UPDATE chats SET rotation_required = 1 WHERE id = $1").bind(chat.0).execute(&mut *c).await?;
        let event = format!(r#"{{"event":"joined","by":"{}","user_id":"{}"}}"#, by.0, user.0);
        system_message(&mut *c, chat, &event, now, expires_at).await
    }

    /// Admins remove others; anyone removes themselves. Returns the system message,
    /// or `None` when the chat is gone (its last member left).
    pub async fn remove_member(c: &mut Conn, chat: ChatId, by: UserId, user: UserId, now: i64, expires_at: i64) -> StoreResult<Option<MessageRow>> {
        let current = chat_for(&mut *c, by, chat).await?;
        if current.kind != "group" {
            return Err(rejected("not_a_group"));
        }
        if by != user && role_of(&mut *c, chat, by).await?.as_deref() != Some("admin") {
            return Err(rejected("not_admin"));
        }
        let done = sqlx::query("DELETE FROM chat_members WHERE chat_id = $1 AND user_id = $2")
            .bind(chat.0)
            .bind(user.0)
            .execute(&mut *c)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        if member_ids(&mut *c, chat).await?.is_empty() {
            sqlx::query("DELETE FROM chats WHERE id = $1").bind(chat.0).execute(&mut *c).await?;
            return Ok(None);
        }
        // A group always keeps an admin: the longest-standing member takes over.
        let (admins,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM chat_members WHERE chat_id = $1 AND role = 'admin'")
            .bind(chat.0)
            .fetch_one(&mut *c)
            .await?;
        if admins == 0 {
            sqlx::query(
                "UPDATE chat_members SET role = 'admin' WHERE chat_id = $1 AND user_id = \
                 (SELECT user_id FROM chat_members WHERE chat_id = $1 ORDER BY joined_at, user_id LIMIT 1)",
            )
            .bind(chat.0)
            .execute(&mut *c)
            .await?;
        }
        sqlx::query("UPDATE chats SET rotation_required = 1 WHERE id = $1").bind(chat.0).execute(&mut *c).await?;
        let event = if by == user {
            format!(r#"{{"event":"left","by":"{}"}}"#, by.0)
        } else {
            format!(r#"{{"event":"removed","by":"{}","user_id":"{}"}}"#, by.0, user.0)
        };
        Ok(Some(system_message(&mut *c, chat, &event, now, expires_at).await?))
    }

    pub async fn promote(c: &mut Conn, chat: ChatId, by: UserId, user: UserId, now: i64, expires_at: i64) -> StoreResult<MessageRow> {
        chat_for(&mut *c, by, chat).await?;
        if role_of(&mut *c, chat, by).await?.as_deref() != Some("admin") {
            return Err(rejected("not_admin"));
        }
        let done = sqlx::query("UPDATE chat_members SET role = 'admin' WHERE chat_id = $1 AND user_id = $2")
            .bind(chat.0)
            .bind(user.0)
            .execute(&mut *c)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let event = format!(r#"{{"event":"promoted","by":"{}","user_id":"{}"}}"#, by.0, user.0);
        system_message(&mut *c, chat, &event, now, expires_at).await
    }

    pub async fn set_meta(c: &mut Conn, chat: ChatId, by: UserId, epoch: u32, meta: &str, now: i64, expires_at: i64) -> StoreResult<MessageRow> {
        let current = chat_for(&mut *c, by, chat).await?;
        // Sealed under anything but the current epoch, new members could not read it.
        if i64::from(epoch) != current.epoch || current.rotation_required != 0 {
            return Err(rejected("epoch_stale"));
        }
        if current.kind != "group" {
            return Err(rejected("not_a_group"));
        }
        if role_of(&mut *c, chat, by).await?.as_deref() != Some("admin") {
            return Err(rejected("not_admin"));
        }
        sqlx::query("UPDATE chats SET meta = $2 WHERE id = $1").bind(chat.0).bind(meta).execute(&mut *c).await?;
        let event = format!(r#"{{"event":"renamed","by":"{}"}}"#, by.0);
        system_message(&mut *c, chat, &event, now, expires_at).await
    }

    /// Stores a message under the next sequence number, or finds the one already
    /// stored under the same id (a resend).
    pub async fn append(c: &mut Conn, m: &NewMessage) -> StoreResult<Appended> {
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
                return Err(rejected("duplicate_id"));
            }
            return Ok(Appended { row, duplicate: true, members: Vec::new() });
        }
        if m.is_stale(epoch, rotation_required, epoch_opened_at) {
            return Err(rejected("epoch_stale"));
        }
        let expires_at = m.expiry_in(timer_secs);
        let (seq,): (i64,) =
            sqlx::query_as("UPDATE chats SET seq = seq + 1, last_activity_at = $2 WHERE id = $1 RETURNING seq")
                .bind(m.chat_id.0)
                .bind(m.now)
                .fetch_one(&mut *c)
                .await?;
        sqlx::query(
            "INSERT INTO messages (chat_id, seq, id, sender, epoch, kind, nonce, ciphertext, signature, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, 'message', $6, $7, $8, $9, $10)",
        )
        .bind(m.chat_id.0)
        .bind(seq)
        .bind(m.id.0)
        .bind(m.sender.0)
        .bind(i64::from(m.epoch))
        .bind(&m.nonce)
        .bind(&m.ciphertext)
        .bind(&m.signature)
        .bind(m.now)
        .bind(expires_at)
        .execute(&mut *c)
        .await
        .map_err(|e| match crate::store::classify(e) {
            // Another message took the id between the lookup and here (PostgreSQL,
            // where appends to different chats run side by side).
            StoreError::Conflict(_) => rejected("duplicate_id"),
            e => e,
        })?;
        let row = m.row(seq, timer_secs);
        // Attachments: the sender's own unclaimed uploads to this chat, now bound to
        // the message's life.
        for blob in &m.blobs {
            let done = sqlx::query(
                "UPDATE blobs SET message_seq = $1, expires_at = $2 \
                 WHERE id = $3 AND chat_id = $4 AND uploader = $5 AND message_seq IS NULL AND expires_at > $6",
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
                return Err(rejected("invalid_blob"));
            }
        }
        let members = member_ids(&mut *c, m.chat_id).await?;
        Ok(Appended { row, duplicate: false, members })
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

    /// Sets the chat's disappearing-message timer: either member of a direct chat,
    /// only admins of a group.
    pub async fn set_timer(c: &mut Conn, chat: ChatId, by: UserId, secs: i64, now: i64, expires_at: i64) -> StoreResult<MessageRow> {
        let current = chat_for(&mut *c, by, chat).await?;
        if current.kind == "group" && role_of(&mut *c, chat, by).await?.as_deref() != Some("admin") {
            return Err(rejected("not_admin"));
        }
        sqlx::query("UPDATE chats SET timer_secs = $2 WHERE id = $1").bind(chat.0).bind(secs).execute(&mut *c).await?;
        let event = format!(r#"{{"event":"timer","by":"{}","seconds":{secs}}}"#, by.0);
        system_message(&mut *c, chat, &event, now, expires_at).await
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

    /// Read positions and activity times outlive nothing: once a chat has no message
    /// left, they are reset, so they cannot tell when or how far anyone read.
    pub async fn forget_read_state_of_empty_chats(c: &mut Conn) -> StoreResult<u64> {
        let done = sqlx::query(
            "UPDATE chat_members SET last_read_seq = 0 WHERE last_read_seq > 0 \
             AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.chat_id = chat_members.chat_id)",
        )
        .execute(&mut *c)
        .await?;
        sqlx::query(
            "UPDATE chats SET last_activity_at = created_at WHERE last_activity_at <> created_at \
             AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.chat_id = chats.id)",
        )
        .execute(&mut *c)
        .await?;
        Ok(done.rows_affected())
    }

    /// An epoch's keys go once it is no longer current and none of its messages
    /// remain: whatever copies of its ciphertext exist become unreadable.
    pub async fn delete_spent_epoch_keys(c: &mut Conn) -> StoreResult<u64> {
        let done = sqlx::query(
            "DELETE FROM epoch_keys WHERE \
               epoch < (SELECT ch.epoch FROM chats ch WHERE ch.id = epoch_keys.chat_id) \
               AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.chat_id = epoch_keys.chat_id AND m.epoch = epoch_keys.epoch)",
        )
        .execute(&mut *c)
        .await?;
        Ok(done.rows_affected())
    }

    /// The user's assistant chat, created on first use (they are its only member).
    pub async fn assistant_chat(c: &mut Conn, user: UserId, candidate: Uuid, now: i64) -> StoreResult<Uuid> {
        let found: Option<(Uuid,)> = sqlx::query_as(
            "SELECT ch.id FROM chats ch JOIN chat_members m ON m.chat_id = ch.id \
             WHERE ch.kind = 'assistant' AND m.user_id = $1",
        )
        .bind(user.0)
        .fetch_optional(&mut *c)
        .await?;
        if let Some((id,)) = found {
            return Ok(id);
        }
        sqlx::query(
            "INSERT INTO chats (id, kind, created_at, last_activity_at, timer_secs) \
             VALUES ($1, 'assistant', $2, $2, (SELECT default_timer_secs FROM users WHERE id = $3))",
        )
        .bind(candidate)
        .bind(now)
        .bind(user.0)
        .execute(&mut *c)
        .await?;
        sqlx::query("INSERT INTO chat_members (chat_id, user_id, role, joined_at) VALUES ($1, $2, 'member', $3)")
            .bind(candidate)
            .bind(user.0)
            .bind(now)
            .execute(&mut *c)
            .await?;
        Ok(candidate)
    }

    /// Moves `user`'s read position forward (never back, never past the end).
    pub async fn mark_read(c: &mut Conn, chat: ChatId, user: UserId, seq: i64) -> StoreResult<i64> {
        let row: Option<(i64,)> = sqlx::query_as(
            "UPDATE chat_members SET last_read_seq = CASE \
                WHEN last_read_seq >= $3 THEN last_read_seq \
                ELSE (SELECT CASE WHEN ch.seq < $3 THEN ch.seq ELSE $3 END FROM chats ch WHERE ch.id = $1) END \
             WHERE chat_id = $1 AND user_id = $2 RETURNING last_read_seq",
        )
        .bind(chat.0)
        .bind(user.0)
        .bind(seq)
        .fetch_optional(&mut *c)
        .await?;
        row.map(|(s,)| s).ok_or(StoreError::NotFound)
    }

    /// Members of `chat` other than `except` who turned on typing indicators
    /// (`typing`) or read receipts (otherwise).
    pub async fn members_opted_in(c: &mut Conn, chat: ChatId, except: UserId, typing: bool) -> StoreResult<Vec<UserId>> {
        let column = if typing { "u.typing_indicators" } else { "u.read_receipts" };
        let rows: Vec<(Uuid,)> = sqlx::query_as(&format!(
            "SELECT m.user_id FROM chat_members m JOIN users u ON u.id = m.user_id \
             WHERE m.chat_id = $1 AND m.user_id <> $2 AND {column} = 1"
        ))
        .bind(chat.0)
        .bind(except.0)
        .fetch_all(&mut *c)
        .await?;
        Ok(rows.into_iter().map(|(u,)| UserId(u)).collect())
    }

    pub async fn settings(c: &mut Conn, user: UserId) -> StoreResult<(i64, i64, i64)> {
        sqlx::query_as("SELECT typing_indicators, read_receipts, default_timer_secs FROM users WHERE id = $1")
            .bind(user.0)
            .fetch_optional(&mut *c)
            .await?
            .ok_or(StoreError::NotFound)
    }

    pub async fn set_settings(c: &mut Conn, user: UserId, typing: bool, receipts: bool, timer: i64) -> StoreResult<()> {
        sqlx::query("UPDATE users SET typing_indicators = $1, read_receipts = $2, default_timer_secs = $3 WHERE id = $4")
            .bind(i64::from(typing))
            .bind(i64::from(receipts))
            .bind(timer)
            .bind(user.0)
            .execute(&mut *c)
            .await?;
        Ok(())
    }

    /// Erases a message's content for everyone; its sequence number stays as a tombstone.
    pub async fn delete_message(c: &mut Conn, chat: ChatId, sender: UserId, id: MessageId) -> StoreResult<i64> {
        chat_for(&mut *c, sender, chat).await?;
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
        Ok(seq)
    }

    /// Stores an upload for a chat `uploader` is a member of.
    pub async fn insert_blob(
        c: &mut Conn, id: BlobId, chat: ChatId, uploader: UserId, data: &[u8], now: i64, expires_at: i64,
    ) -> StoreResult<()> {
        chat_for(&mut *c, uploader, chat).await?;
        sqlx::query(
            "INSERT INTO blobs (id, chat_id, uploader, size, data, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id.0)
        .bind(chat.0)
        .bind(uploader.0)
        .bind(data.len() as i64)
        .bind(data)
        .bind(now)
        .bind(expires_at)
        .execute(&mut *c)
        .await?;
        Ok(())
    }

    /// A blob's bytes, for a current member of its chat who may see its message
    /// (or its uploader, before a message takes it); NotFound otherwise.
    pub async fn blob_for(c: &mut Conn, user: UserId, id: BlobId, now: i64) -> StoreResult<Vec<u8>> {
        let row: Option<(Vec<u8>,)> = sqlx::query_as(
            "SELECT b.data FROM blobs b JOIN chat_members m ON m.chat_id = b.chat_id AND m.user_id = $1 \
             WHERE b.id = $2 AND b.expires_at > $3 \
               AND ((b.message_seq IS NOT NULL AND b.message_seq > m.joined_seq) OR b.uploader = $1)",
        )
        .bind(user.0)
        .bind(id.0)
        .bind(now)
        .fetch_optional(&mut *c)
        .await?;
        row.map(|(d,)| d).ok_or(StoreError::NotFound)
    }

    pub async fn delete_expired_blobs(c: &mut Conn, now: i64) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM blobs WHERE expires_at <= $1").bind(now).execute(&mut *c).await?;
        Ok(done.rows_affected())
    }
}

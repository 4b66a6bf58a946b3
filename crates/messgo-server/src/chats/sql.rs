//! Chat and member SQL, written once for both engines. Rules that
//! depend on the current state (membership, admin rights, epochs) are checked inside
//! the same transaction as the write they guard, and each change the members should
//! see leaves a system message in the chat's history.

use messgo_proto::{ChatId, UserId, MAX_GROUP_MEMBERS};
use uuid::Uuid;

use crate::connections::sql::pair;
use crate::messages::sql::{rejected, MessageRow};
use crate::refusal::Refusal;
use crate::store::{StoreError, StoreResult};

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

const CHAT_COLUMNS: &str =
    "ch.id, ch.kind, ch.epoch, ch.epoch_opened_at, ch.rotation_required, ch.seq, ch.meta, \
     ch.created_at, ch.last_activity_at, m.last_read_seq, ch.timer_secs, \
     (SELECT COUNT(*) FROM messages msg WHERE msg.chat_id = ch.id AND msg.seq > m.last_read_seq \
        AND msg.seq > m.joined_seq AND msg.kind = 'message' AND msg.deleted = 0 \
        AND (msg.sender IS NULL OR msg.sender <> m.user_id)) AS unread";
const MEMBER_SELECT: &str =
    "SELECT m.chat_id, m.user_id, u.username, m.role, m.joined_at, m.joined_seq, \
     u.x25519_public, u.ed25519_public FROM chat_members m JOIN users u ON u.id = m.user_id";

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


    /// The last sequence number of each of `user`'s chats: where a node that starts
    /// hearing the user's messages picks their order up.
    pub async fn chat_seqs_of(c: &mut Conn, user: UserId) -> StoreResult<Vec<(Uuid, i64)>> {
        Ok(sqlx::query_as(
            "SELECT ch.id, ch.seq FROM chats ch JOIN chat_members m ON m.chat_id = ch.id \
             WHERE m.user_id = $1",
        )
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


    pub async fn role_of(c: &mut Conn, chat: ChatId, user: UserId) -> StoreResult<Option<String>> {
        let row: Option<(String,)> = sqlx::query_as("SELECT role FROM chat_members WHERE chat_id = $1 AND user_id = $2")
            .bind(chat.0)
            .bind(user.0)
            .fetch_optional(&mut *c)
            .await?;
        Ok(row.map(|(r,)| r))
    }


    pub async fn is_connected(c: &mut Conn, a: UserId, b: UserId) -> StoreResult<bool> {
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
    pub async fn system_message(c: &mut Conn, chat: ChatId, system: &str, now: i64, expires_at: i64) -> StoreResult<MessageRow> {
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
            target: None,
            edited: 0,
        })
    }


    /// A group of the creator's connections; the creator is its admin.
    pub async fn create_group(
        c: &mut Conn, chat: ChatId, creator: UserId, members: &[UserId], now: i64, expires_at: i64,
    ) -> StoreResult<MessageRow> {
        if members.len() + 1 > MAX_GROUP_MEMBERS {
            return Err(rejected(Refusal::GroupFull));
        }
        for m in members {
            if *m == creator || !is_connected(&mut *c, creator, *m).await? {
                return Err(rejected(Refusal::NotAContact));
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


    /// Admins add their own connections; the chat then needs a new epoch.
    pub async fn add_member(c: &mut Conn, chat: ChatId, by: UserId, user: UserId, now: i64, expires_at: i64) -> StoreResult<MessageRow> {
        let current = chat_for(&mut *c, by, chat).await?;
        if current.kind != "group" {
            return Err(rejected(Refusal::NotAGroup));
        }
        if role_of(&mut *c, chat, by).await?.as_deref() != Some("admin") {
            return Err(rejected(Refusal::NotAdmin));
        }
        if !is_connected(&mut *c, by, user).await? {
            return Err(rejected(Refusal::NotAContact));
        }
        if role_of(&mut *c, chat, user).await?.is_some() {
            return Err(rejected(Refusal::AlreadyMember));
        }
        if member_ids(&mut *c, chat).await?.len() >= MAX_GROUP_MEMBERS {
            return Err(rejected(Refusal::GroupFull));
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
            return Err(rejected(Refusal::NotAGroup));
        }
        if by != user && role_of(&mut *c, chat, by).await?.as_deref() != Some("admin") {
            return Err(rejected(Refusal::NotAdmin));
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
            return Err(rejected(Refusal::NotAdmin));
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
            return Err(rejected(Refusal::EpochStale));
        }
        if current.kind != "group" {
            return Err(rejected(Refusal::NotAGroup));
        }
        if role_of(&mut *c, chat, by).await?.as_deref() != Some("admin") {
            return Err(rejected(Refusal::NotAdmin));
        }
        sqlx::query("UPDATE chats SET meta = $2 WHERE id = $1").bind(chat.0).bind(meta).execute(&mut *c).await?;
        let event = format!(r#"{{"event":"renamed","by":"{}"}}"#, by.0);
        system_message(&mut *c, chat, &event, now, expires_at).await
    }


    /// Sets the chat's disappearing-message timer: either member of a direct chat,
    /// only admins of a group.
    pub async fn set_timer(c: &mut Conn, chat: ChatId, by: UserId, secs: i64, now: i64, expires_at: i64) -> StoreResult<MessageRow> {
        let current = chat_for(&mut *c, by, chat).await?;
        if current.kind == "group" && role_of(&mut *c, chat, by).await?.as_deref() != Some("admin") {
            return Err(rejected(Refusal::NotAdmin));
        }
        sqlx::query("UPDATE chats SET timer_secs = $2 WHERE id = $1").bind(chat.0).bind(secs).execute(&mut *c).await?;
        let event = format!(r#"{{"event":"timer","by":"{}","seconds":{secs}}}"#, by.0);
        system_message(&mut *c, chat, &event, now, expires_at).await
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
}

//! Reactions and edits (docs/protocol.md "Reactions and edits"): the rules a
//! message that names a `target` must keep, checked in the transaction that stores
//! it, and what an edit or a deletion does to the messages that name a target. SQL
//! for both engines, called from `sql.rs`.

use messgo_proto::{ChatId, MessageId, MessageKind};

use crate::refusal::Refusal;
use crate::store::{StoreError, StoreResult};

use super::sql::{rejected, NewMessage};

/// The target as the rules read it.
#[derive(Debug, Clone, sqlx::FromRow)]
struct TargetRow {
    seq: i64,
    sender: Option<uuid::Uuid>,
    kind: String,
    deleted: i64,
    expires_at: i64,
}

/// Whether `m` may name `t` (seen by a member who joined after `joined_seq`): a
/// live chat message they can see, and for an edit one of their own; its expiry
/// is then the reaction's or the edit's.
fn judge(m: &NewMessage, t: Option<TargetRow>, joined_seq: i64) -> StoreResult<i64> {
    let t = t
        .filter(|t| {
            t.kind == "message" && t.deleted == 0 && t.expires_at > m.now && t.seq > joined_seq
        })
        .ok_or(rejected(Refusal::TargetNotFound))?;
    if m.kind == MessageKind::Edit && t.sender != Some(m.sender.0) {
        return Err(rejected(Refusal::NotYourMessage));
    }
    Ok(t.expires_at)
}

for_both_engines! {
    /// Checks `m`'s target (a reaction or an edit) and returns the expiry it takes
    /// from it. Run after the chat's counter is taken, so that a concurrent deletion
    /// of the target (PostgreSQL) has committed or waits.
    pub async fn check(c: &mut Conn, m: &NewMessage) -> StoreResult<i64> {
        let target = m.target.ok_or(StoreError::Rejected(Refusal::TargetNotFound))?;
        let (joined_seq,): (i64,) = sqlx::query_as(
            "SELECT joined_seq FROM chat_members WHERE chat_id = $1 AND user_id = $2",
        )
        .bind(m.chat_id.0)
        .bind(m.sender.0)
        .fetch_optional(&mut *c)
        .await?
        .ok_or(StoreError::NotFound)?;
        let row: Option<TargetRow> = sqlx::query_as(
            "SELECT seq, sender, kind, deleted, expires_at FROM messages WHERE id = $1 AND chat_id = $2",
        )
        .bind(target.0)
        .bind(m.chat_id.0)
        .fetch_optional(&mut *c)
        .await?;
        judge(m, row, joined_seq)
    }

    /// What an edit of `target` supersedes: the target's own sealed parts (it stays,
    /// `edited`; on SQLite a trigger queues its log record for erasure) and the
    /// previous edit, now a tombstone. Returns the tombstones' sequence numbers; the
    /// caller runs the erasure routine once this has committed.
    pub async fn supersede(c: &mut Conn, chat: ChatId, target: MessageId, edit_seq: i64) -> StoreResult<Vec<i64>> {
        sqlx::query(
            "UPDATE messages SET edited = 1, nonce = NULL, ciphertext = NULL, signature = NULL \
             WHERE chat_id = $1 AND id = $2",
        )
        .bind(chat.0)
        .bind(target.0)
        .execute(&mut *c)
        .await?;
        let gone: Vec<(i64,)> = sqlx::query_as(
            "UPDATE messages SET deleted = 1, nonce = NULL, ciphertext = NULL, signature = NULL \
             WHERE target = $1 AND chat_id = $2 AND kind = 'edit' AND deleted = 0 AND seq <> $3 RETURNING seq",
        )
        .bind(target.0)
        .bind(chat.0)
        .bind(edit_seq)
        .fetch_all(&mut *c)
        .await?;
        Ok(gone.into_iter().map(|(s,)| s).collect())
    }

    /// Deletes (tombstones) the reactions and edits of a message just deleted;
    /// returns their sequence numbers.
    pub async fn delete_dependents(c: &mut Conn, chat: ChatId, target: MessageId) -> StoreResult<Vec<i64>> {
        let gone: Vec<(i64,)> = sqlx::query_as(
            "UPDATE messages SET deleted = 1, nonce = NULL, ciphertext = NULL, signature = NULL \
             WHERE target = $1 AND chat_id = $2 AND deleted = 0 RETURNING seq",
        )
        .bind(target.0)
        .bind(chat.0)
        .fetch_all(&mut *c)
        .await?;
        Ok(gone.into_iter().map(|(s,)| s).collect())
    }
}

/// Whether a send of `kind` names a target as it must, and carries no blobs where
/// it may not: checked before the store is asked.
pub fn shape_problem(
    kind: MessageKind,
    target: Option<MessageId>,
    blobs: usize,
) -> Option<(&'static str, &'static str)> {
    match kind {
        MessageKind::Message if target.is_some() => {
            Some(("target", "is only for a reaction or an edit"))
        }
        MessageKind::Message => None,
        MessageKind::System => Some(("kind", "must be message, reaction or edit")),
        MessageKind::Reaction | MessageKind::Edit if target.is_none() => Some((
            "target",
            "must name the message a reaction or an edit is about",
        )),
        MessageKind::Reaction | MessageKind::Edit if blobs > 0 => {
            Some(("blobs", "must be empty on a reaction or an edit"))
        }
        MessageKind::Reaction | MessageKind::Edit => None,
    }
}

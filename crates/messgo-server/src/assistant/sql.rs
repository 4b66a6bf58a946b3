//! The assistant chat's SQL: each account has one, created on first use.

use messgo_proto::UserId;
use uuid::Uuid;

use crate::store::StoreResult;

for_both_engines! {

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
}

//! The operator's reads, written once for both engines (see `for_both_engines!`):
//! counts and the account list. None of them reads a message, a key, a contact or a
//! chat's members.

use crate::store::StoreResult;

use super::protocol::{Stats, UserSummary};

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

for_both_engines! {
    /// Accounts, and disabled accounts.
    pub async fn user_counts(c: &mut Conn) -> StoreResult<(u64, u64)> {
        let (all, disabled): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), COUNT(disabled_at) FROM users",
        )
        .fetch_one(&mut *c)
        .await?;
        Ok((count(all), count(disabled)))
    }

    /// A page of accounts by username, after `after`.
    pub async fn users_page(c: &mut Conn, after: &str, limit: i64) -> StoreResult<Vec<UserSummary>> {
        let rows: Vec<(String, i64, Option<i64>, Option<i64>)> = sqlx::query_as(
            "SELECT u.username, u.created_at, \
                    (SELECT MAX(s.last_seen_at) FROM sessions s WHERE s.user_id = u.id), \
                    u.disabled_at \
             FROM users u WHERE u.username > $1 ORDER BY u.username LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&mut *c)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(username, created_at, last_seen_at, disabled_at)| UserSummary {
                username,
                created_at,
                last_seen_at,
                disabled: disabled_at.is_some(),
            })
            .collect())
    }

    /// Server-wide totals (sockets are the caller's to add).
    pub async fn totals(c: &mut Conn) -> StoreResult<Stats> {
        let (accounts, disabled, sessions, chats, messages, bytes): (i64, i64, i64, i64, i64, i64) =
            sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM users), \
                        (SELECT COUNT(disabled_at) FROM users), \
                        (SELECT COUNT(*) FROM sessions), \
                        (SELECT COUNT(*) FROM chats), \
                        (SELECT COUNT(*) FROM messages WHERE kind = 'message' AND deleted = 0), \
                        (SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM blobs)",
            )
            .fetch_one(&mut *c)
            .await?;
        Ok(Stats {
            accounts: count(accounts),
            disabled_accounts: count(disabled),
            sessions: count(sessions),
            chats: count(chats),
            messages: count(messages),
            attachment_bytes: count(bytes),
            sockets_open: 0,
        })
    }
}

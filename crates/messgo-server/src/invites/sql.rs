//! The invites' SQL, written once for both engines (see `for_both_engines!`): making,
//! listing and revoking invites, the sweep, and the sign-up that spends one.

use messgo_proto::{InviteId, UserId};
use uuid::Uuid;

use crate::accounts::sql::UserRecord;
use crate::refusal::Refusal;
use crate::store::{StoreError, StoreResult};

/// An invite as stored: the code only as its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct InviteRow {
    pub id: Uuid,
    pub uses: i64,
    pub uses_left: i64,
    pub created_at: i64,
    pub expires_at: i64,
}

/// A new invite, with the most live ones its inviter may hold.
#[derive(Debug, Clone)]
pub struct NewInvite {
    pub id: InviteId,
    pub code_hash: Vec<u8>,
    /// None: the operator's.
    pub inviter: Option<UserId>,
    pub uses: u32,
    pub now: i64,
    pub expires_at: i64,
    pub live_limit: usize,
}

/// What spending an invite made: whom the new account is now connected to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invited {
    pub inviter: Option<UserId>,
}

for_both_engines! {
    uses(crate::accounts::sql as accounts_sql, crate::connections::sql as connections_sql);

    /// Stores the invite, unless its inviter holds `live_limit` live ones already
    /// (then `Ok(false)`). The inviter's row is touched first: on PostgreSQL that
    /// locks it, so two invites made at once are counted one after the other (the
    /// SQLite writer runs one job at a time anyway).
    pub async fn create_invite(c: &mut Conn, new: &NewInvite) -> StoreResult<bool> {
        if let Some(inviter) = new.inviter {
            let done = sqlx::query("UPDATE users SET created_at = created_at WHERE id = $1")
                .bind(inviter.0)
                .execute(&mut *c)
                .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            let (live,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM invites WHERE inviter = $1 AND expires_at > $2",
            )
            .bind(inviter.0)
            .bind(new.now)
            .fetch_one(&mut *c)
            .await?;
            if usize::try_from(live).unwrap_or(usize::MAX) >= new.live_limit {
                return Ok(false);
            }
        }
        sqlx::query(
            "INSERT INTO invites (id, code_hash, inviter, uses, uses_left, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(new.id.0)
        .bind(&new.code_hash)
        .bind(new.inviter.map(|u| u.0))
        .bind(i64::from(new.uses))
        .bind(i64::from(new.uses))
        .bind(new.now)
        .bind(new.expires_at)
        .execute(&mut *c)
        .await
        .map_err(crate::store::classify)?;
        Ok(true)
    }

    /// The live invites `inviter` made, newest first (None: the operator's).
    pub async fn invites_of(c: &mut Conn, inviter: Option<UserId>, now: i64) -> StoreResult<Vec<InviteRow>> {
        const COLUMNS: &str = "SELECT id, uses, uses_left, created_at, expires_at FROM invites";
        let rows: Vec<InviteRow> = match inviter {
            Some(inviter) => sqlx::query_as(&format!(
                "{COLUMNS} WHERE inviter = $1 AND expires_at > $2 ORDER BY created_at DESC, id"
            ))
            .bind(inviter.0)
            .bind(now)
            .fetch_all(&mut *c)
            .await?,
            None => sqlx::query_as(&format!(
                "{COLUMNS} WHERE inviter IS NULL AND expires_at > $1 ORDER BY created_at DESC, id"
            ))
            .bind(now)
            .fetch_all(&mut *c)
            .await?,
        };
        Ok(rows)
    }

    /// Deletes one of `inviter`'s invites (None: one of the operator's); anyone
    /// else's is NotFound.
    pub async fn revoke_invite(c: &mut Conn, id: InviteId, inviter: Option<UserId>) -> StoreResult<()> {
        let done = sqlx::query(
            "DELETE FROM invites WHERE id = $1 AND (inviter = $2 OR (inviter IS NULL AND $2 IS NULL))",
        )
        .bind(id.0)
        .bind(inviter.map(|u| u.0))
        .execute(&mut *c)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Whether a live invite has this code's hash: a cheap look before the costly
    /// work of a sign-up. Only [`register_invited`] spends it.
    pub async fn invite_is_live(c: &mut Conn, code_hash: &[u8], now: i64) -> StoreResult<bool> {
        let (live,): (bool,) = sqlx::query_as(
            "SELECT EXISTS(SELECT 1 FROM invites WHERE code_hash = $1 AND expires_at > $2)",
        )
        .bind(code_hash)
        .bind(now)
        .fetch_one(&mut *c)
        .await?;
        Ok(live)
    }

    /// Creates the account and spends one use of the invite in one transaction (a
    /// sign-up refused later, say for a taken username, rolls the use back), and
    /// connects the new account to the inviter. The use is taken by one UPDATE that
    /// checks what is left: PostgreSQL makes a second UPDATE of the row wait for the
    /// first to commit and then re-checks it, and SQLite's writer runs one job at a
    /// time, so an N-use invite signs up N people at most. The invite is checked
    /// before the username, so a bad invite tells nothing about accounts.
    pub async fn register_invited(c: &mut Conn, user: &UserRecord, code_hash: &[u8], new_chat: Uuid) -> StoreResult<Invited> {
        let spent: Option<(Uuid, Option<Uuid>, i64)> = sqlx::query_as(
            "UPDATE invites SET uses_left = uses_left - 1 \
             WHERE code_hash = $1 AND expires_at > $2 AND uses_left > 0 \
             RETURNING id, inviter, uses_left",
        )
        .bind(code_hash)
        .bind(user.created_at)
        .fetch_optional(&mut *c)
        .await?;
        let Some((id, inviter, left)) = spent else {
            return Err(StoreError::Rejected(Refusal::InviteInvalid));
        };
        if left == 0 {
            sqlx::query("DELETE FROM invites WHERE id = $1").bind(id).execute(&mut *c).await?;
        }
        accounts_sql::create_user(&mut *c, user).await?;
        let inviter = inviter.map(UserId);
        if let Some(inviter) = inviter {
            connections_sql::connect_pair(&mut *c, inviter, user.id, new_chat, user.created_at).await?;
        }
        Ok(Invited { inviter })
    }

    /// Expired invites.
    pub async fn sweep_invites(c: &mut Conn, now: i64) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM invites WHERE expires_at <= $1").bind(now).execute(&mut *c).await?;
        Ok(done.rows_affected())
    }
}

//! The profile's SQL: name, bio and avatar, written once for both engines.

use messgo_proto::UserId;

use crate::connections::sql::pair;
use crate::store::{StoreError, StoreResult};

/// bytes, type, updated at: all set, or all null when there is no avatar.
type AvatarRow = (Option<Vec<u8>>, Option<String>, Option<i64>);

/// An avatar image, its content type, and when it was set (its ETag).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Avatar {
    pub bytes: Vec<u8>,
    pub content_type: String,
    pub updated_at: i64,
}

for_both_engines! {

    pub async fn set_profile(c: &mut Conn, me: UserId, name: Option<&str>, bio: Option<&str>) -> StoreResult<()> {
        sqlx::query("UPDATE users SET display_name = $1, bio = $2 WHERE id = $3")
            .bind(name)
            .bind(bio)
            .bind(me.0)
            .execute(&mut *c)
            .await?;
        Ok(())
    }


    /// Sets (or with `None`, removes) the user's avatar image.
    pub async fn set_avatar(c: &mut Conn, me: UserId, image: Option<(&[u8], &str)>, now: i64) -> StoreResult<()> {
        sqlx::query("UPDATE users SET avatar = $1, avatar_type = $2, avatar_updated_at = $3 WHERE id = $4")
            .bind(image.map(|(b, _)| b))
            .bind(image.map(|(_, t)| t))
            .bind(image.map(|_| now))
            .bind(me.0)
            .execute(&mut *c)
            .await?;
        Ok(())
    }


    /// A user's avatar, for themselves or a connection; NotFound for anyone else.
    pub async fn avatar_for(c: &mut Conn, viewer: UserId, user: UserId) -> StoreResult<Avatar> {
        let (a, b) = pair(viewer, user);
        let row: Option<AvatarRow> = sqlx::query_as(
            "SELECT avatar, avatar_type, avatar_updated_at FROM users WHERE id = $1 \
             AND ($1 = $2 OR EXISTS(SELECT 1 FROM connections WHERE user_a = $3 AND user_b = $4))",
        )
        .bind(user.0)
        .bind(viewer.0)
        .bind(a)
        .bind(b)
        .fetch_optional(&mut *c)
        .await?;
        match row {
            Some((Some(bytes), Some(content_type), Some(updated_at))) => {
                Ok(Avatar { bytes, content_type, updated_at })
            }
            _ => Err(StoreError::NotFound),
        }
    }
}

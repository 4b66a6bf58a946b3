//! The profile: a display name, a bio and an avatar, seen by the account itself and
//! its contacts only. Contacts see a change at once; nobody else can see it at all.

use std::sync::Arc;

use messgo_proto::{
    is_shown_char, Profile, ServerEvent, UserId, AVATAR_MAX_BYTES, BIO_MAX, DISPLAY_NAME_MAX,
};

pub mod pictures;
pub mod sql;

use crate::accounts::sql as accounts_sql;
use crate::bus::{notify, Bus};
use crate::clock::Clock;
use crate::connections::contact_view;
use crate::connections::contacts_sql;
use crate::service::{rule, ServiceError, ServiceResult};
use crate::sessions::AuthContext;
use crate::store::Db;

pub struct Profiles {
    db: Db,
    bus: Arc<dyn Bus>,
    clock: Arc<dyn Clock>,
}

impl Profiles {
    pub fn new(db: Db, bus: Arc<dyn Bus>, clock: Arc<dyn Clock>) -> Self {
        Profiles { db, bus, clock }
    }

    /// Contacts see the new profile at once; nobody else can see it at all.
    pub async fn set_profile(&self, who: AuthContext, profile: Profile) -> ServiceResult<Profile> {
        let clean = |v: Option<String>| v.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
        let (name, bio) = (clean(profile.display_name), clean(profile.bio));
        if let Some(n) = &name {
            if n.chars().count() > DISPLAY_NAME_MAX {
                return Err(invalid("display_name", "must be at most 64 characters"));
            }
            if !n.chars().all(|c| is_shown_char(c, &[])) {
                return Err(invalid("display_name", INVISIBLE));
            }
        }
        if let Some(b) = &bio {
            if b.chars().count() > BIO_MAX {
                return Err(invalid("bio", "must be at most 160 characters"));
            }
            if !b.chars().all(|c| is_shown_char(c, &['\n'])) {
                return Err(invalid("bio", INVISIBLE));
            }
        }
        {
            let (name, bio) = (name.clone(), bio.clone());
            db_run!(
                self.db,
                write,
                sql::set_profile(who.user_id, name.as_deref(), bio.as_deref())
            )?
        };
        self.profile_changed(who).await?;
        Ok(Profile {
            display_name: name,
            bio,
        })
    }

    /// A JPEG, PNG or WebP of at most 256 KiB (the client crops and resizes first).
    pub async fn set_avatar(&self, who: AuthContext, image: Option<Vec<u8>>) -> ServiceResult<()> {
        let image = match image {
            Some(bytes) => {
                if bytes.len() > AVATAR_MAX_BYTES {
                    return Err(ServiceError::TooLarge("avatar"));
                }
                let kind = image_type(&bytes).ok_or(ServiceError::InvalidField {
                    field: "avatar",
                    problem: "must be a JPEG, PNG or WebP image",
                })?;
                Some((bytes, kind.to_owned()))
            }
            None => None,
        };
        {
            let now = self.clock.now_ms();
            db_run!(
                self.db,
                write,
                sql::set_avatar(
                    who.user_id,
                    image.as_ref().map(|(b, t)| (b.as_slice(), t.as_str())),
                    now
                )
            )?
        };
        self.profile_changed(who).await
    }

    pub async fn avatar(&self, who: AuthContext, user: UserId) -> ServiceResult<sql::Avatar> {
        db_run!(self.db, read, sql::avatar_for(who.user_id, user)).map_err(rule)
    }

    async fn profile_changed(&self, who: AuthContext) -> ServiceResult<()> {
        let me = db_run!(self.db, read, accounts_sql::user_by_id(who.user_id))?;
        let event = ServerEvent::ProfileUpdated {
            display_name: me.display_name,
            bio: me.bio,
            avatar_updated_at: me.avatar_updated_at,
        };
        notify(&*self.bus, [who.user_id], &event);
        for contact in db_run!(self.db, read, contacts_sql::contacts(who.user_id, None))? {
            let viewer = UserId(contact.user_id);
            if let Ok(me_for_them) = contact_view(&self.db, viewer, who.user_id).await {
                notify(
                    &*self.bus,
                    [viewer],
                    &ServerEvent::ContactUpdated {
                        contact: me_for_them,
                    },
                );
            }
        }
        Ok(())
    }
}

/// Why text with a control or invisible format character is refused: such characters
/// can make a name read as someone else's (U+202E reverses what follows it).
const INVISIBLE: &str = "must not contain control characters or invisible formatting characters \
     (such as right-to-left overrides or zero-width spaces)";

fn invalid(field: &'static str, problem: &'static str) -> ServiceError {
    ServiceError::InvalidField { field, problem }
}

/// Recognises the image formats avatars may have, by their first bytes.
pub(crate) fn image_type(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [0xff, 0xd8, 0xff, ..] => Some("image/jpeg"),
        [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, ..] => Some("image/png"),
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Some("image/webp"),
        _ => None,
    }
}

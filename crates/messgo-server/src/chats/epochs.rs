//! Epochs: a chat's key changes with its members (and with age). Whoever opens the
//! next epoch wraps its key to every member; the server keeps the wrapped keys.

use messgo_proto::{ChatId, EpochKey, EpochOpened, OpenEpoch, ServerEvent, UserId};

use super::{epochs_sql, sql, Chats};
use crate::bus::notify;
use crate::messages::check_sealed;
use crate::service::{rule, ServiceError, ServiceResult};
use crate::sessions::AuthContext;

impl Chats {
    pub async fn open_epoch(
        &self,
        who: AuthContext,
        chat: ChatId,
        req: OpenEpoch,
    ) -> ServiceResult<EpochOpened> {
        let mut keys = Vec::with_capacity(req.keys.len());
        for k in req.keys {
            if k.wrapped.len() != 80 {
                return Err(ServiceError::InvalidField {
                    field: "keys",
                    problem: "must hold 80-byte wrapped keys",
                });
            }
            keys.push((k.user_id, k.wrapped.0));
        }
        let meta = match req.meta {
            Some(m) => {
                check_sealed(&m.nonce.0, &m.signature.0, &m.ciphertext.0)?;
                if m.epoch != req.epoch || m.sender != who.user_id {
                    return Err(ServiceError::InvalidField {
                        field: "meta",
                        problem: "must be sealed by you under the new epoch",
                    });
                }
                Some(serde_json::to_string(&m).expect("Sealed serializes"))
            }
            None => None,
        };
        let now = self.clock.now_ms();
        {
            let (by, epoch, keys) = (who.user_id, req.epoch, keys.clone());
            db_run!(
                self.db,
                write,
                epochs_sql::open_epoch(chat, by, epoch, &keys, meta.as_deref(), now)
            )
            .map_err(rule)?;
        }
        for (user, wrapped) in keys {
            let event = ServerEvent::EpochOpened {
                chat_id: chat,
                epoch: req.epoch,
                wrapped: wrapped.into(),
            };
            notify(&*self.bus, [user], &event);
        }
        self.announce(chat, None).await?;
        Ok(EpochOpened { epoch: req.epoch })
    }

    pub async fn epoch_key(
        &self,
        who: AuthContext,
        chat: ChatId,
        epoch: u32,
    ) -> ServiceResult<EpochKey> {
        db_run!(self.db, read, sql::chat_for(who.user_id, chat)).map_err(rule)?;
        let key = db_run!(
            self.db,
            read,
            epochs_sql::epoch_key(chat, who.user_id, epoch)
        )
        .map_err(rule)?;
        Ok(EpochKey {
            epoch,
            wrapped: key.wrapped.into(),
            opened_by: UserId(key.opened_by),
            opened_at: key.opened_at,
        })
    }
}

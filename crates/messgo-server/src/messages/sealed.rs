//! Where a chat message's sealed parts (nonce, ciphertext, signature) are kept: on
//! SQLite in the message log (store/log/), sealed again under its expiry bucket's
//! key, so that an expired message is unreadable even in the disk's free blocks;
//! on PostgreSQL in the row. The row itself, without them, stays in the database,
//! where membership, unread counts and deletions read it.

use crate::store::log::{LogRow, MessageLog, Place};
use crate::store::{Db, StoreResult};

use super::sql::MessageRow;

/// The log that keeps the sealed parts, if the engine has one.
pub fn log_of(db: &Db) -> Option<MessageLog> {
    match db {
        Db::Sqlite(engine) => engine.log().cloned(),
        Db::Postgres(_) => None,
    }
}

/// What the log keeps of a new chat message.
pub fn log_row(r: &MessageRow) -> LogRow {
    LogRow {
        chat_id: r.chat_id,
        seq: r.seq,
        id: r.id,
        sender: r.sender,
        epoch: r.epoch,
        system: None,
        nonce: r.nonce.clone(),
        ciphertext: r.ciphertext.clone(),
        signature: r.signature.clone(),
        created_at: r.created_at,
        expires_at: r.expires_at,
        deleted: false,
        blobs: Vec::new(),
    }
}

/// A row whose sealed parts are in the log: a chat message, neither deleted nor
/// replaced by an edit, stored without them. Reactions and edits keep theirs in
/// the row (migration sqlite 0015).
fn in_log(r: &MessageRow) -> bool {
    r.kind == "message" && r.deleted == 0 && r.edited == 0 && r.ciphertext.is_none()
}

pub fn place(r: &MessageRow) -> Place {
    (r.chat_id, r.seq, r.id)
}

/// Fills in the sealed parts of the rows that keep them in the log. A row the log
/// has no live record for (its bucket erased at expiry while the row waits for the
/// sweep, or erased by a deletion the row does not show yet) is shown deleted:
/// nothing of it can be read any more.
pub async fn fill(db: &Db, mut rows: Vec<MessageRow>) -> StoreResult<Vec<MessageRow>> {
    let Some(log) = log_of(db) else {
        return Ok(rows);
    };
    let wanted: Vec<usize> = (0..rows.len()).filter(|&i| in_log(&rows[i])).collect();
    let places = wanted.iter().map(|&i| place(&rows[i])).collect();
    for (i, found) in wanted.into_iter().zip(log.read(places).await?) {
        let row = &mut rows[i];
        match found {
            Some(sealed) => {
                row.nonce = sealed.nonce;
                row.ciphertext = sealed.ciphertext;
                row.signature = sealed.signature;
            }
            None => row.deleted = 1,
        }
    }
    Ok(rows)
}

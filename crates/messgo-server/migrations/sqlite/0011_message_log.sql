-- Chat messages' sealed parts move to the message log (store/log/): new rows keep
-- nonce, ciphertext and signature NULL. Whatever deletes a message's row or content
-- (delete for everyone, an account's deletion, a chat's removal by cascade, the
-- expiry sweep) leaves its place here, in the same transaction, and the erasure
-- routine and the sweep erase its record in the log in place (store/sqlite_log.rs).
-- An expired message's bucket goes whole later (its key destroyed); erasing it at
-- the sweep keeps "gone at expiry" exact to the sweep, not to the bucket's end.
CREATE TABLE log_erasures (
    chat_id BLOB NOT NULL,
    seq     INTEGER NOT NULL,
    id      BLOB NOT NULL
) STRICT;

CREATE TRIGGER messages_deleted_erase_log AFTER UPDATE OF deleted ON messages
WHEN new.deleted = 1 AND old.deleted = 0 AND old.kind = 'message' AND old.ciphertext IS NULL
BEGIN
    INSERT INTO log_erasures (chat_id, seq, id) VALUES (old.chat_id, old.seq, old.id);
END;

CREATE TRIGGER messages_removed_erase_log AFTER DELETE ON messages
WHEN old.kind = 'message' AND old.deleted = 0 AND old.ciphertext IS NULL
BEGIN
    INSERT INTO log_erasures (chat_id, seq, id) VALUES (old.chat_id, old.seq, old.id);
END;

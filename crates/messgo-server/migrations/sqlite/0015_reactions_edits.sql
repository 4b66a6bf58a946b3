-- Reactions and edits (docs/protocol.md "Reactions and edits"): two more kinds of
-- message, each naming its `target` (a message id of the same chat), and `edited` on
-- a message an edit replaced (its sealed parts erased). SQLite cannot alter a CHECK,
-- so the table is rebuilt as in 0009, with its indexes and 0011's triggers.
-- Reactions and edits keep their sealed parts in the row, not in the message log:
-- the log's crash redo knows only plain messages, and a deleted row's bytes are
-- overwritten (secure_delete) and its pages given back by the erasure routine.
CREATE TABLE messages_new (
    chat_id    BLOB NOT NULL REFERENCES chats(id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    seq        INTEGER NOT NULL,
    id         BLOB NOT NULL,
    sender     BLOB REFERENCES users(id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED,
    epoch      INTEGER NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('message', 'system', 'reaction', 'edit')),
    nonce      BLOB,
    ciphertext BLOB,
    signature  BLOB,
    system     TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    deleted    INTEGER NOT NULL DEFAULT 0,
    target     BLOB,
    edited     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (chat_id, seq)
) STRICT;
INSERT INTO messages_new
SELECT chat_id, seq, id, sender, epoch, kind, nonce, ciphertext, signature, system,
       created_at, expires_at, deleted, NULL, 0
FROM messages;
DROP TABLE messages;
ALTER TABLE messages_new RENAME TO messages;
CREATE UNIQUE INDEX messages_id ON messages(id);
CREATE INDEX messages_expiry ON messages(expires_at);
-- A target's reactions and edits, found when it is edited or deleted.
CREATE INDEX messages_target ON messages(target) WHERE target IS NOT NULL;

CREATE TRIGGER messages_deleted_erase_log AFTER UPDATE OF deleted ON messages
WHEN new.deleted = 1 AND old.deleted = 0 AND old.kind = 'message' AND old.ciphertext IS NULL
     AND old.edited = 0
BEGIN
    INSERT INTO log_erasures (chat_id, seq, id) VALUES (old.chat_id, old.seq, old.id);
END;

CREATE TRIGGER messages_removed_erase_log AFTER DELETE ON messages
WHEN old.kind = 'message' AND old.deleted = 0 AND old.ciphertext IS NULL AND old.edited = 0
BEGIN
    INSERT INTO log_erasures (chat_id, seq, id) VALUES (old.chat_id, old.seq, old.id);
END;

-- An edit supersedes its target's content: its record in the log is erased like a
-- deleted message's.
CREATE TRIGGER messages_edited_erase_log AFTER UPDATE OF edited ON messages
WHEN new.edited = 1 AND old.edited = 0 AND old.kind = 'message' AND old.deleted = 0
     AND old.ciphertext IS NULL
BEGIN
    INSERT INTO log_erasures (chat_id, seq, id) VALUES (old.chat_id, old.seq, old.id);
END;

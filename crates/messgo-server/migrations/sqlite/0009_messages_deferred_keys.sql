-- A message's foreign keys are checked when its transaction commits, not after each
-- row. An INSERT of many rows whose constraints may abort it mid-way makes SQLite copy
-- every page it changes into a statement journal first, to undo its own earlier rows;
-- that copy was 6% of the server's time under load. The batch append (store/batch.rs)
-- inserts with OR FAIL, so only the keys could abort it, and checked at commit they
-- cannot. The writer rolls back a failed job as a whole, so nothing of it stays.
-- SQLite cannot alter a constraint, so the table is rebuilt.
CREATE TABLE messages_new (
    chat_id    BLOB NOT NULL REFERENCES chats(id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    seq        INTEGER NOT NULL,
    id         BLOB NOT NULL,             -- chosen by the sender; resends are idempotent
    sender     BLOB REFERENCES users(id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED,
    epoch      INTEGER NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('message', 'system')),
    nonce      BLOB,
    ciphertext BLOB,
    signature  BLOB,
    system     TEXT,                      -- JSON: who did what, never content
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    deleted    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (chat_id, seq)
) STRICT;
INSERT INTO messages_new
SELECT chat_id, seq, id, sender, epoch, kind, nonce, ciphertext, signature, system,
       created_at, expires_at, deleted
FROM messages;
DROP TABLE messages;
ALTER TABLE messages_new RENAME TO messages;
CREATE UNIQUE INDEX messages_id ON messages(id);
CREATE INDEX messages_expiry ON messages(expires_at);

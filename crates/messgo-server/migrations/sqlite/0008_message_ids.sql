-- A message id is unique on its own, no longer per chat. Every commit rewrote a page of
-- the (chat_id, id) index for each chat it touched; one index over `id` alone takes
-- time-ordered ids (our clients mint UUIDv7) at its right edge, one page per commit.
-- SQLite cannot drop a table constraint, so the table is rebuilt.
CREATE TABLE messages_new (
    chat_id    BLOB NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    id         BLOB NOT NULL,             -- chosen by the sender; resends are idempotent
    sender     BLOB REFERENCES users(id) ON DELETE SET NULL,
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
-- Ids are random 128-bit values, so only a client reusing its own id in a second chat
-- could have stored one twice; the first copy is kept.
INSERT INTO messages_new
SELECT chat_id, seq, id, sender, epoch, kind, nonce, ciphertext, signature, system,
       created_at, expires_at, deleted
FROM messages WHERE rowid IN (SELECT min(rowid) FROM messages GROUP BY id);
DROP TABLE messages;
ALTER TABLE messages_new RENAME TO messages;
CREATE UNIQUE INDEX messages_id ON messages(id);
CREATE INDEX messages_expiry ON messages(expires_at);

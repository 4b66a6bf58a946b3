ALTER TABLE chats ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;
ALTER TABLE chats ADD COLUMN epoch_opened_at INTEGER NOT NULL DEFAULT 0;
-- 1 until a member opens an epoch covering exactly the current members.
ALTER TABLE chats ADD COLUMN rotation_required INTEGER NOT NULL DEFAULT 1;
ALTER TABLE chats ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
-- The group's name, sealed under the current epoch (JSON of a Sealed); never plaintext.
ALTER TABLE chats ADD COLUMN meta TEXT;
ALTER TABLE chats ADD COLUMN last_activity_at INTEGER NOT NULL DEFAULT 0;
-- Members are served messages after this sequence number only.
ALTER TABLE chat_members ADD COLUMN joined_seq INTEGER NOT NULL DEFAULT 0;

CREATE TABLE epoch_keys (
    chat_id   BLOB NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    epoch     INTEGER NOT NULL,
    user_id   BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    wrapped   BLOB NOT NULL,              -- HPKE-wrapped epoch key for this member
    opened_by BLOB NOT NULL,
    opened_at INTEGER NOT NULL,
    PRIMARY KEY (chat_id, epoch, user_id)
) STRICT;

CREATE TABLE messages (
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
    PRIMARY KEY (chat_id, seq),
    UNIQUE (chat_id, id)
) STRICT;
CREATE INDEX messages_expiry ON messages(expires_at);

ALTER TABLE chats ADD COLUMN epoch BIGINT NOT NULL DEFAULT 0;
ALTER TABLE chats ADD COLUMN epoch_opened_at BIGINT NOT NULL DEFAULT 0;
-- 1 until a member opens an epoch covering exactly the current members.
ALTER TABLE chats ADD COLUMN rotation_required BIGINT NOT NULL DEFAULT 1;
ALTER TABLE chats ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
-- The group's name, sealed under the current epoch (JSON of a Sealed); never plaintext.
ALTER TABLE chats ADD COLUMN meta TEXT;
ALTER TABLE chats ADD COLUMN last_activity_at BIGINT NOT NULL DEFAULT 0;
-- Members are served messages after this sequence number only.
ALTER TABLE chat_members ADD COLUMN joined_seq BIGINT NOT NULL DEFAULT 0;

CREATE TABLE epoch_keys (
    chat_id   UUID NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    epoch     BIGINT NOT NULL,
    user_id   UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    wrapped   BYTEA NOT NULL,              -- HPKE-wrapped epoch key for this member
    opened_by UUID NOT NULL,
    opened_at BIGINT NOT NULL,
    PRIMARY KEY (chat_id, epoch, user_id)
);

CREATE TABLE messages (
    chat_id    UUID NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    seq        BIGINT NOT NULL,
    id         UUID NOT NULL,             -- chosen by the sender; resends are idempotent
    sender     UUID REFERENCES users(id) ON DELETE SET NULL,
    epoch      BIGINT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('message', 'system')),
    nonce      BYTEA,
    ciphertext BYTEA,
    signature  BYTEA,
    system     TEXT,                      -- JSON: who did what, never content
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    deleted    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (chat_id, seq),
    UNIQUE (chat_id, id)
);
CREATE INDEX messages_expiry ON messages(expires_at);

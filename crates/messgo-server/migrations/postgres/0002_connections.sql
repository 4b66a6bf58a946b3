ALTER TABLE users ADD COLUMN connect_key TEXT;
ALTER TABLE users ADD COLUMN display_name TEXT;
CREATE UNIQUE INDEX users_connect_key ON users(connect_key);

-- Every request stays visible to its sender until cancelled, accepted or expired;
-- to_user is NULL whenever nobody may see it (no such user, self, blocked, declined,
-- already connected), so the sender's view never reveals which it was.
CREATE TABLE connection_requests (
    id          UUID PRIMARY KEY,
    from_user   UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    target_kind TEXT NOT NULL CHECK (target_kind IN ('username', 'connect_key')),
    target      TEXT NOT NULL,
    to_user     UUID REFERENCES users(id) ON DELETE SET NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    UNIQUE (from_user, target_kind, target)
);
CREATE INDEX requests_to ON connection_requests(to_user);
CREATE INDEX requests_expiry ON connection_requests(expires_at);

-- Every attempt, kept an hour: the per-account limit, and the write every request
-- performs whatever its target (equal work, equal timing).
CREATE TABLE request_attempts (
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    at      BIGINT NOT NULL
);
CREATE INDEX request_attempts_user ON request_attempts(user_id, at);

CREATE TABLE chats (
    id         UUID PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('direct', 'group', 'assistant')),
    created_at BIGINT NOT NULL
);

CREATE TABLE chat_members (
    chat_id   UUID NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    user_id   UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role      TEXT NOT NULL CHECK (role IN ('admin', 'member')),
    joined_at BIGINT NOT NULL,
    PRIMARY KEY (chat_id, user_id)
);
CREATE INDEX chat_members_user ON chat_members(user_id);

-- One row per pair, user_a < user_b (bytewise).
CREATE TABLE connections (
    user_a     UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    user_b     UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    chat_id    UUID NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_a, user_b),
    CHECK (user_a < user_b)
);
CREATE INDEX connections_b ON connections(user_b);

CREATE TABLE blocks (
    blocker    UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    blocked    UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (blocker, blocked)
);
CREATE INDEX blocks_blocked ON blocks(blocked);

ALTER TABLE users ADD COLUMN connect_key TEXT;
ALTER TABLE users ADD COLUMN display_name TEXT;
CREATE UNIQUE INDEX users_connect_key ON users(connect_key);

-- Every request stays visible to its sender until cancelled, accepted or expired;
-- to_user is NULL whenever nobody may see it (no such user, self, blocked, declined,
-- already connected), so the sender's view never reveals which it was.
CREATE TABLE connection_requests (
    id          BLOB PRIMARY KEY,
    from_user   BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    target_kind TEXT NOT NULL CHECK (target_kind IN ('username', 'connect_key')),
    target      TEXT NOT NULL,
    to_user     BLOB REFERENCES users(id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    UNIQUE (from_user, target_kind, target)
) STRICT;
CREATE INDEX requests_to ON connection_requests(to_user);
CREATE INDEX requests_expiry ON connection_requests(expires_at);

-- Every attempt, kept an hour: the per-account limit, and the write every request
-- performs whatever its target (equal work, equal timing).
CREATE TABLE request_attempts (
    user_id BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    at      INTEGER NOT NULL
) STRICT;
CREATE INDEX request_attempts_user ON request_attempts(user_id, at);

CREATE TABLE chats (
    id         BLOB PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('direct', 'group', 'assistant')),
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE chat_members (
    chat_id   BLOB NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    user_id   BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role      TEXT NOT NULL CHECK (role IN ('admin', 'member')),
    joined_at INTEGER NOT NULL,
    PRIMARY KEY (chat_id, user_id)
) STRICT;
CREATE INDEX chat_members_user ON chat_members(user_id);

-- One row per pair, user_a < user_b (bytewise).
CREATE TABLE connections (
    user_a     BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    user_b     BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    chat_id    BLOB NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_a, user_b),
    CHECK (user_a < user_b)
) STRICT;
CREATE INDEX connections_b ON connections(user_b);

CREATE TABLE blocks (
    blocker    BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    blocked    BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (blocker, blocked)
) STRICT;
CREATE INDEX blocks_blocked ON blocks(blocked);

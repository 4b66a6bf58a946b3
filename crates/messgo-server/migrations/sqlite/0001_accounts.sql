-- Server-wide facts that must survive restarts (the KDF realm id).
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE users (
    id             BLOB PRIMARY KEY,          -- UUID v4, chosen by the client
    username       TEXT NOT NULL UNIQUE,      -- lowercase
    auth_hash      TEXT NOT NULL,             -- Argon2id PHC string of the auth key
    kdf            TEXT NOT NULL,             -- JSON KdfParams
    key_bundle     BLOB NOT NULL,             -- private keys sealed under the wrap key
    x25519_public  BLOB NOT NULL,
    ed25519_public BLOB NOT NULL,
    created_at     INTEGER NOT NULL
) STRICT;

CREATE TABLE sessions (
    id           BLOB PRIMARY KEY,
    user_id      BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash   BLOB NOT NULL UNIQUE,        -- SHA-256 of the cookie token
    device       TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_last_seen ON sessions(last_seen_at);

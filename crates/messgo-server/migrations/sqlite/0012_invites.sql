-- Invite links (invites/): the code is shown once to its maker; only its SHA-256 is
-- kept, as with session tokens. inviter is NULL for the operator's invites; a
-- user's go with their account. An invite used up is deleted at its last use, an
-- expired one by the sweep, a revoked one at once.
CREATE TABLE invites (
    id         BLOB PRIMARY KEY,
    code_hash  BLOB NOT NULL UNIQUE,
    inviter    BLOB REFERENCES users(id) ON DELETE CASCADE,
    uses       INTEGER NOT NULL CHECK (uses BETWEEN 1 AND 100),
    uses_left  INTEGER NOT NULL CHECK (uses_left BETWEEN 0 AND uses),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX invites_inviter ON invites(inviter);
CREATE INDEX invites_expiry ON invites(expires_at);

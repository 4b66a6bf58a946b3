-- Attachments' bytes move into encrypted 64 KiB chunks (see the SQLite migration of
-- the same name). On PostgreSQL the chunks live in the same database, in tables no
-- other query touches; each blob's at-rest key stays in `blobs`, so whatever deletes
-- the row makes the chunks unreadable at once; they are deleted right after. `data`
-- stays for the rows written before, which the server moves into chunks when it
-- starts, leaving it empty.
ALTER TABLE blobs ADD COLUMN store_key BYTEA;
CREATE INDEX blobs_uploader ON blobs(uploader, expires_at);

-- One row per stored blob: when it was started and whether its upload finished
-- (an unfinished one is kept until its upload could no longer be going on).
CREATE TABLE blob_heads (
    id          UUID PRIMARY KEY,
    created_at  BIGINT NOT NULL,
    complete    BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX blob_heads_age ON blob_heads(complete, created_at);

-- A blob's bytes, 64 KiB at a time, each sealed under the blob's at-rest key:
-- a 12-byte nonce, then AES-256-GCM's ciphertext and tag.
CREATE TABLE blob_chunks (
    blob_id     UUID NOT NULL REFERENCES blob_heads(id) ON DELETE CASCADE,
    idx         INTEGER NOT NULL,
    data        BYTEA NOT NULL,
    PRIMARY KEY (blob_id, idx)
);

-- The ids of deleted blobs whose chunks are still to be deleted. A trigger notes
-- every deleted row, whichever path deleted it (cascades included), so no deleting
-- path has to know about chunks.
CREATE TABLE blob_graveyard (id UUID PRIMARY KEY);
CREATE FUNCTION blobs_to_graveyard() RETURNS trigger AS $$
BEGIN
    IF OLD.store_key IS NOT NULL THEN
        INSERT INTO blob_graveyard (id) VALUES (OLD.id) ON CONFLICT DO NOTHING;
    END IF;
    RETURN OLD;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER blobs_to_graveyard AFTER DELETE ON blobs
    FOR EACH ROW EXECUTE FUNCTION blobs_to_graveyard();

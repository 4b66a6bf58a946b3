-- Attachments' bytes move out of this file into their own (`<name>-blobs.db`, written
-- by its own writer), as encrypted 64 KiB chunks: erasing a large file must not hold
-- up sends. Each blob's at-rest key stays here, so whatever deletes the row (its
-- message, its chat, its uploader, its expiry) makes the chunks unreadable at once;
-- the chunks themselves are deleted right after. `data` stays for the rows written
-- before, which the server moves into chunks when it starts, leaving it empty.
ALTER TABLE blobs ADD COLUMN store_key BLOB;
-- The uploader's quota sums what they have stored.
CREATE INDEX blobs_uploader ON blobs(uploader, expires_at);

-- The ids of deleted blobs whose chunks are still to be deleted from the other file.
-- A trigger notes every deleted row, whichever path deleted it (cascades included),
-- so no deleting path has to know about chunks; the ids say nothing of content.
CREATE TABLE blob_graveyard (id BLOB PRIMARY KEY) STRICT;
CREATE TRIGGER blobs_to_graveyard AFTER DELETE ON blobs WHEN OLD.store_key IS NOT NULL
BEGIN
    INSERT OR IGNORE INTO blob_graveyard (id) VALUES (OLD.id);
END;

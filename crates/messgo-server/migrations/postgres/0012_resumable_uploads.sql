-- Resumable uploads (see the SQLite migration of the same name): a blob's row is
-- written when its upload is created, `pending` until every declared byte is stored;
-- every reader and a message's claim want it unset. Rows written before are complete.
ALTER TABLE blobs ADD COLUMN pending BOOLEAN NOT NULL DEFAULT FALSE;
-- Uploads under way per account (`--uploads-at-once`), across connections and nodes.
CREATE INDEX blobs_pending ON blobs(uploader, pending);

-- Resumable uploads: a blob's row is written when its upload is created, `pending`
-- until every declared byte is stored. So the quota (which sums `size`, the declared
-- one while pending), the expiry sweep, the graveyard trigger and the deletion of the
-- chat or the account cover an unfinished upload as they cover a finished one; every
-- reader and a message's claim want `pending` unset. Rows written before are complete.
ALTER TABLE blobs ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;
-- Uploads under way per account (`--uploads-at-once`), across connections and nodes.
CREATE INDEX blobs_pending ON blobs(uploader, pending);

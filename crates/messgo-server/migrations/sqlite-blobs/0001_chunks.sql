-- The attachments' own file: their bytes in encrypted 64 KiB chunks, written by this
-- file's own writer so that storing or erasing a large file never waits on (or holds
-- up) the messages' writer. Which blob may be read by whom, its size and its at-rest
-- key live in the main database's `blobs` row; without that key a chunk is noise.

-- One row per stored blob: when it was started and whether its upload finished
-- (an unfinished one is kept until its upload could no longer be going on).
CREATE TABLE blob_heads (
    id          BLOB PRIMARY KEY,
    created_at  INTEGER NOT NULL,
    complete    INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX blob_heads_age ON blob_heads(complete, created_at);

-- A blob's bytes, 64 KiB at a time, each sealed under the blob's at-rest key:
-- a 12-byte nonce, then AES-256-GCM's ciphertext and tag.
CREATE TABLE blob_chunks (
    blob_id     BLOB NOT NULL REFERENCES blob_heads(id) ON DELETE CASCADE,
    idx         INTEGER NOT NULL,
    data        BLOB NOT NULL,
    PRIMARY KEY (blob_id, idx)
) STRICT;

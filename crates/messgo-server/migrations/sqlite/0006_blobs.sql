-- Encrypted attachments. An upload lives an hour unless a message takes it; then it
-- shares the message's expiry and goes with the message, the chat or the uploader.
CREATE TABLE blobs (
    id          BLOB PRIMARY KEY,
    chat_id     BLOB NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    uploader    BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    size        INTEGER NOT NULL,
    data        BLOB NOT NULL,             -- ciphertext; the key travels inside the message
    message_seq INTEGER,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX blobs_chat_message ON blobs(chat_id, message_seq);
CREATE INDEX blobs_expiry ON blobs(expires_at);

-- Encrypted attachments. An upload lives an hour unless a message takes it; then it
-- shares the message's expiry and goes with the message, the chat or the uploader.
CREATE TABLE blobs (
    id          UUID PRIMARY KEY,
    chat_id     UUID NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    uploader    UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    size        BIGINT NOT NULL,
    data        BYTEA NOT NULL,             -- ciphertext; the key travels inside the message
    message_seq BIGINT,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX blobs_chat_message ON blobs(chat_id, message_seq);
CREATE INDEX blobs_expiry ON blobs(expires_at);

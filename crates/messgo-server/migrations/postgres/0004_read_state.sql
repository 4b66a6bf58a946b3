-- Typing indicators and read receipts: off by default, shown only between two
-- people who both turned them on.
ALTER TABLE users ADD COLUMN typing_indicators BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN read_receipts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE chat_members ADD COLUMN last_read_seq BIGINT NOT NULL DEFAULT 0;

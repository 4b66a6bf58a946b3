-- Typing indicators and read receipts: off by default, shown only between two
-- people who both turned them on.
ALTER TABLE users ADD COLUMN typing_indicators INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN read_receipts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE chat_members ADD COLUMN last_read_seq INTEGER NOT NULL DEFAULT 0;

-- Disappearing-message timers: per chat, and each user's default for new chats.
-- The server-wide retention (at most 72 hours) caps both.
ALTER TABLE chats ADD COLUMN timer_secs INTEGER NOT NULL DEFAULT 259200;
ALTER TABLE users ADD COLUMN default_timer_secs INTEGER NOT NULL DEFAULT 259200;

-- An operator can disable an account (`messgo admin users disable`): when, in ms, or
-- NULL while it may sign in. A disabled account keeps everything; its sessions end.
ALTER TABLE users ADD COLUMN disabled_at INTEGER;

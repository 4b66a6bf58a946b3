-- A message id is unique on its own, no longer per chat (see the SQLite migration of
-- the same number: one index over `id`, which time-ordered ids append to).
-- Ids are random 128-bit values, so only a client reusing its own id in a second chat
-- could have stored one twice; the first copy is kept.
DELETE FROM messages a USING messages b
WHERE a.id = b.id AND (a.created_at, a.chat_id, a.seq) > (b.created_at, b.chat_id, b.seq);
ALTER TABLE messages DROP CONSTRAINT messages_chat_id_id_key;
CREATE UNIQUE INDEX messages_id ON messages (id);

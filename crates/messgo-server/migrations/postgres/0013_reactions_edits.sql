-- Reactions and edits (docs/protocol.md "Reactions and edits"): two more kinds of
-- message, each naming its `target` (a message id of the same chat), and `edited` on
-- a message an edit replaced (its sealed parts erased).
ALTER TABLE messages DROP CONSTRAINT messages_kind_check;
ALTER TABLE messages ADD CONSTRAINT messages_kind_check
    CHECK (kind IN ('message', 'system', 'reaction', 'edit'));
ALTER TABLE messages ADD COLUMN target UUID;
ALTER TABLE messages ADD COLUMN edited BIGINT NOT NULL DEFAULT 0;
-- A target's reactions and edits, found when it is edited or deleted.
CREATE INDEX messages_target ON messages (target) WHERE target IS NOT NULL;

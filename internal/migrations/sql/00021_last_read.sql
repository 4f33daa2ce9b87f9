-- Unread messages (issue 23.3, docs/chat.md "Unread"): each member's
-- last-read marker, and the index that counts what came after it.
--
-- conversation_members.last_read_message_id: a column, not a table of its
-- own. A marker is one value per member and conversation, exactly the
-- rows of conversation_members: it is created with the membership (NULL,
-- nothing read), and goes with it when the member leaves or the account is
-- deleted, with no second table to keep in step. GET /conversations reads
-- it in the join it makes anyway. Only members have one: a parent reading
-- a child's chat (or an admin a reported one) has no row here, and never
-- moves the child's marker. No foreign key to messages: messages are only
-- soft-deleted, and a marker is only compared with ids (it moves forward
-- only, store.MarkRead).
--
-- idx_messages_unread: the unread count of one conversation is a range
-- scan from the marker over its live messages (the sender in the
-- index, so it need not visit the heap), instead of every message the
-- conversation ever had. Partial: deleted messages leave it.

-- +goose Up
ALTER TABLE conversation_members ADD COLUMN last_read_message_id INTEGER;
CREATE INDEX idx_messages_unread ON messages (conversation_id, id) INCLUDE (sender_id) WHERE deleted_at IS NULL;

-- +goose Down
DROP INDEX idx_messages_unread;
ALTER TABLE conversation_members DROP COLUMN last_read_message_id;

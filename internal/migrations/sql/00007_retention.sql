-- Retention: the purge finds soft-deleted messages whose content or media is
-- still held through a partial index that holds exactly those, so it stays
-- as small as the backlog (a purged message leaves it) and each batch is an
-- index range scan, never a scan of all messages.

-- +goose Up
-- An index build on a large messages table may take longer than the
-- embedded cluster's statement_timeout.
SET LOCAL statement_timeout = 0;
CREATE INDEX idx_messages_purgeable ON messages(deleted_at)
    WHERE deleted_at IS NOT NULL AND (content IS NOT NULL OR media_url IS NOT NULL);

-- +goose Down
DROP INDEX idx_messages_purgeable;

-- Deleted and purged messages must not come back through the replay
-- (docs/live.md): when a message is soft-deleted, its stored
-- message.created events are rewritten to the tombstone, and when the
-- retention purge erases its content, every stored event holding it
-- (message.created, message.deleted, report.filed) is erased too. These
-- partial expression indexes find a message's events without a scan.

-- +goose Up
CREATE INDEX idx_live_events_message ON live_events ((data->>'id'))
    WHERE type IN ('message.created', 'message.deleted');
CREATE INDEX idx_live_events_reported_message ON live_events ((data->'message'->>'id'))
    WHERE type = 'report.filed';

-- +goose Down
DROP INDEX idx_live_events_reported_message;
DROP INDEX idx_live_events_message;

-- Daily digests, weekly summaries and each parent's mail preferences
-- (issue 22.3, docs/notifications.md).
--
-- A digest and a weekly summary are notifications rows of their own
-- (kinds daily_digest and weekly_summary), delivered by the same worker
-- and sender as every other row. `period` names the day (or week) one is
-- for; the unique index below lets two workers scheduling at the same
-- moment write one row, not two. The rows a digest carries point at it
-- (`digest_id`), so each is listed in exactly one digest.

-- +goose Up
ALTER TABLE notifications ADD COLUMN digest_id BIGINT;
ALTER TABLE notifications ADD COLUMN period DATE;
CREATE UNIQUE INDEX idx_notifications_period ON notifications(recipient_id, kind, period) WHERE period IS NOT NULL;
-- The rows waiting for a parent's next digest.
CREATE INDEX idx_notifications_waiting ON notifications(recipient_id, created_at) WHERE state = 'digest' AND digest_id IS NULL;
CREATE INDEX idx_notifications_digest ON notifications(digest_id) WHERE digest_id IS NOT NULL;

-- A parent's mail preferences besides the per-kind deliveries; no row
-- means UTC and a weekly summary.
CREATE TABLE notification_prefs (
    user_id        INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    -- IANA name (checked by the application); the digest goes at 18:00 there.
    time_zone      TEXT,
    weekly_summary BOOLEAN NOT NULL DEFAULT TRUE
);

-- +goose Down
DROP TABLE notification_prefs;
DROP INDEX idx_notifications_digest;
DROP INDEX idx_notifications_waiting;
DROP INDEX idx_notifications_period;
ALTER TABLE notifications DROP COLUMN period;
ALTER TABLE notifications DROP COLUMN digest_id;

-- Leak-guard notices (issue 19.7): a parent sees one notice per child and
-- game, built from the hits not yet dismissed, kept until they dismiss it
-- (GET /me/notices, DELETE /me/notices/{id}; docs/controls.md). Dismissing
-- marks the hits it covered; the hits stay for the activity dashboard and
-- the export.

-- +goose Up
ALTER TABLE leak_guard_hits ADD COLUMN dismissed_at TIMESTAMP NULL;
-- The notices of a parent's children: the hits not yet dismissed.
CREATE INDEX idx_leak_guard_hits_undismissed ON leak_guard_hits(child_id, game_name, id)
    WHERE dismissed_at IS NULL;

-- +goose Down
DROP INDEX idx_leak_guard_hits_undismissed;
ALTER TABLE leak_guard_hits DROP COLUMN dismissed_at;

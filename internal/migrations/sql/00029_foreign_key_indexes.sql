-- Indexes for the foreign keys that had none (issue 21 leftovers).
-- PostgreSQL indexes the referenced key, never the referencing columns: a
-- DELETE of a users row (an account removed for good: deleteOrTombstone)
-- or of a conversation or a game login runs each key's ON DELETE action
-- as a search of the referencing table by that column, which without an
-- index is a scan of the whole table, once per row deleted.
-- TestForeignKeysIndexed (internal/migrations) keeps every key covered.
--
-- The columns are NULL for most rows (a link nobody blocked, an open
-- report, a guardian whose inviter is unknown), so the indexes are partial
-- on IS NOT NULL: an ON DELETE search by a value can use them, and rows
-- without one cost nothing.

-- +goose Up
-- Who invited a guardian, and which guardian made an invitation (00023).
CREATE INDEX idx_guardians_added_by ON guardians(added_by) WHERE added_by IS NOT NULL;
CREATE INDEX idx_guardian_invites_created_by ON guardian_invites(created_by) WHERE created_by IS NOT NULL;
-- Older keys of the same kind, found by the same test.
CREATE INDEX idx_contacts_requested_by ON contacts(requested_by) WHERE requested_by IS NOT NULL;
CREATE INDEX idx_contacts_blocked_by ON contacts(blocked_by) WHERE blocked_by IS NOT NULL;
CREATE INDEX idx_reports_resolved_by ON reports(resolved_by) WHERE resolved_by IS NOT NULL;
CREATE INDEX idx_leak_guard_hits_credential ON leak_guard_hits(credential_id) WHERE credential_id IS NOT NULL;
CREATE INDEX idx_leak_guard_hits_conversation ON leak_guard_hits(conversation_id) WHERE conversation_id IS NOT NULL;

-- +goose Down
DROP INDEX idx_leak_guard_hits_conversation;
DROP INDEX idx_leak_guard_hits_credential;
DROP INDEX idx_reports_resolved_by;
DROP INDEX idx_contacts_blocked_by;
DROP INDEX idx_contacts_requested_by;
DROP INDEX idx_guardian_invites_created_by;
DROP INDEX idx_guardians_added_by;

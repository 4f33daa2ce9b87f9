-- The family circle, part 1 (issue 21): a child has one or more guardians.
-- users.parent_id stays, as the seed wrote it, the primary guardian (the
-- parent who created the child, or whoever they handed primary over to);
-- guardians holds the others. docs/schema.md "Guardians" says why.

-- +goose Up
-- The non-primary guardians of a child. A removed guardian's row is
-- deleted (the audit log keeps who and when); a removed child or guardian
-- account takes its rows with it.
CREATE TABLE guardians (
    child_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    guardian_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    added_by    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    added_at    TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (child_id, guardian_id),
    CHECK (child_id <> guardian_id)
);
-- "Whose guardian am I": every visibility predicate asks it by guardian.
CREATE INDEX idx_guardians_guardian ON guardians(guardian_id, child_id);

-- One-time invitations to become a guardian, shown once to the inviting
-- guardian and shared offline. Only the SHA-256 of the code is kept (a
-- random 12-character code, about 2^59: its hash cannot be searched back
-- online, and guesses are rate limited like friend codes).
CREATE TABLE guardian_invites (
    id         SERIAL PRIMARY KEY,
    child_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash  BYTEA NOT NULL UNIQUE CHECK (length(code_hash) = 32),
    created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    expires_at TIMESTAMP NOT NULL,
    used_by    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    used_at    TIMESTAMP,
    CHECK ((used_by IS NULL) OR (used_at IS NOT NULL))
);
CREATE INDEX idx_guardian_invites_child ON guardian_invites(child_id);
-- The admin's user list names who invited an account awaiting approval.
CREATE INDEX idx_guardian_invites_used_by ON guardian_invites(used_by) WHERE used_by IS NOT NULL;

-- Who approved each side of a contact link: any guardian of that side's
-- child may. a_approved_at/b_approved_at keep their meaning; the approver
-- is NULL for links approved before this migration or whose approver's
-- account is gone.
ALTER TABLE contacts
    ADD COLUMN a_approved_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    ADD COLUMN b_approved_by INTEGER REFERENCES users(id) ON DELETE SET NULL;
CREATE INDEX idx_contacts_a_approved_by ON contacts(a_approved_by) WHERE a_approved_by IS NOT NULL;
CREATE INDEX idx_contacts_b_approved_by ON contacts(b_approved_by) WHERE b_approved_by IS NOT NULL;

-- +goose Down
ALTER TABLE contacts DROP COLUMN b_approved_by, DROP COLUMN a_approved_by;
DROP TABLE guardian_invites;
DROP TABLE guardians;

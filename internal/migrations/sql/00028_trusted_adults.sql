-- The family circle, part 3 (issue 21): trusted grown-ups. An approved
-- parent of another family (a grandparent, a godmother) may have a direct
-- chat with one child once every guardian of that child approved them.
-- docs/schema.md "Trusted grown-ups" says why.

-- +goose Up
-- One-time codes an adult makes so that a guardian can find them: shown
-- once to the adult and shared offline, kept only as SHA-256 (like
-- guardian_invites; 12 characters, about 2^59).
CREATE TABLE trusted_invites (
    id         SERIAL PRIMARY KEY,
    adult_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash  BYTEA NOT NULL UNIQUE CHECK (length(code_hash) = 32),
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    expires_at TIMESTAMP NOT NULL,
    used_by    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    used_at    TIMESTAMP,
    CHECK ((used_by IS NULL) OR (used_at IS NOT NULL))
);
CREATE INDEX idx_trusted_invites_adult ON trusted_invites(adult_id);
CREATE INDEX idx_trusted_invites_used_by ON trusted_invites(used_by) WHERE used_by IS NOT NULL;

-- An adult proposed as trusted for one child; active_at is set when every
-- guardian of the child had approved. A revoked link's row is deleted (the
-- audit log keeps who and when).
CREATE TABLE trusted_adults (
    child_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    adult_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    proposed_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    proposed_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    active_at   TIMESTAMP,
    PRIMARY KEY (child_id, adult_id),
    CHECK (child_id <> adult_id)
);
-- "Whom am I trusted for": the rule and GET /me/trusted-children ask it by adult.
CREATE INDEX idx_trusted_adults_adult ON trusted_adults(adult_id, child_id);
CREATE INDEX idx_trusted_adults_proposed_by ON trusted_adults(proposed_by) WHERE proposed_by IS NOT NULL;

-- Which guardian approved which proposal. A guardian's approval goes with
-- their account, and with the proposal.
CREATE TABLE trusted_approvals (
    child_id    INTEGER NOT NULL,
    adult_id    INTEGER NOT NULL,
    guardian_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    approved_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (child_id, adult_id, guardian_id),
    FOREIGN KEY (child_id, adult_id) REFERENCES trusted_adults(child_id, adult_id) ON DELETE CASCADE
);
CREATE INDEX idx_trusted_approvals_guardian ON trusted_approvals(guardian_id);

-- +goose Down
DROP TABLE trusted_approvals;
DROP TABLE trusted_adults;
DROP TABLE trusted_invites;

-- Verified parent emails and password recovery (issue 22.4,
-- docs/security.md "Email verification and password recovery").
--
-- account_tokens holds the single-use links mailed to an account's address:
-- only the SHA-256 of each token (a random 256-bit value, so its hash
-- cannot be searched back to it), never the token. The token itself is
-- made by the notification worker when it writes the mail
-- (internal/notify/tokens.go), so it exists in the mail and nowhere else.

-- +goose Up
ALTER TABLE users ADD COLUMN email_verified_at TIMESTAMP;

CREATE TABLE account_tokens (
    token_hash BYTEA PRIMARY KEY CHECK (length(token_hash) = 32),
    -- Written by the worker in a transaction of its own (no lock order to
    -- keep); a removed account takes its links with it.
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL CHECK (purpose IN ('verify_email', 'password_reset')),
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    expires_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP
);
-- Using one link spends every other link of the same purpose.
CREATE INDEX idx_account_tokens_user ON account_tokens(user_id, purpose);

-- +goose Down
DROP TABLE account_tokens;
ALTER TABLE users DROP COLUMN email_verified_at;

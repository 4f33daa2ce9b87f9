-- Rate limits shared by every instance (issue 19): each `serve` kept its
-- own in memory, so two instances on one database let through twice the
-- login guesses, sends, uploads and friend-code guesses. The state now
-- lives here, one row per limited key (store/ratelimit.go).
--
-- UNLOGGED: a limit's state is worth less than the WAL flush it would cost
-- every send, and losing it (the tables are emptied after a crash, and
-- are not on a streaming replica) only ever lets someone try again, as a
-- restart of an instance did before. Keys are SHA-256 of the limit's name
-- and its subject (an account name, an address, a user id), so no login
-- name or address is stored as written (a plain hash, not a secret one).

-- +goose Up
CREATE UNLOGGED TABLE rate_buckets (
    key        BYTEA PRIMARY KEY,
    tokens     DOUBLE PRECISION NOT NULL,
    granted    INTEGER NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    full_at    TIMESTAMPTZ NOT NULL
);

CREATE UNLOGGED TABLE rate_failures (
    key          BYTEA PRIMARY KEY,
    failures     TIMESTAMPTZ[] NOT NULL,
    locked_until TIMESTAMPTZ,
    expires_at   TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE rate_failures;
DROP TABLE rate_buckets;

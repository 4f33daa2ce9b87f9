-- Web Push (issue 22.5, docs/notifications.md "Push"): the devices on
-- which a parent turned notifications on, and per notification whether
-- each channel (mail, push) is done, so that one channel failing neither
-- holds nor repeats the other.

-- +goose Up
CREATE TABLE push_subscriptions (
    id         BIGSERIAL PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- The push service's URL for this browser: a capability, never shown
    -- back. One browser has one per origin, so it names the device: a
    -- second parent turning push on in the same browser takes it over.
    endpoint   TEXT NOT NULL UNIQUE,
    -- The browser's P-256 public key (65 bytes, uncompressed) and auth
    -- secret (16 bytes), RFC 8291: what each payload is encrypted to.
    p256dh     BYTEA NOT NULL CHECK (octet_length(p256dh) = 65),
    auth       BYTEA NOT NULL CHECK (octet_length(auth) = 16),
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_push_subscriptions_user ON push_subscriptions(user_id);

-- A row is sent once both channels are done; each attempt tries only the
-- channels not done yet.
ALTER TABLE notifications ADD COLUMN mailed_at TIMESTAMP, ADD COLUMN pushed_at TIMESTAMP;

-- +goose Down
ALTER TABLE notifications DROP COLUMN pushed_at, DROP COLUMN mailed_at;
DROP TABLE push_subscriptions;

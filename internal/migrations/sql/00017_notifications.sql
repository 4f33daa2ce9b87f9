-- Notifications to parents (issue 22.1, docs/notifications.md): an outbox
-- written in the action's own transaction (internal/notify.Queue) and
-- delivered by a worker in `serve`, and each parent's choice per kind.
--
-- A row holds ids only: who it is for, what kind, the child and the ids it
-- is about. Never message text, a reason, a password or a token; the mail
-- is rendered at delivery from the ids (a name that is gone by then is
-- left out).

-- +goose Up
CREATE TABLE notifications (
    id              BIGSERIAL PRIMARY KEY,
    -- The parent it is for. No foreign key: checking one would take a
    -- KEY SHARE lock on the parent's users row late in the action's
    -- transaction, after its rule locks, against the lock order of
    -- store/rule.go (an account deletion locks users rows first). Ids are
    -- never reused; a row whose recipient is gone goes dead.
    recipient_id    INTEGER,
    -- Only when the account goes in the same transaction (a declined
    -- sign-up): the address to tell. Erased once sent or dead.
    recipient_email VARCHAR(255),
    kind            TEXT NOT NULL,
    -- The child it is about, if any: no foreign key, the child may be gone.
    child_id        INTEGER,
    -- Other ids it is about ({"contact_id": 7}); numbers only.
    about           JSONB NOT NULL DEFAULT '{}',
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'digest', 'sent', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    last_error      TEXT,
    created_at      TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    sent_at         TIMESTAMP
);
-- The worker's claim: the due pending rows, oldest first.
CREATE INDEX idx_notifications_due ON notifications(next_attempt_at, id) WHERE state = 'pending';
-- A recipient's rows (a future digest, and the settings' tests).
CREATE INDEX idx_notifications_recipient ON notifications(recipient_id);

-- A parent's choice per kind; no row means the kind's default.
CREATE TABLE notification_settings (
    user_id  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind     TEXT NOT NULL,
    delivery TEXT NOT NULL CHECK (delivery IN ('now', 'daily', 'off')),
    PRIMARY KEY (user_id, kind)
);

-- +goose Down
DROP TABLE notification_settings;
DROP TABLE notifications;

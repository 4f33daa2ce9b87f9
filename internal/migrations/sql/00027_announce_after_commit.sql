-- Sends announce their live events after commit (issue 24.1, docs/live.md
-- "Waking the readers"). A NOTIFY queued in a transaction is sent at
-- commit under a lock that PostgreSQL holds for the whole database across
-- the commit's WAL flush, so every transaction that notifies commits one
-- after the other: the send batches, which all wrote events, could not
-- share WAL flushes. A transaction that sets pixelpals.announce to
-- 'after_commit' (SET LOCAL) takes that job on itself: the trigger stays
-- silent, and its writer wakes this instance's hub directly once COMMIT
-- returned and the others with one NOTIFY of its own, outside any
-- transaction (live.Hub.Announce). Every other writer of events is
-- announced by the trigger, as before. A wake only makes a reader look
-- sooner: what it reads, and in what order, is the outbox's (00005).

-- +goose Up
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION live_events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('pixelpals.announce', true) = 'after_commit' THEN
        RETURN NULL;
    END IF;
    -- Delivered at commit, once per transaction (equal payloads fold).
    PERFORM pg_notify('pixelpals_events', '');
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION live_events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Delivered at commit, once per transaction (equal payloads fold).
    PERFORM pg_notify('pixelpals_events', '');
    RETURN NULL;
END
$$;
-- +goose StatementEnd

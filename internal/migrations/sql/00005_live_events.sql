-- Live events (SPEC §12): a transactional outbox. Every action that other
-- people should see live writes its events into live_events in its own
-- transaction, one row per audience (the recipients who see the same
-- payload), so an event exists exactly when its action committed. A
-- statement trigger announces new rows with NOTIFY, which PostgreSQL
-- delivers at commit; each instance LISTENs and reads the table.
--
-- Order and cursors: ids are taken at insert, not at commit, so a reader
-- that saw id 11 can later meet id 10 committing. Rows are therefore read
-- in (xact, id) order, and only rows whose transaction id is below the
-- oldest transaction still running (pg_snapshot_xmin of the reader's
-- snapshot): no transaction below that can still commit, so that prefix of
-- the order is final and a cursor (xact, id) never skips a late commit.
-- See docs/live.md.

-- +goose Up
CREATE TABLE live_events (
    id BIGSERIAL PRIMARY KEY,
    -- The writing transaction's 64-bit id (xid8, epoch included, so it
    -- never wraps), as bigint for plain btree order and scanning.
    xact BIGINT NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
    type TEXT NOT NULL CHECK (type ~ '^[a-z_]+\.[a-z_]+$'),
    at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    -- Who receives this row's payload, decided at write time.
    user_ids BIGINT[] NOT NULL CHECK (cardinality(user_ids) > 0),
    -- Whose personal data (names, message text, report reasons) data
    -- holds: deleting an account deletes the events about it (SPEC §9).
    subject_ids BIGINT[] NOT NULL DEFAULT '{}',
    data JSONB NOT NULL
);
-- The instances' reading order, and the frontier check.
CREATE INDEX idx_live_events_order ON live_events (xact, id);
-- Replay: one user's events after a cursor.
CREATE INDEX idx_live_events_users ON live_events USING gin (user_ids);
-- Account deletion: the events that hold a user's data.
CREATE INDEX idx_live_events_subjects ON live_events USING gin (subject_ids);
-- Retention: events past the replay window are deleted by age.
CREATE INDEX idx_live_events_at ON live_events (at);

-- +goose StatementBegin
CREATE FUNCTION live_events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Delivered at commit, once per transaction (equal payloads fold).
    PERFORM pg_notify('pixelpals_events', '');
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER live_events_announce AFTER INSERT ON live_events
    FOR EACH STATEMENT EXECUTE FUNCTION live_events_notify();

-- Ending a session (logout, logout everywhere, suspension, password reset,
-- deletion: each deletes its sessions rows) tells every instance which
-- sessions ended, so they close those sessions' sockets at once.
-- +goose StatementBegin
CREATE FUNCTION sessions_ended_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    chunk TEXT;
BEGIN
    -- NOTIFY payloads are limited to 8000 bytes: 500 ids at a time.
    FOR chunk IN
        SELECT string_agg(id::text, ',') FROM (SELECT id, (row_number() OVER ()) / 500 AS g FROM ended) s GROUP BY g
    LOOP
        PERFORM pg_notify('pixelpals_sessions', chunk);
    END LOOP;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER sessions_ended AFTER DELETE ON sessions
    REFERENCING OLD TABLE AS ended
    FOR EACH STATEMENT EXECUTE FUNCTION sessions_ended_notify();

-- +goose Down
DROP TRIGGER sessions_ended ON sessions;
DROP FUNCTION sessions_ended_notify();
DROP TRIGGER live_events_announce ON live_events;
DROP FUNCTION live_events_notify();
DROP TABLE live_events;

-- Tamper-evident audit log (issue 12.5): every audit_logs row carries its
-- place in one chain (chain_seq, gapless), the hash of the row before it
-- (prev_hash) and its own hash (row_hash = SHA-256 of prev_hash and the
-- row's canonical content, audit_chain_hash below). A BEFORE INSERT trigger
-- fills the three columns, so every writer (internal/store/audit.go or any
-- other) is chained without knowing about it.
--
-- Order under concurrency: the trigger locks the single row of
-- audit_chain_head (by updating it) and holds it until its
-- transaction ends, so chain order is commit order and a rolled-back
-- transaction leaves no gap. The cost is that audit-writing transactions
-- serialize from their audit insert to their commit (measured in
-- bench/audit_test.go).
--
-- `pixelpals audit verify` recomputes the chain in Go, so a row changed,
-- deleted or inserted while a superuser disabled the triggers is named.
-- The seed columns are untouched; the new ones are nullable so seed-shaped
-- writes still work (the trigger fills them).

-- +goose Up
ALTER TABLE audit_logs ADD COLUMN chain_seq BIGINT;
ALTER TABLE audit_logs ADD COLUMN prev_hash BYTEA;
ALTER TABLE audit_logs ADD COLUMN row_hash BYTEA;
CREATE UNIQUE INDEX audit_logs_chain_seq ON audit_logs(chain_seq);

CREATE TABLE audit_chain_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash BYTEA NOT NULL,
    -- The hash before the last row (that row's prev_hash).
    prev BYTEA
);
-- The genesis: the first row's prev_hash is 32 zero bytes.
INSERT INTO audit_chain_head (id, seq, hash) VALUES (1, 0, decode(repeat('00', 32), 'hex'));

-- audit_chain_field encodes one value unambiguously: N for NULL, else
-- S<byte length>:<text>.
-- +goose StatementBegin
CREATE FUNCTION audit_chain_field(v TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN v IS NULL THEN 'N' ELSE 'S' || octet_length(v) || ':' || v END
$$;
-- +goose StatementEnd

-- audit_chain_hash is the row hash. Keep it equal to store.auditRowHash,
-- which `audit verify` uses: the same fields, in the same order, rendered
-- the same way (jsonb as PostgreSQL prints it, created_at to microseconds).
-- +goose StatementBegin
CREATE FUNCTION audit_chain_hash(prev BYTEA, seq BIGINT, id INTEGER, actor_id INTEGER, action TEXT,
        entity_type TEXT, entity_id INTEGER, before_json JSONB, after_json JSONB, ip TEXT,
        created_at TIMESTAMP) RETURNS BYTEA LANGUAGE sql IMMUTABLE AS $$
    SELECT sha256(prev || convert_to('pixelpals-audit-v1'
        || audit_chain_field(seq::text)
        || audit_chain_field(id::text)
        || audit_chain_field(actor_id::text)
        || audit_chain_field(action)
        || audit_chain_field(entity_type)
        || audit_chain_field(entity_id::text)
        || audit_chain_field(before_json::text)
        || audit_chain_field(after_json::text)
        || audit_chain_field(ip)
        || audit_chain_field(to_char(created_at, 'YYYY-MM-DD"T"HH24:MI:SS.US')), 'UTF8'))
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION audit_logs_chain() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- One UPDATE both advances the head and takes its row lock, held until
    -- this transaction ends: that lock orders the chain. SET expressions
    -- read the old row, so prev keeps the hash this row follows.
    UPDATE audit_chain_head
    SET seq = seq + 1,
        prev = hash,
        hash = audit_chain_hash(hash, seq + 1, NEW.id, NEW.actor_id, NEW.action, NEW.entity_type,
            NEW.entity_id, NEW.before_json, NEW.after_json, NEW.ip, NEW.created_at)
    WHERE id = 1
    RETURNING seq, prev, hash INTO STRICT NEW.chain_seq, NEW.prev_hash, NEW.row_hash;
    RETURN NEW;
END
$$;
-- +goose StatementEnd

-- Chain the rows already there, in id order.
-- +goose StatementBegin
DO $$
DECLARE
    r audit_logs%ROWTYPE;
    n BIGINT := 0;
    last_hash BYTEA := decode(repeat('00', 32), 'hex');
    h BYTEA;
    before_last BYTEA;
BEGIN
    ALTER TABLE audit_logs DISABLE TRIGGER audit_logs_no_update_delete;
    FOR r IN SELECT * FROM audit_logs ORDER BY id LOOP
        n := n + 1;
        h := audit_chain_hash(last_hash, n, r.id, r.actor_id, r.action, r.entity_type, r.entity_id,
            r.before_json, r.after_json, r.ip, r.created_at);
        UPDATE audit_logs SET chain_seq = n, prev_hash = last_hash, row_hash = h WHERE audit_logs.id = r.id;
        before_last := last_hash;
        last_hash := h;
    END LOOP;
    ALTER TABLE audit_logs ENABLE TRIGGER audit_logs_no_update_delete;
    UPDATE audit_chain_head SET seq = n, hash = last_hash, prev = before_last WHERE id = 1;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER audit_logs_chain BEFORE INSERT ON audit_logs
    FOR EACH ROW EXECUTE FUNCTION audit_logs_chain();

-- The head is updated only by the trigger; deleting it would stop every
-- audited action, so it cannot be deleted.
-- +goose StatementBegin
CREATE FUNCTION audit_chain_head_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_chain_head: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_chain_head_no_delete BEFORE DELETE ON audit_chain_head
    FOR EACH ROW EXECUTE FUNCTION audit_chain_head_keep();
CREATE TRIGGER audit_chain_head_no_truncate BEFORE TRUNCATE ON audit_chain_head
    FOR EACH STATEMENT EXECUTE FUNCTION audit_chain_head_keep();

-- Sleep mode (issue 12.1): a child's weekly quiet hours, set by their
-- parent. Spans are minutes after local midnight in time_zone (an IANA
-- name, checked by the application); end < start runs past midnight. The
-- weekday span is the one that starts Sunday to Thursday (the nights before
-- a school day), the weekend span starts Friday or Saturday. A NULL span is
-- no quiet time on those days.
CREATE TABLE sleep_schedules (
    child_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    time_zone TEXT NOT NULL CHECK (time_zone <> ''),
    weekday_start SMALLINT CHECK (weekday_start BETWEEN 0 AND 1439),
    weekday_end SMALLINT CHECK (weekday_end BETWEEN 0 AND 1439),
    weekend_start SMALLINT CHECK (weekend_start BETWEEN 0 AND 1439),
    weekend_end SMALLINT CHECK (weekend_end BETWEEN 0 AND 1439),
    allow_parent BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CHECK (num_nulls(weekday_start, weekday_end) = 2
           OR num_nulls(weekday_start, weekday_end) = 0 AND weekday_start <> weekday_end),
    CHECK (num_nulls(weekend_start, weekend_end) = 2
           OR num_nulls(weekend_start, weekend_end) = 0 AND weekend_start <> weekend_end)
);

-- Password-leak guard (issue 12.2): a keyed fingerprint of each kept game
-- password, never the password: HMAC-SHA256 under a per-credential key
-- derived from the vault key of key_version (vault.Ring.LeakGuardKey) over
-- the normalized password (lower case, without spaces and dots), with its
-- length in characters so a send HMACs only candidate substrings of the
-- lengths kept. Passwords shorter than 4 normalized characters have none.
CREATE TABLE leak_fingerprints (
    credential_id INTEGER PRIMARY KEY REFERENCES game_credentials(id) ON DELETE CASCADE,
    key_version INTEGER NOT NULL CHECK (key_version > 0),
    length SMALLINT NOT NULL CHECK (length >= 4),
    fp BYTEA NOT NULL
);

-- Each refused send: the parent's dashboard entry, naming the game (a copy,
-- so the entry outlives the login), never the password or the message.
CREATE TABLE leak_guard_hits (
    id BIGSERIAL PRIMARY KEY,
    child_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    credential_id INTEGER REFERENCES game_credentials(id) ON DELETE SET NULL,
    game_name VARCHAR(100) NOT NULL,
    conversation_id INTEGER REFERENCES conversations(id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_leak_guard_hits_child ON leak_guard_hits(child_id, created_at);

-- Blocks (issue 12.3): a child blocks a contact; the link stays, and the
-- contact rule (internal/store/rule.go) treats a blocked link as not
-- approved, so every conversation holding both children freezes until the
-- blocker's parent unblocks (or removes a child from a shared group).
ALTER TABLE contacts ADD COLUMN blocked_by INTEGER REFERENCES users(id);
ALTER TABLE contacts ADD COLUMN blocked_at TIMESTAMP;
ALTER TABLE contacts ADD CONSTRAINT contacts_block_whole CHECK (num_nulls(blocked_by, blocked_at) IN (0, 2));

-- +goose Down
ALTER TABLE contacts DROP CONSTRAINT contacts_block_whole;
ALTER TABLE contacts DROP COLUMN blocked_at;
ALTER TABLE contacts DROP COLUMN blocked_by;
DROP TABLE leak_guard_hits;
DROP TABLE leak_fingerprints;
DROP TABLE sleep_schedules;
DROP TRIGGER audit_logs_chain ON audit_logs;
DROP TABLE audit_chain_head;
DROP FUNCTION audit_chain_head_keep();
DROP FUNCTION audit_logs_chain();
DROP FUNCTION audit_chain_hash(BYTEA, BIGINT, INTEGER, INTEGER, TEXT, TEXT, INTEGER, JSONB, JSONB, TEXT, TIMESTAMP);
DROP FUNCTION audit_chain_field(TEXT);
DROP INDEX audit_logs_chain_seq;
ALTER TABLE audit_logs DROP COLUMN row_hash;
ALTER TABLE audit_logs DROP COLUMN prev_hash;
ALTER TABLE audit_logs DROP COLUMN chain_seq;

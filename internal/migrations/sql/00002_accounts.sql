-- Accounts: suspension and deletion state, server-side sessions, and an
-- audit log the database itself keeps append-only.

-- +goose Up
-- Set while an admin has suspended the account.
ALTER TABLE users ADD COLUMN suspended_at TIMESTAMP NULL;
-- Set when the account was deleted but the row had to stay, because the
-- append-only audit log (or a sent message) still points at it. Its personal
-- data is gone by then: see docs/schema.md.
ALTER TABLE users ADD COLUMN deleted_at TIMESTAMP NULL;

-- Opaque session tokens, stored only as their SHA-256.
CREATE TABLE sessions (
    id BIGSERIAL PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash BYTEA NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    last_seen_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX idx_sessions_user_id ON sessions(user_id);

-- +goose StatementBegin
CREATE FUNCTION audit_logs_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_logs is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_logs_no_update_delete BEFORE UPDATE OR DELETE ON audit_logs
    FOR EACH ROW EXECUTE FUNCTION audit_logs_append_only();
CREATE TRIGGER audit_logs_no_truncate BEFORE TRUNCATE ON audit_logs
    FOR EACH STATEMENT EXECUTE FUNCTION audit_logs_append_only();

-- +goose Down
DROP TRIGGER audit_logs_no_truncate ON audit_logs;
DROP TRIGGER audit_logs_no_update_delete ON audit_logs;
DROP FUNCTION audit_logs_append_only();
DROP TABLE sessions;
ALTER TABLE users DROP COLUMN deleted_at;
ALTER TABLE users DROP COLUMN suspended_at;

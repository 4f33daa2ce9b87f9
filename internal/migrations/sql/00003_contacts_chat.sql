-- Contacts, chat state and reports (issue 5): friend codes, contact links
-- approved by both children's parents, frozen conversations, idempotent
-- sends and message reports. docs/schema.md lists each addition and why.

-- +goose Up
-- A child's private friend code, shared offline. One per child; the parent
-- can replace it, which makes the old code useless.
CREATE TABLE friend_codes (
    user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    code VARCHAR(16) NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- A contact link between two children, stored once per pair with the lower
-- user id first. It is active only when both children's parents approved it
-- (a_approved_at for child_a's parent, b_approved_at for child_b's).
CREATE TABLE contacts (
    id SERIAL PRIMARY KEY,
    child_a_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    child_b_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    requested_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    a_approved_at TIMESTAMP NULL,
    b_approved_at TIMESTAMP NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT contacts_pair_ordered CHECK (child_a_id < child_b_id),
    CONSTRAINT contacts_pair_unique UNIQUE (child_a_id, child_b_id)
);
-- Lookups by either child: child_a_id leads the UNIQUE index.
CREATE INDEX idx_contacts_child_b ON contacts(child_b_id);

-- Set while the conversation breaks the contact rule (SPEC §4): no new
-- messages until it holds again.
ALTER TABLE conversations ADD COLUMN frozen_at TIMESTAMP NULL;

-- The sender's own id for a message, so that a retried send returns the
-- first message instead of writing a second. Server-written (system)
-- messages have none.
ALTER TABLE messages ADD COLUMN client_id VARCHAR(64) NULL;
CREATE UNIQUE INDEX idx_messages_client_id ON messages(sender_id, client_id) WHERE client_id IS NOT NULL;

-- A report of a message to the admins. reason is the reporter's own text
-- and is cleared when their account is deleted.
CREATE TABLE reports (
    id SERIAL PRIMARY KEY,
    message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    reporter_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    reason TEXT NULL,
    status VARCHAR(10) NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    resolution VARCHAR(20) NULL CHECK (resolution IN ('dismissed', 'message_deleted')),
    resolved_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    resolved_at TIMESTAMP NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT reports_once_per_reporter UNIQUE (message_id, reporter_id)
);
-- "Does this conversation have a report?" (admins may then read it).
CREATE INDEX idx_reports_conversation ON reports(conversation_id);
-- A reporter's (and their parent's) list of reports.
CREATE INDEX idx_reports_reporter ON reports(reporter_id);
-- The admins' queue of open reports, newest first.
CREATE INDEX idx_reports_open ON reports(id) WHERE status = 'open';

-- +goose Down
DROP TABLE reports;
DROP INDEX idx_messages_client_id;
ALTER TABLE messages DROP COLUMN client_id;
ALTER TABLE conversations DROP COLUMN frozen_at;
DROP TABLE contacts;
DROP TABLE friend_codes;

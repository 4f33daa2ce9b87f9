-- What the UI needs to tell a family what happened (issue 19.7).
--
-- ended_sessions: when an admin rejects a pending parent, their account is
-- removed at once (store.RejectParent), and with it their sessions. Their
-- browser then only ever heard "not logged in". Each of those sessions'
-- token hashes is kept here, with why it ended, until the session would
-- have expired anyway, so that the next request (or a login from that
-- browser) is told account_rejected. A token hash names no one once the
-- account is gone: no email, name or user id is kept.
--
-- conversation_departures: a member whose account was deleted leaves every
-- conversation (store.removeChatData); the row here says that user id was
-- deleted, so the others see "a deleted account" and the right reason for
-- the pause instead of "Just you". Ids only, like the system messages.
--
-- conversation_members.hidden_at: a member may hide a chat nobody else is
-- left in (POST /conversations/{id}/hide). Only their own list skips it;
-- their parent still reads it.

-- +goose Up
CREATE TABLE ended_sessions (
    token_hash BYTEA PRIMARY KEY,
    reason TEXT NOT NULL CHECK (reason IN ('account_rejected')),
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX idx_ended_sessions_expires ON ended_sessions(expires_at);

CREATE TABLE conversation_departures (
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL,
    left_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (conversation_id, user_id)
);

ALTER TABLE conversation_members ADD COLUMN hidden_at TIMESTAMP;

-- +goose Down
ALTER TABLE conversation_members DROP COLUMN hidden_at;
DROP TABLE conversation_departures;
DROP TABLE ended_sessions;

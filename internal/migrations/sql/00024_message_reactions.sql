-- Reactions (issue 23.4, docs/chat.md "Reactions"): a member puts one of a
-- small fixed set of pixel-art reactions on a message, at most one of each
-- kind per member and message (the primary key), so that setting one is
-- idempotent (ON CONFLICT DO NOTHING) and removing one is a plain DELETE.
--
-- The kinds are a CHECK, not a table: the set is fixed by the product
-- (there are pictures for these six only), and domain.ReactionKinds says
-- the same list to the API. A reaction goes with its message (a purge, a
-- conversation deleted) and with the account that made it (removeAccount
-- deletes it first, so the counts change live; the cascade is the net).
--
-- The primary key leads with message_id: a history page's counts are one
-- index range per message of the page (store.loadReactions, one query).
-- idx_message_reactions_user serves deleting an account's reactions.

-- +goose Up
CREATE TABLE message_reactions (
    message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind VARCHAR(16) NOT NULL CHECK (kind IN ('heart', 'star', 'laugh', 'wow', 'sad', 'thumbs_up')),
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (message_id, user_id, kind)
);
CREATE INDEX idx_message_reactions_user ON message_reactions (user_id);

-- +goose Down
DROP TABLE message_reactions;

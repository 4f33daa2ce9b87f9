-- Every send writes two or more live_events rows, and each row went into
-- seven indexes: keeping them up was as costly as the send's own messages
-- INSERT (issue 9). Two of them could serve their queries as well as one:
--
-- - (xact, id) is unique (id is) and is the order every reader reads in:
--   as the primary key it serves the instances' reads, the frontier, the
--   replay's order, the cursor check and the retention purge's delete
--   (store.DeleteOldEvents deletes by (xact, id)), so the key on id alone
--   and idx_live_events_order become one index.
-- - One GIN index over (user_ids, subject_ids) serves the replay (user_ids
--   @>) and account deletion (subject_ids @>) as the two did: a
--   multicolumn GIN index searches any of its columns alone as well as a
--   single-column one, and a row costs one pending-list insert, not two.

-- +goose Up
-- The two index builds hold live_events (sends' event writes, the hubs'
-- reads) for as long as they take (the GIN build took about 0.6 s per
-- 300k events on the 2-core test machine, the key's build comes on top).
-- Either may take longer than the embedded cluster's statement_timeout.
SET LOCAL statement_timeout = 0;
DROP INDEX idx_live_events_users, idx_live_events_subjects;
CREATE INDEX idx_live_events_audience ON live_events USING gin (user_ids, subject_ids);
ALTER TABLE live_events DROP CONSTRAINT live_events_pkey,
    ADD CONSTRAINT live_events_pkey PRIMARY KEY (xact, id);
DROP INDEX idx_live_events_order;

-- +goose Down
SET LOCAL statement_timeout = 0;
CREATE INDEX idx_live_events_order ON live_events (xact, id);
ALTER TABLE live_events DROP CONSTRAINT live_events_pkey,
    ADD CONSTRAINT live_events_pkey PRIMARY KEY (id);
DROP INDEX idx_live_events_audience;
CREATE INDEX idx_live_events_users ON live_events USING gin (user_ids);
CREATE INDEX idx_live_events_subjects ON live_events USING gin (subject_ids);

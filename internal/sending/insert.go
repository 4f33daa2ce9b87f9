package sending

import (
	"pixelpals/internal/domain"
	"pixelpals/internal/store"
)

// The statements of the send transaction (tx.go): its settings, its
// locks and the INSERT that runs checks 3, 5, 6 and 7 on every row of the
// batch at once.

// txSettingsSQL sets the transaction's settings in one statement: generic
// plans (readbatch.ForceGenericSQL's plan_cache_mode), the lock wait $1,
// and pixelpals.announce $2 (eventlog.AnnounceAfterCommit, or ”: the
// outbox's trigger announces the events at the commit). Each is local to
// the transaction. It is a statement of its own because plan_cache_mode
// applies only to the statements after the one that sets it.
const txSettingsSQL = `
		SELECT set_config('plan_cache_mode', 'force_generic_plan', true), set_config('lock_timeout', $1, true),
		       set_config('pixelpals.announce', $2, true)`

// lockSQL share-locks the batch's senders' users rows $1, then locks its
// conversations $2, each given in id order: the lock order of
// store/rule.go. One statement, whose order is a data dependency: the
// conversations' part reads the count of the users rows locked (u.n >= 0
// is there for that alone), so it runs once every one of them is. Each row is locked by a probe of its
// key, in the order of the arrays: a plan with "id = ANY($1)" scanned the
// whole table when its statistics were thin (a seq scan of 4,000 users
// cost 0.4 ms a batch).
const lockSQL = `
		WITH u AS MATERIALIZED (
			SELECT count(l.*) AS n FROM unnest($1::int[]) AS k(id)
			CROSS JOIN LATERAL (SELECT 1 FROM users WHERE id = k.id FOR KEY SHARE) l)
		SELECT u.n, count(l.*) FROM u CROSS JOIN unnest($2::int[]) AS k(id)
		CROSS JOIN LATERAL (SELECT 1 FROM conversations WHERE id = k.id AND u.n >= 0 FOR NO KEY UPDATE) l
		GROUP BY u.n`

// sessionHoldsSQL keeps out a batch row r whose session or send gate
// changed since its checks (store.SendHoldsSQL); a row without a session
// (a gate made by hand) is not checked.
var sessionHoldsSQL = `(r.session_id IS NULL OR ` + store.SendHoldsSQL("r.session_id", "r.sender_id", "r.stamp") + `)`

// batchRateSQL is check 3 of a batch row r: the nth send of its sender
// in the batch goes out only if the batch's token take
// (ratelimit.TakeTokensSQL, earlier in the same transaction, which keeps
// the bucket's row locked) granted at least n tokens. A row without a key
// is not limited.
const batchRateSQL = `
		(r.rate_key IS NULL OR r.nth <= (SELECT b.granted FROM rate_buckets b WHERE b.key = r.rate_key))`

// sendCheckSQL is checks 5 and 7 of a batch row r: membership, not
// frozen. Each is a scalar subquery (NULL when nothing matches, which
// rejects the row), which PostgreSQL runs per row as an index probe; an
// EXISTS could be pulled up into a join planned for unnest's guessed 100
// rows.
const sendCheckSQL = `
		(SELECT true FROM conversation_members cm WHERE cm.conversation_id = r.conversation_id AND cm.user_id = r.sender_id)
		AND (SELECT c.frozen_at IS NULL FROM conversations c WHERE c.id = r.conversation_id)`

// mediaRule is check 6, the media rule, for the given sender, message
// type and upload expressions: a text message carries none, an image or
// audio message one the sender uploaded, of its kind.
func mediaRule(sender, typ, media string) string {
	return `CASE WHEN ` + media + ` IS NULL THEN ` + typ + ` = 'text'
		ELSE coalesce((SELECT true FROM media md JOIN media_blobs b ON b.sha256 = md.sha256
		               WHERE md.id = ` + media + ` AND md.uploader_id = ` + sender + ` AND b.kind = ` + typ + `), false) END`
}

// sendTimeSQL is the created_at of the k-th (from 1) row of a
// conversation in one batch (store's nextMessageTimeSQL, docs/chat.md
// "History paging"): the statement's clock, never below the
// conversation's newest message, plus k-1 microseconds, so rows of one
// conversation in one batch grow in batch order whatever the clock does
// between them.
const sendTimeSQL = `GREATEST(t.now,
		(SELECT max(x.created_at) FROM messages x WHERE x.conversation_id = ok.conversation_id))
		+ (ok.k - 1) * interval '1 microsecond'`

// insertRowsSQL inserts every row of the batch that passes its checks,
// in batch order (a repeated (sender, client id) inserts nothing), writes
// their message.created events (one outbox row per message, rendered here
// from the inserted rows: store.MessageCreatedEventsSQL), and returns the
// rows: the batch's writes in one statement, without a round trip for the
// events.
var insertRowsSQL = `
		WITH r AS (
			SELECT u.*, row_number() OVER (PARTITION BY u.sender_id ORDER BY u.ord) AS nth
			FROM unnest($1::int[], $2::int[], $3::text[], $4::text[], $5::text[], $6::int[], $7::bytea[], $8::bigint[], $9::text[])
				WITH ORDINALITY AS u(conversation_id, sender_id, type, content, client_id, media_id, rate_key, session_id, stamp, ord)),
		ok AS MATERIALIZED (
			SELECT r.*, row_number() OVER (PARTITION BY r.conversation_id ORDER BY r.ord) AS k
			FROM r WHERE ` + sessionHoldsSQL + ` AND ` + batchRateSQL + ` AND ` + sendCheckSQL + `
			  AND ` + mediaRule("r.sender_id", "r.type", "r.media_id") + `
			ORDER BY r.ord),
		t AS MATERIALIZED (SELECT clock_timestamp()::timestamp AS now),
		ins AS (
			INSERT INTO messages AS m (conversation_id, sender_id, type, content, client_id, created_at, media_id, media_url)
			SELECT ok.conversation_id, ok.sender_id, ok.type, NULLIF(ok.content, ''), ok.client_id, ` + sendTimeSQL + `,
			       ok.media_id, '` + domain.MediaPath + `' || ok.media_id
			FROM ok CROSS JOIN t
			ORDER BY ok.ord
			ON CONFLICT (sender_id, client_id) WHERE client_id IS NOT NULL DO NOTHING
			RETURNING m.*),
		ev AS (` + store.MessageCreatedEventsSQL("ins") + `)
		SELECT ` + store.MessageColumns + ` FROM ins m ORDER BY m.id`

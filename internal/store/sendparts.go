package store

import (
	"context"

	"pixelpals/internal/domain"
	"pixelpals/internal/eventlog"
)

// The parts of a message send that belong to the store's other concerns
// (messages, live events, conversation access), for the send
// pipeline (internal/sending), which writes its transaction with them in
// its own round trips: each is SQL to queue or rows to read, never a
// statement run on its own, so that the pipeline adds none. What the
// pipeline uses as the store has it (MessageColumns, ScanMessage,
// RetryConflicts, Distinct) is exported where it is defined.

// SenderView is a message as its sender sees it.
func SenderView(m domain.Message) domain.Message { return viewed(m, m.SenderID, false) }

// MessageCreatedEventsSQL writes the message.created event of each
// message in ins (the name of a statement's WITH query, returning rows of
// messages just sent: none deleted), in id order: one outbox row per
// message, to every family reader of its conversation (convAudiencesSQL)
// at once, about its sender. Its data is the message as its sender sees
// it (MessageJSONSQL, with the client id); every other recipient gets it
// without the client id, which the readers strip at delivery
// (eventlog.ViewerDataSQL): the payloads of a new message differ in
// nothing else (viewed). Run in the transaction that inserts the
// messages, after their conversations' rows were locked, so the
// audiences are those of the commit.
func MessageCreatedEventsSQL(ins string) string {
	return `
		INSERT INTO live_events (type, user_ids, subject_ids, data)
		SELECT ` + eventlog.MessageCreated.Literal() + `, a.viewers, ARRAY[m.sender_id::bigint], ` + MessageJSONSQL + `
		FROM ` + ins + ` m
		JOIN (SELECT c, array_agg(v::bigint ORDER BY v) AS viewers
		      FROM (` + convAudiencesOf(`ARRAY(SELECT DISTINCT conversation_id FROM `+ins+`)`) + `) x GROUP BY c) a
		  ON a.c = m.conversation_id
		ORDER BY m.id`
}

// MessageJSONSQL is the message m (a row of messages) as JSON, as
// json.Marshal writes domain.Message from MessageColumns (ScanMessage),
// before viewed shapes it for a viewer. created_at and deleted_at are
// timestamps without time zone, which pgx reads as UTC. A message just
// sent has no reactions yet: an empty list, as History shows it.
var MessageJSONSQL = `jsonb_build_object(
		'id', m.id, 'conversation_id', m.conversation_id, 'sender_id', m.sender_id, 'type', m.type,
		'content', m.content, 'media_id', m.media_id, 'media_url', m.media_url,
		'media_thumb_url', ` + messageThumbURL + `,
		'media_width', ` + messageImageSide("width") + `, 'media_height', ` + messageImageSide("height") + `,
		'created_at', ` + utcJSON("coalesce(m.created_at, CURRENT_TIMESTAMP::timestamp)") + `,
		'deleted', m.deleted_at IS NOT NULL, 'deleted_at', ` + utcJSON("m.deleted_at") + `,
		'reactions', '[]'::jsonb)
		|| CASE WHEN m.client_id IS NULL THEN '{}' ELSE jsonb_build_object('client_id', m.client_id) END`

// utcJSON is the timestamp ts as Go's JSON of a UTC time.Time: ISO 8601,
// trailing zeros of the fraction dropped (to_json's), and a Z; NULL as
// null.
func utcJSON(ts string) string {
	return `to_jsonb((to_json(` + ts + `) #>> '{}') || 'Z')`
}

// IsLockTimeout tells whether err is a lock waited for past lock_timeout.
func IsLockTimeout(err error) bool { return pgCode(err) == codeLockNotAvailable }

// CheckMember refuses a send by the actor to a conversation they are not
// a member of: not_found when they may not read it, forbidden when they
// only read it (a parent of a member, an admin of a reported chat).
func (db *DB) CheckMember(ctx context.Context, actor *domain.Actor, convID int64) error {
	acc, err := accessTo(ctx, db.Pool, actor, convID)
	if err != nil {
		return err
	}
	if !acc.member {
		return errReadOnly()
	}
	return nil
}

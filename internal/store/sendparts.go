package store

import (
	"context"

	"github.com/jackc/pgx/v5"

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

// MessageAudiencesSQL lists who may read the conversations $1 now, for
// their message events (CollectAudiences reads it).
const MessageAudiencesSQL = convAudiencesSQL

// Audiences are the readers of some conversations, by conversation.
type Audiences struct{ byConv map[int64][]viewer }

// CollectAudiences reads MessageAudiencesSQL's rows.
func CollectAudiences(rows pgx.Rows) (Audiences, error) {
	m, err := collectAudiences(rows)
	return Audiences{m}, err
}

// MessageCreatedEvents are the message.created events of msgs, sent just
// now, for their conversations' audiences, encoded as eventlog.AppendSQL's
// parameters.
func MessageCreatedEvents(a Audiences, msgs []domain.Message) (eventlog.Columns, error) {
	evs, err := messageEventsFor(eventlog.MessageCreated, a.byConv, msgs)
	if err != nil {
		return eventlog.Columns{}, err
	}
	return eventlog.Encode(evs)
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

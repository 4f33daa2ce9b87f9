package live

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"pixelpals/internal/eventlog"
	"pixelpals/internal/store"
)

// Sleep mode's delivery policy (issue 12.1, docs/controls.md): while a
// child is in their quiet hours their sockets hold every event but two
// kinds, which still go out at once:
//   - their own sleep_mode.changed, which is how their page learns that
//     quiet time began, while nothing before it is held;
//   - when the parent allows messages to them (allow_parent_messages),
//     the messages of the child's direct chat with that parent (and
//     their reactions), both ways (issue 19.7: the parent's reply
//     reached the page only in the morning), even past held events, with
//     an "ahead" cursor.
//
// The socket writer asks the hub's policy (Hub.policy) and keeps only
// the mechanics of holding and replaying (hold.go).

// sleepChanged is the event that tells a child's sockets to re-read their
// schedule at once.
const sleepChanged = eventlog.SleepModeChanged

// verdict is what the policy makes of one event for a sleeping viewer.
type verdict int

const (
	holdBack  verdict = iota // waits for the end of the quiet time
	passFirst                // goes out while nothing before it is held
	passAhead                // goes out even past held events (cursor.go's ahead)
)

// sleepPolicy decides, per viewer, whether they are in their quiet time
// and which events reach them meanwhile.
type sleepPolicy struct {
	db  *store.DB
	now func() time.Time
	log *slog.Logger
}

// deliverable is the policy's verdict on it for v during quiet time, and
// whether it is a message of v's direct chat with their own parent.
func (p *sleepPolicy) deliverable(ctx context.Context, it *item, v *viewer) (verdict, bool) {
	chat := p.parentChat(ctx, it, v)
	switch {
	case chat && v.allowParent:
		return passAhead, chat
	case it.typ == sleepChanged:
		return passFirst, chat
	}
	return holdBack, chat
}

// parentChat tells whether it is a message (or reactions) event of v's
// direct chat with their own parent (store.IsDirectWithOwnParent).
func (p *sleepPolicy) parentChat(ctx context.Context, it *item, v *viewer) bool {
	if it.typ != eventlog.MessageCreated && it.typ != eventlog.MessageDeleted && it.typ != eventlog.MessageReactions {
		return false
	}
	var f struct {
		Data struct {
			ConversationID int64 `json:"conversation_id"`
		} `json:"data"`
	}
	if json.Unmarshal(it.frame, &f) != nil || f.Data.ConversationID == 0 {
		return false
	}
	return p.isParentChat(ctx, v, f.Data.ConversationID)
}

// holdRecheck bounds how long a cached sleep state is trusted.
const holdRecheck = time.Minute

// viewer is one socket's user as the sleep policy sees them: their sleep
// state, cached so that a busy socket reads the schedule at most once a
// minute (and at each sleep_mode.changed event, and at each start and
// end of quiet time).
type viewer struct {
	userID     int64
	validUntil time.Time
	asleepTill time.Time
	// allowParent is the schedule's parent switch; chats, which of the
	// conversations met are the user's direct chat with their parent.
	allowParent bool
	chats       map[int64]bool
}

func (c *viewer) invalidate() { c.validUntil = time.Time{} }

// quietUntil is the end of c's quiet time when they are in it now, else
// zero. A failed read delivers (logged): sleep mode is a routine, not a
// safety barrier, and the send refusal does not depend on it.
func (p *sleepPolicy) quietUntil(ctx context.Context, c *viewer) time.Time {
	now := p.now()
	if now.Before(c.validUntil) {
		if now.Before(c.asleepTill) {
			return c.asleepTill
		}
		return time.Time{}
	}
	st, sched, err := p.db.SleepStateOf(ctx, c.userID, now)
	if err != nil {
		p.log.Warn("live: read sleep mode", "err", err, "user_id", c.userID)
		return time.Time{}
	}
	c.validUntil = now.Add(holdRecheck)
	c.asleepTill = time.Time{}
	c.allowParent = sched != nil && sched.AllowParent
	c.chats = nil // re-read too, in case a member left
	switch {
	case st.Asleep:
		c.asleepTill = st.Until
		c.validUntil = minTime(c.validUntil, st.Until)
		return st.Until
	case !st.Next.IsZero():
		c.validUntil = minTime(c.validUntil, st.Next)
	}
	return time.Time{}
}

// isParentChat tells whether conversation convID is c's direct chat with
// their own parent (cached with the schedule); a failed read says no (the
// message is held, and comes on waking).
func (p *sleepPolicy) isParentChat(ctx context.Context, c *viewer, convID int64) bool {
	if ok, known := c.chats[convID]; known {
		return ok
	}
	ok, err := p.db.IsDirectWithOwnParent(ctx, c.userID, convID)
	if err != nil {
		p.log.Warn("live: read the chat with the parent", "err", err, "user_id", c.userID)
		return false
	}
	if c.chats == nil {
		c.chats = map[int64]bool{}
	}
	c.chats[convID] = ok
	return ok
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

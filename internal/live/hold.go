package live

import (
	"context"
	"encoding/json"
	"time"

	"pixelpals/internal/eventlog"
)

// Sleep mode (issue 12.1, docs/controls.md): while a child is in their
// quiet hours their sockets hold every event but two kinds, and when the
// quiet time ends they replay what was held from the outbox (the same
// replay as ?since=), so nothing is lost and nothing is written twice. The
// socket's writer decides, for the queue's events and the outbox's alike
// (socket.quiet).
//
// What still goes out at once:
//   - their own sleep_mode.changed, which is how their page learns that
//     quiet time began, while nothing before it is held;
//   - when the parent allows messages to them (allow_parent_messages),
//     the messages of the child's direct chat with that parent, both
//     ways (issue 19.7: the parent's reply reached the page only in the
//     morning).
//
// A frame's id is the cursor the client reconnects with, and it must never
// pass a held event. The chat's messages therefore go out "ahead": their
// id is the cursor last~ahead (cursor.go), which says "everything up to
// last, and the chat's messages up to ahead". A replay from it, now or on
// waking, skips those messages and sends the rest. For that to hold, no
// message of the chat after last may be unsent when ahead moves past it:
// once one is held (the parent switch was off), the next one first
// catches up on the chat from the outbox.

// sleepChanged is the event that tells a child's sockets to re-read their
// schedule at once.
const sleepChanged = eventlog.SleepModeChanged

// wakeCheck is queued to a sleeping socket every PollInterval, so that it
// notices the end of the quiet time (by the hub's clock, which tests set).
var wakeCheck = &item{typ: "wake_check"}

// take sends, holds or skips one event of the queue; false when the
// socket ended. At the end of the quiet time it first replays what was
// held, up to the hub's position.
func (s *socket) take(ctx context.Context, it *item) bool {
	if it.typ == sleepChanged || it == wakeCheck {
		s.hold.invalidate()
	}
	asleep := !s.hold.heldUntil(ctx).IsZero()
	switch {
	case asleep && (!s.asleep || it == wakeCheck):
		s.fallAsleep()
	case !asleep && s.asleep:
		s.asleep, s.heldAny, s.behind = false, false, false
		if !s.walk(ctx, s.last, s.h.position()) {
			return false
		}
	}
	if it == wakeCheck {
		return true
	}
	return s.offer(ctx, it)
}

// fallAsleep marks the socket asleep and schedules the next wake-up check.
func (s *socket) fallAsleep() {
	s.asleep = true
	time.AfterFunc(s.h.cfg.PollInterval, func() { s.push(wakeCheck) })
}

// quiet sends or holds it during quiet time; false when the socket ended.
func (s *socket) quiet(ctx context.Context, it *item) bool {
	chat := s.parentChat(ctx, it)
	allowed := chat && s.hold.allowParent
	switch {
	case !s.last.Less(it.pos) || (chat && !s.ahead.Less(it.pos)):
		return true // sent already
	case !s.heldAny && (it.typ == sleepChanged || allowed):
		return s.sendAt(ctx, it) // nothing before it is held
	case allowed && s.behind:
		// A message of the chat before this one is held: send the chat's
		// messages up to this one, in order, from the outbox.
		s.behind = false
		return s.walk(ctx, maxPos(s.last, s.ahead), it.pos)
	case allowed:
		return s.sendAhead(ctx, it)
	default:
		s.heldAny = true
		s.behind = s.behind || chat
		return true
	}
}

// sendAhead sends it past held events, with the cursor last~its position.
func (s *socket) sendAhead(ctx context.Context, it *item) bool {
	var f frame
	if err := json.Unmarshal(it.frame, &f); err != nil {
		return true // never: the hub encoded it
	}
	f.ID = Cursor{Pos: s.last, Ahead: it.pos}.String()
	b, _ := json.Marshal(f)
	if !s.send(ctx, b) {
		return s.fail()
	}
	s.ahead = it.pos
	return true
}

// parentChat tells whether it is a message event of the user's direct
// chat with their own parent (store.IsDirectWithOwnParent).
func (s *socket) parentChat(ctx context.Context, it *item) bool {
	if it.typ != eventlog.MessageCreated && it.typ != eventlog.MessageDeleted {
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
	return s.hold.parentChat(ctx, f.Data.ConversationID)
}

func maxPos(a, b eventlog.Pos) eventlog.Pos {
	if a.Less(b) {
		return b
	}
	return a
}

// holdRecheck bounds how long a cached sleep state is trusted.
const holdRecheck = time.Minute

// holdCache is one socket's view of its user's sleep state, so that a
// busy socket reads the schedule at most once a minute (and at each
// sleep_mode.changed event, and at each start and end of quiet time).
type holdCache struct {
	h          *Hub
	userID     int64
	validUntil time.Time
	asleepTill time.Time
	// allowParent is the schedule's parent switch; chats, which of the
	// conversations met are the user's direct chat with their parent.
	allowParent bool
	chats       map[int64]bool
}

func (c *holdCache) invalidate() { c.validUntil = time.Time{} }

// heldUntil is the end of the user's quiet time when they are in it now,
// else zero. A failed read delivers (logged): sleep mode is a routine, not
// a safety barrier, and the send refusal does not depend on it.
func (c *holdCache) heldUntil(ctx context.Context) time.Time {
	now := c.h.cfg.Now()
	if now.Before(c.validUntil) {
		if now.Before(c.asleepTill) {
			return c.asleepTill
		}
		return time.Time{}
	}
	st, sched, err := c.h.db.SleepStateOf(ctx, c.userID, now)
	if err != nil {
		c.h.log.Warn("live: read sleep mode", "err", err, "user_id", c.userID)
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

// parentChat tells whether conversation convID is the user's direct chat
// with their own parent (cached with the schedule); a failed read says no
// (the message is held, and comes on waking).
func (c *holdCache) parentChat(ctx context.Context, convID int64) bool {
	if ok, known := c.chats[convID]; known {
		return ok
	}
	ok, err := c.h.db.IsDirectWithOwnParent(ctx, c.userID, convID)
	if err != nil {
		c.h.log.Warn("live: read the chat with the parent", "err", err, "user_id", c.userID)
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

package live

import (
	"context"
	"encoding/json"
	"time"

	"pixelpals/internal/eventlog"
)

// Sleep mode's mechanics in the socket writer (issue 12.1,
// docs/controls.md). Which events a sleeping child's socket holds back
// and which still go out is the hub's sleep policy (policy.go); here the
// writer keeps its cursor right: when the quiet time ends it replays
// what was held from the outbox (the same replay as ?since=), so nothing
// is lost and nothing is written twice. The writer asks the policy for
// the queue's events and the outbox's alike (socket.quiet).
//
// A frame's id is the cursor the client reconnects with, and it must never
// pass a held event. The chat's messages therefore go out "ahead": their
// id is the cursor last~ahead (cursor.go), which says "everything up to
// last, and the chat's messages up to ahead". A replay from it, now or on
// waking, skips those messages and sends the rest. For that to hold, no
// message of the chat after last may be unsent when ahead moves past it:
// once one is held (the parent switch was off), the next one first
// catches up on the chat from the outbox.

// wakeCheck is queued to a sleeping socket every PollInterval, so that it
// notices the end of the quiet time (by the hub's clock, which tests set).
var wakeCheck = &item{typ: "wake_check"}

// take sends, holds or skips one event of the queue; false when the
// socket ended. At the end of the quiet time it first replays what was
// held, up to the hub's position.
func (s *socket) take(ctx context.Context, it *item) bool {
	if it.typ == sleepChanged || it == wakeCheck {
		s.viewer.invalidate()
	}
	asleep := !s.h.policy.quietUntil(ctx, s.viewer).IsZero()
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

// quiet sends or holds it during quiet time, as the sleep policy says;
// false when the socket ended.
func (s *socket) quiet(ctx context.Context, it *item) bool {
	pass, chat := s.h.policy.deliverable(ctx, it, s.viewer)
	switch {
	case !s.last.Less(it.pos) || (chat && !s.ahead.Less(it.pos)):
		return true // sent already
	case !s.heldAny && pass != holdBack:
		return s.sendAt(ctx, it) // nothing before it is held
	case pass == passAhead && s.behind:
		// A message of the chat before this one is held: send the chat's
		// messages up to this one, in order, from the outbox.
		s.behind = false
		return s.walk(ctx, maxPos(s.last, s.ahead), it.pos)
	case pass == passAhead:
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

func maxPos(a, b eventlog.Pos) eventlog.Pos {
	if a.Less(b) {
		return b
	}
	return a
}

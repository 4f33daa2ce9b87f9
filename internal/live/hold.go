package live

import (
	"context"
	"time"
)

// Sleep mode (issue 12.1, docs/controls.md): while a child is in their
// quiet hours their sockets write nothing new but their own
// sleep_mode.changed (while nothing before it is held). Events that arrive are
// dropped from the queue, and when the quiet time ends the socket replays
// them from the outbox (the same replay as ?since=), so nothing is lost
// and nothing is written twice. The socket's writer decides (socket.awake).

// sleepChanged is the event that tells a child's sockets to re-read their
// schedule at once.
const sleepChanged = "sleep_mode.changed"

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
	st, _, err := c.h.db.SleepStateOf(ctx, c.userID, now)
	if err != nil {
		c.h.log.Warn("live: read sleep mode", "err", err, "user_id", c.userID)
		return time.Time{}
	}
	c.validUntil = now.Add(holdRecheck)
	c.asleepTill = time.Time{}
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

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

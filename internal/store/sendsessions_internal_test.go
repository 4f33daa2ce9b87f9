package store

import (
	"fmt"
	"testing"
	"time"

	"pixelpals/internal/domain"
)

// TestSendSessionsRemember: a lookup is reused until rememberSendFor has
// passed, as a copy marked Remembered whose changes do not reach the
// cache; a full cache forgets its stale entries, or all of them when none
// is stale, but not for a sender looked up again.
func TestSendSessionsRemember(t *testing.T) {
	var c sendSessions
	t0 := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	c.put("a", domain.Actor{UserID: 1, SessionID: 10}, SendGate{sessionID: 10, stamp: "s"}, t0)
	if _, _, ok := c.get("b", t0); ok {
		t.Fatal("an unknown hash was found")
	}
	actor, gate, ok := c.get("a", t0.Add(rememberSendFor-time.Nanosecond))
	if !ok || actor.UserID != 1 || !gate.Remembered() || gate.stamp != "s" {
		t.Fatalf("get = %+v, %+v, %v", actor, gate, ok)
	}
	actor.UserID, gate.stamp = 2, "changed"
	if again, g, _ := c.get("a", t0); again.UserID != 1 || g.stamp != "s" {
		t.Fatalf("a change to a copy reached the cache: %+v %+v", again, g)
	}
	if _, _, ok := c.get("a", t0.Add(rememberSendFor)); ok {
		t.Fatal("a lookup was reused past rememberSendFor")
	}

	for i := 1; i < maxRememberedSends; i++ {
		c.put(fmt.Sprint("fresh", i), domain.Actor{}, SendGate{}, t0.Add(rememberSendFor))
	}
	c.put("new", domain.Actor{}, SendGate{}, t0.Add(rememberSendFor)) // "a" is stale: it goes
	if _, ok := c.m["a"]; ok || len(c.m) != maxRememberedSends {
		t.Fatalf("after evicting the stale entry: %d entries, a kept: %v", len(c.m), ok)
	}
	c.put("new", domain.Actor{UserID: 7}, SendGate{}, t0.Add(rememberSendFor)) // a sender looked up again
	if len(c.m) != maxRememberedSends || c.m["new"].actor.UserID != 7 {
		t.Fatalf("looking a sender up again in a full cache: %d entries", len(c.m))
	}
	c.put("burst", domain.Actor{}, SendGate{}, t0.Add(rememberSendFor))
	if len(c.m) != 1 {
		t.Fatalf("a full cache of fresh entries kept %d, want only the new one", len(c.m))
	}
}

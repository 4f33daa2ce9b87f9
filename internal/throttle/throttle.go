// Package throttle slows down password guessing and message floods with
// in-memory, per-key limits: Limiter locks a key out after repeated failures,
// and Rate is a token bucket. Both forget idle keys and cap how many keys
// they track, so an attacker cycling through names or addresses cannot grow
// memory without bound.
//
// State lives in one process; a restart forgets it, which only ever errs on
// the side of letting someone try again.
package throttle

import (
	"container/list"
	"time"
)

// maxTrackedKeys caps the keys one Limiter or Rate remembers. When full, the
// key touched longest ago is forgotten.
const maxTrackedKeys = 100_000

// tracked is a map from key to state that remembers the order keys were last
// touched, so the stalest can be pruned from the back in O(1) each.
type tracked[V any] struct {
	max   int
	byKey map[string]*list.Element // values are *entry[V]
	order *list.List               // front = touched most recently
}

type entry[V any] struct {
	key     string
	touched time.Time
	val     V
}

func newTracked[V any](max int) *tracked[V] {
	return &tracked[V]{max: max, byKey: make(map[string]*list.Element), order: list.New()}
}

func (t *tracked[V]) get(key string) *entry[V] {
	if el, ok := t.byKey[key]; ok {
		return el.Value.(*entry[V])
	}
	return nil
}

// touch returns key's entry, creating a zero one if needed, marks it touched
// at now, and evicts the stalest entries beyond the cap.
func (t *tracked[V]) touch(key string, now time.Time) *entry[V] {
	if el, ok := t.byKey[key]; ok {
		e := el.Value.(*entry[V])
		if now.After(e.touched) {
			e.touched = now
		}
		t.order.MoveToFront(el)
		return e
	}
	e := &entry[V]{key: key, touched: now}
	t.byKey[key] = t.order.PushFront(e)
	for t.order.Len() > t.max {
		t.removeElement(t.order.Back())
	}
	return e
}

func (t *tracked[V]) remove(key string) {
	if el, ok := t.byKey[key]; ok {
		t.removeElement(el)
	}
}

// pruneUntouchedSince forgets entries last touched at or before cutoff. It
// walks from the stalest end and stops at the first fresher entry, so each
// call costs only what it removes.
func (t *tracked[V]) pruneUntouchedSince(cutoff time.Time) {
	for el := t.order.Back(); el != nil; el = t.order.Back() {
		if el.Value.(*entry[V]).touched.After(cutoff) {
			return
		}
		t.removeElement(el)
	}
}

func (t *tracked[V]) removeElement(el *list.Element) {
	delete(t.byKey, el.Value.(*entry[V]).key)
	t.order.Remove(el)
}

func (t *tracked[V]) len() int { return t.order.Len() }

package api_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"pixelpals/internal/apitest"
	"pixelpals/internal/live"
)

// testClock is the clock of sleep mode that a test moves by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(rfc3339 string) *testClock {
	c := &testClock{}
	c.Set(rfc3339)
	return c
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Set(rfc3339 string) {
	t, err := time.Parse(time.RFC3339, rfc3339)
	if err != nil {
		panic(err)
	}
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// School nights 21:00-07:00 in Berlin: on Wednesday 2026-03-25 (CET,
// +01) that is 20:00Z to Thursday 06:00Z.
func schoolNights(allowParent bool) map[string]any {
	return map[string]any{"time_zone": "Europe/Berlin", "weekday": map[string]string{"start": "21:00", "end": "07:00"},
		"weekend": nil, "allow_parent_messages": allowParent}
}

type sleepFixture struct {
	env    *apitest.Env
	clock  *testClock
	fam    *apitest.Family
	direct int64 // the child's direct chat with their parent
	group  int64 // a group of the child and their parent
	n      int
}

func newSleepFixture(t *testing.T) *sleepFixture {
	f := &sleepFixture{clock: newClock("2026-03-25T12:00:00Z")}
	f.env = apitest.New(t, apitest.Options{Now: f.clock.Now, Live: live.Config{PollInterval: 20 * time.Millisecond}})
	f.fam = f.env.Family(f.env.Admin(), 1)
	var c struct{ ID int64 }
	f.fam.Child().Must(201, "POST", "/conversations", map[string]any{"member_ids": []int64{f.fam.Parent.UserID}, "is_group": false}, &c)
	f.direct = c.ID
	f.fam.Child().Must(201, "POST", "/conversations", map[string]any{"member_ids": []int64{f.fam.Parent.UserID}, "is_group": true, "title": "home"}, &c)
	f.group = c.ID
	return f
}

func (f *sleepFixture) send(c *apitest.Client, conv int64) *apitest.Response {
	f.n++
	return c.Do("POST", fmt.Sprintf("/conversations/%d/messages", conv),
		map[string]string{"type": "text", "content": fmt.Sprintf("msg %d", f.n), "client_id": fmt.Sprintf("m%d", f.n)})
}

func (f *sleepFixture) messages(t *testing.T, conv int64) int {
	var n int
	if err := f.env.DB.Pool.QueryRow(t.Context(), `SELECT count(*) FROM messages WHERE conversation_id = $1`, conv).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func (f *sleepFixture) audits(t *testing.T, action string) int {
	var n int
	if err := f.env.DB.Pool.QueryRow(t.Context(), `SELECT count(*) FROM audit_logs WHERE action = $1 AND entity_id = $2`,
		action, f.fam.Child().UserID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

type sleepErr struct {
	Error struct {
		Code    string    `json:"code"`
		Message string    `json:"message"`
		EndsAt  time.Time `json:"ends_at"`
	} `json:"error"`
}

// TestSleepModeRefusesSends: during quiet hours the child's sends are 423
// sleep_mode with the end (body and Retry-After) and store nothing; the
// parent switch lets the direct chat with the parent through; the parent
// is never refused; every change is audited.
func TestSleepModeRefusesSends(t *testing.T) {
	f := newSleepFixture(t)
	child, parent := f.fam.Child(), f.fam.Parent
	sleepPath := fmt.Sprintf("/children/%d/sleep-mode", child.UserID)
	var view struct {
		Asleep    bool       `json:"asleep"`
		EndsAt    *time.Time `json:"ends_at"`
		NextStart *time.Time `json:"next_start"`
		Weekday   struct{ Start, End string }
	}
	parent.Must(200, "PUT", sleepPath, schoolNights(false), &view)
	if view.Asleep || view.NextStart == nil || !view.NextStart.Equal(time.Date(2026, 3, 25, 20, 0, 0, 0, time.UTC)) || view.Weekday.End != "07:00" {
		t.Fatalf("at noon: %+v", view)
	}
	if r := f.send(child, f.direct); r.Status != 201 {
		t.Fatalf("awake send: %d %s", r.Status, r.Body)
	}

	f.clock.Set("2026-03-25T22:30:00Z") // 23:30 in Berlin
	before := f.messages(t, f.direct)
	r := f.send(child, f.direct)
	var e sleepErr
	json.Unmarshal(r.Body, &e)
	wantEnd := time.Date(2026, 3, 26, 6, 0, 0, 0, time.UTC)
	if r.Status != 423 || e.Error.Code != "sleep_mode" || !e.Error.EndsAt.Equal(wantEnd) ||
		!strings.Contains(e.Error.Message, "07:00") || r.Header.Get("Retry-After") != "27000" {
		t.Fatalf("asleep send: %d %s (Retry-After %q)", r.Status, r.Body, r.Header.Get("Retry-After"))
	}
	if got := f.messages(t, f.direct); got != before {
		t.Fatalf("a refused send stored a message: %d, want %d", got, before)
	}
	if r := f.send(child, f.group); r.Status != 423 {
		t.Fatalf("asleep send to the group: %d", r.Status)
	}
	if r := f.send(parent, f.direct); r.Status != 201 {
		t.Fatalf("the parent is never asleep: %d %s", r.Status, r.Body)
	}
	var me struct {
		Asleep   bool       `json:"asleep"`
		EndsAt   *time.Time `json:"ends_at"`
		TimeZone *string    `json:"time_zone"`
	}
	child.Must(200, "GET", "/me/sleep-mode", nil, &me)
	if !me.Asleep || me.EndsAt == nil || !me.EndsAt.Equal(wantEnd) || me.TimeZone == nil || *me.TimeZone != "Europe/Berlin" {
		t.Fatalf("GET /me/sleep-mode: %+v", me)
	}

	parent.Must(200, "PUT", sleepPath, schoolNights(true), nil)
	if r := f.send(child, f.direct); r.Status != 201 {
		t.Fatalf("allowed message to the parent: %d %s", r.Status, r.Body)
	}
	if r := f.send(child, f.group); r.Status != 423 {
		t.Fatalf("a group is not the direct chat with the parent: %d", r.Status)
	}

	f.clock.Set("2026-03-26T06:00:00Z") // 07:00: awake
	if r := f.send(child, f.group); r.Status != 201 {
		t.Fatalf("send at 07:00: %d %s", r.Status, r.Body)
	}
	f.clock.Set("2026-03-26T22:00:00Z")
	parent.Must(204, "DELETE", sleepPath, nil, nil)
	if r := f.send(child, f.group); r.Status != 201 {
		t.Fatalf("sleep mode off: %d %s", r.Status, r.Body)
	}
	parent.Must(404, "DELETE", sleepPath, nil, nil)
	parent.Must(404, "GET", sleepPath, nil, nil)
	if set, clear := f.audits(t, "sleep_mode.set"), f.audits(t, "sleep_mode.clear"); set != 2 || clear != 1 {
		t.Fatalf("audit: %d sleep_mode.set, %d sleep_mode.clear; want 2 and 1", set, clear)
	}
}

// TestSleepModeBadInput: each bad schedule is 400 naming the field, and
// changes nothing.
func TestSleepModeBadInput(t *testing.T) {
	f := newSleepFixture(t)
	parent := f.fam.Parent
	sleepPath := fmt.Sprintf("/children/%d/sleep-mode", f.fam.Child().UserID)
	parent.Must(200, "PUT", sleepPath, schoolNights(false), nil)
	span := func(s, e string) map[string]string { return map[string]string{"start": s, "end": e} }
	with := func(k string, v any) map[string]any {
		b := schoolNights(false)
		b[k] = v
		return b
	}
	cases := []struct {
		body  any
		field string
	}{
		{with("time_zone", "Mars/Olympus"), "time_zone"},
		{with("time_zone", ""), "time_zone"},
		{with("time_zone", "Local"), "time_zone"},
		{with("weekday", span("25:00", "07:00")), "weekday.start"},
		{with("weekday", span("7:00", "07:00")), "weekday.start"},
		{with("weekday", span("21:00", "07:60")), "weekday.end"},
		{with("weekday", span("21:00", "21:00")), "weekday.end"},
		{with("weekend", span("21:00", "")), "weekend.end"},
		{with("weekday", nil), "weekday"},
		{with("allow_parent_messages", nil), "allow_parent_messages"},
		{with("bedtime", "now"), "bedtime"},
		{"[]", ""},
	}
	for _, tc := range cases {
		r := parent.Do("PUT", sleepPath, tc.body)
		var e struct{ Error struct{ Code, Field string } }
		json.Unmarshal(r.Body, &e)
		if r.Status != 400 || e.Error.Field != tc.field {
			t.Errorf("%v: %d %s, want 400 on field %q", tc.body, r.Status, r.Body, tc.field)
		}
	}
	var view struct{ Weekday struct{ Start string } }
	parent.Must(200, "GET", sleepPath, nil, &view)
	if view.Weekday.Start != "21:00" || f.audits(t, "sleep_mode.set") != 1 {
		t.Fatalf("bad input changed the schedule: %+v, %d audits", view, f.audits(t, "sleep_mode.set"))
	}
	parent.Must(404, "PUT", "/children/999999/sleep-mode", schoolNights(false), nil)
	parent.Must(404, "PUT", "/children/x/sleep-mode", schoolNights(false), nil)
}

// TestSleepModeHoldsSocket: while the child sleeps their socket writes
// nothing new; at the end it catches up from the outbox, in order, once;
// a reconnect with since during the night waits too.
func TestSleepModeHoldsSocket(t *testing.T) {
	f := newSleepFixture(t)
	child, parent := f.fam.Child(), f.fam.Parent
	s := child.Socket("")
	defer func() { s.Close() }()
	parent.Must(200, "PUT", fmt.Sprintf("/children/%d/sleep-mode", child.UserID), schoolNights(false), nil)
	nextOf(t, s, "sleep_mode.changed")
	f.send(parent, f.direct)
	nextOf(t, s, "message.created")

	f.clock.Set("2026-03-25T22:30:00Z")
	for range 2 {
		if r := f.send(parent, f.direct); r.Status != 201 {
			t.Fatalf("parent send: %d", r.Status)
		}
	}
	quiet(t, s, 300*time.Millisecond)

	f.clock.Set("2026-03-26T06:00:00Z")
	got := frames(t, s, 2)
	for i, fr := range got {
		var m struct{ Content string }
		json.Unmarshal(fr.Data, &m)
		if fr.Type != "message.created" || m.Content != fmt.Sprintf("msg %d", i+2) {
			t.Fatalf("caught-up frame %d: %s %s", i, fr.Type, fr.Data)
		}
	}
	f.send(parent, f.direct)
	if fr := nextOf(t, s, "message.created"); !strings.Contains(string(fr.Data), "msg 4") {
		t.Fatalf("live after catch-up: %s", fr.Data)
	}
	quiet(t, s, 100*time.Millisecond)
	last := got[1].ID

	// Reconnect with since in the next night: the replay waits too.
	s.Close()
	f.clock.Set("2026-03-26T21:00:00Z")
	s = child.Socket(last)
	f.send(parent, f.direct)
	quiet(t, s, 300*time.Millisecond)
	f.clock.Set("2026-03-27T06:00:00Z")
	for _, want := range []string{"msg 4", "msg 5"} {
		if fr := nextOf(t, s, "message.created"); !strings.Contains(string(fr.Data), want) {
			t.Fatalf("replay after the night: %s, want %s", fr.Data, want)
		}
	}
	quiet(t, s, 100*time.Millisecond)
}

// TestSleepModeStartIsToldAtOnce: a schedule that puts the child to sleep
// at once reaches their socket at once (their page shows the sleep screen
// from it); after a held event, a later change waits with it, and both
// come on waking, in order.
func TestSleepModeStartIsToldAtOnce(t *testing.T) {
	f := newSleepFixture(t)
	child, parent := f.fam.Child(), f.fam.Parent
	f.clock.Set("2026-03-25T22:30:00Z") // 23:30 in Berlin, a school night
	s := child.Socket("")
	defer s.Close()
	path := fmt.Sprintf("/children/%d/sleep-mode", child.UserID)
	parent.Must(200, "PUT", path, schoolNights(false), nil)
	nextOf(t, s, "sleep_mode.changed")

	// The group: the direct chat is let through once the switch is on,
	// and the socket may judge this message after that (hold.go).
	f.send(parent, f.group)
	parent.Must(200, "PUT", path, schoolNights(true), nil)
	quiet(t, s, 300*time.Millisecond)
	f.clock.Set("2026-03-26T06:00:00Z")
	got := frames(t, s, 2)
	if got[0].Type != "message.created" || got[1].Type != "sleep_mode.changed" {
		t.Fatalf("on waking: %s then %s, want message.created then sleep_mode.changed", got[0].Type, got[1].Type)
	}
	quiet(t, s, 100*time.Millisecond)
}

// TestSleepModeEventShowsTheChildNoSchedule: sleep_mode.changed tells the
// child no more than GET /me/sleep-mode would (their state, not the
// parent's schedule: time zone, spans, the parent switch); the parent's
// event holds the schedule (null when cleared).
func TestSleepModeEventShowsTheChildNoSchedule(t *testing.T) {
	f := newSleepFixture(t)
	child, parent := f.fam.Child(), f.fam.Parent
	cs, ps := child.Socket(""), parent.Socket("")
	defer cs.Close()
	defer ps.Close()
	path := fmt.Sprintf("/children/%d/sleep-mode", child.UserID)
	for _, change := range []string{"PUT", "DELETE"} {
		want := 200
		var body any = schoolNights(true)
		if change == "DELETE" {
			want, body = 204, nil
		}
		parent.Must(want, change, path, body, nil)
		var cd, pd map[string]json.RawMessage
		json.Unmarshal(nextOf(t, cs, "sleep_mode.changed").Data, &cd)
		json.Unmarshal(nextOf(t, ps, "sleep_mode.changed").Data, &pd)
		if len(cd) != 1 || string(cd["child_id"]) != fmt.Sprint(child.UserID) {
			t.Fatalf("%s: the child's event says %v", change, cd)
		}
		sched, ok := pd["schedule"]
		if string(pd["child_id"]) != fmt.Sprint(child.UserID) || !ok ||
			(change == "PUT") != strings.Contains(string(sched), "Europe/Berlin") {
			t.Fatalf("%s: the parent's event says %v", change, pd)
		}
	}
}

// TestSleepModeEventIsTheRESTView: the schedule in the parent's
// sleep_mode.changed is the schedule PUT and GET answer, field for field
// ("HH:MM" spans, not the minutes the store keeps); only the state now
// (asleep, ends_at, next_start), which depends on the clock, is REST's own.
func TestSleepModeEventIsTheRESTView(t *testing.T) {
	f := newSleepFixture(t)
	child, parent := f.fam.Child(), f.fam.Parent
	ps := parent.Socket("")
	defer ps.Close()
	path := fmt.Sprintf("/children/%d/sleep-mode", child.UserID)
	var put, get map[string]json.RawMessage
	parent.Must(200, "PUT", path, schoolNights(true), &put)
	parent.Must(200, "GET", path, nil, &get)
	var ev struct{ Schedule map[string]json.RawMessage }
	if err := json.Unmarshal(nextOf(t, ps, "sleep_mode.changed").Data, &ev); err != nil {
		t.Fatal(err)
	}
	for _, state := range []string{"asleep", "ends_at", "next_start"} {
		if _, ok := put[state]; !ok {
			t.Fatalf("PUT answered without %s: %v", state, put)
		}
		delete(put, state)
		delete(get, state)
	}
	// The outbox keeps data as jsonb, which orders object keys its own
	// way: compare values, not bytes.
	value := func(raw json.RawMessage) (v any) {
		json.Unmarshal(raw, &v)
		return v
	}
	for name, rest := range map[string]map[string]json.RawMessage{"PUT": put, "GET": get} {
		if len(ev.Schedule) != len(rest) {
			t.Fatalf("the event's schedule %v has other fields than %s's %v", ev.Schedule, name, rest)
		}
		for k, v := range rest {
			if !reflect.DeepEqual(value(ev.Schedule[k]), value(v)) {
				t.Fatalf("%s: the event says %s, %s says %s", k, ev.Schedule[k], name, v)
			}
		}
	}
	if want := map[string]any{"start": "21:00", "end": "07:00"}; !reflect.DeepEqual(value(ev.Schedule["weekday"]), want) {
		t.Fatalf("the event's weekday is %s, want HH:MM times", ev.Schedule["weekday"])
	}
}

// TestSleepModeAllowsSeedDirectChat: a direct chat whose is_group is NULL
// (the seed schema's column is nullable; the rest of the service reads
// NULL as not a group) is still the direct chat with the parent that
// allow_parent_messages lets through.
func TestSleepModeAllowsSeedDirectChat(t *testing.T) {
	f := newSleepFixture(t)
	child, parent := f.fam.Child(), f.fam.Parent
	if _, err := f.env.DB.Pool.Exec(t.Context(), `UPDATE conversations SET is_group = NULL WHERE id = $1`, f.direct); err != nil {
		t.Fatal(err)
	}
	parent.Must(200, "PUT", fmt.Sprintf("/children/%d/sleep-mode", child.UserID), schoolNights(true), nil)
	f.clock.Set("2026-03-25T22:30:00Z")
	if r := f.send(child, f.direct); r.Status != 201 {
		t.Fatalf("allowed message to the parent in a seed-shaped direct chat: %d %s", r.Status, r.Body)
	}
	if r := f.send(child, f.group); r.Status != 423 {
		t.Fatalf("the group: %d", r.Status)
	}
}

// TestSleepModeChangeReachesSleepingSocket: a socket opened during quiet
// time, with nothing of the user's to replay, still gets the next
// sleep_mode.changed at once (issue 19.6: the replay held everything after
// the cursor, so the change waited for the morning).
func TestSleepModeChangeReachesSleepingSocket(t *testing.T) {
	f := newSleepFixture(t)
	child, parent := f.fam.Child(), f.fam.Parent
	path := fmt.Sprintf("/children/%d/sleep-mode", child.UserID)
	parent.Must(200, "PUT", path, schoolNights(false), nil)
	f.clock.Set("2026-03-25T22:30:00Z")
	s := child.Socket("")
	defer func() { s.Close() }()
	parent.Must(200, "PUT", path, schoolNights(true), nil)
	last := nextOf(t, s, "sleep_mode.changed")

	s.Close() // and again with since, in the same night
	s = child.Socket(last.ID)
	parent.Must(200, "PUT", path, schoolNights(false), nil)
	nextOf(t, s, "sleep_mode.changed")
	quiet(t, s, 100*time.Millisecond)
}

// TestSleepModeParentChatIsLive: when the parent allows messages to them
// during quiet time, the messages of the child's direct chat with that
// parent reach the child's open socket at once, both ways, while the rest
// waits (issue 19.7); a reconnect in the night does not repeat them, the
// chat's messages held while the switch was off come before the next one,
// and on waking the socket replays only what was held, in order, once.
func TestSleepModeParentChatIsLive(t *testing.T) {
	f := newSleepFixture(t)
	child, parent := f.fam.Child(), f.fam.Parent
	path := fmt.Sprintf("/children/%d/sleep-mode", child.UserID)
	s := child.Socket("")
	defer func() { s.Close() }()
	parent.Must(200, "PUT", path, schoolNights(true), nil)
	nextOf(t, s, "sleep_mode.changed")
	f.clock.Set("2026-03-25T22:30:00Z")

	content := func(fr apitest.Frame) string {
		var m struct{ Content string }
		json.Unmarshal(fr.Data, &m)
		return fr.Type + " " + m.Content
	}
	expect := func(s *apitest.Socket, want ...string) apitest.Frame {
		t.Helper()
		got := frames(t, s, len(want))
		for i, fr := range got {
			if content(fr) != want[i] {
				t.Fatalf("frame %d: %s, want %s", i, content(fr), want[i])
			}
		}
		quiet(t, s, 200*time.Millisecond)
		return got[len(got)-1]
	}
	mustSend := func(c *apitest.Client, conv int64) {
		t.Helper()
		if r := f.send(c, conv); r.Status != 201 {
			t.Fatalf("send: %d %s", r.Status, r.Body)
		}
	}
	mustSend(parent, f.group)  // msg 1: held
	mustSend(parent, f.direct) // msg 2: the reply, live
	expect(s, "message.created msg 2")
	mustSend(child, f.direct) // msg 3: the child's own, live too
	last := expect(s, "message.created msg 3")

	s.Close() // a reconnect in the night repeats nothing
	s = child.Socket(last.ID)
	quiet(t, s, 300*time.Millisecond)
	mustSend(parent, f.direct) // msg 4
	expect(s, "message.created msg 4")

	parent.Must(200, "PUT", path, schoolNights(false), nil)
	mustSend(parent, f.direct) // msg 5: held, the switch is off
	quiet(t, s, 300*time.Millisecond)
	parent.Must(200, "PUT", path, schoolNights(true), nil)
	mustSend(parent, f.direct) // msg 6: after msg 5
	mid := expect(s, "message.created msg 5", "message.created msg 6")

	f.clock.Set("2026-03-26T06:00:00Z")
	expect(s, "message.created msg 1", "sleep_mode.changed ", "sleep_mode.changed ")
	mustSend(parent, f.group) // msg 7
	expect(s, "message.created msg 7")

	s.Close() // the night's cursor, after waking: only what was held, and later
	s = child.Socket(mid.ID)
	expect(s, "message.created msg 1", "sleep_mode.changed ", "sleep_mode.changed ", "message.created msg 7")
}

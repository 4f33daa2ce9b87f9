package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"pixelpals/internal/apitest"
	"pixelpals/internal/eventlog"
	"pixelpals/internal/live"
	"pixelpals/internal/retention"
)

// wait is how long a test waits for an event that must come. Delivery
// takes milliseconds; the margin is for a loaded CI machine, never a
// measurement.
const wait = 10 * time.Second

func dial(t *testing.T, env *apitest.Env, token, since string, h http.Header) (*apitest.Socket, int, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	s, resp, err := apitest.DialSocket(ctx, env.Server.URL, token, since, h)
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	if s != nil {
		t.Cleanup(func() { s.Conn.CloseNow() })
	}
	return s, status, err
}

// frames waits for exactly n frames.
func frames(t *testing.T, s *apitest.Socket, n int) []apitest.Frame {
	t.Helper()
	var out []apitest.Frame
	for len(out) < n {
		f, err := s.Next(wait)
		if err != nil {
			t.Fatalf("after %d of %d frames: %v (got %+v)", len(out), n, err, types(out))
		}
		out = append(out, f)
	}
	return out
}

// nextOf skips to the next frame of type typ.
func nextOf(t *testing.T, s *apitest.Socket, typ string) apitest.Frame {
	t.Helper()
	for {
		f, err := s.Next(wait)
		if err != nil {
			t.Fatalf("waiting for %s: %v", typ, err)
		}
		if f.Type == typ {
			return f
		}
	}
}

// quiet asserts no frame arrives for d (after a change that must not
// reach this socket, checked once a later event shows delivery works).
func quiet(t *testing.T, s *apitest.Socket, d time.Duration) {
	t.Helper()
	if f, err := s.Next(d); err == nil {
		t.Fatalf("unexpected frame %s %s", f.Type, f.Data)
	}
}

func types(fs []apitest.Frame) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Type)
	}
	return out
}

// sameJSON compares two JSON documents by value.
func sameJSON(t *testing.T, what string, got, want []byte) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: %v in %s", what, err, got)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("%s: %v in %s", what, err, want)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s:\n event %s\n REST  %s", what, got, want)
	}
}

// restConversation is the conversation as c's GET /conversations/{id}
// shows it, less c's own read state (unread, last_read_message_id): it
// changes with every message, so conversation events leave it out and
// message.created and conversation.read carry it (docs/live.md).
func restConversation(t *testing.T, c *apitest.Client, convID int64) []byte {
	t.Helper()
	var conv map[string]any
	c.Must(200, "GET", fmt.Sprintf("/conversations/%d", convID), nil, &conv)
	delete(conv, "unread")
	delete(conv, "last_read_message_id")
	b, err := json.Marshal(conv)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// restMessage is the message as c's history shows it.
func restMessage(t *testing.T, c *apitest.Client, convID, msgID int64) []byte {
	t.Helper()
	var page struct{ Items []json.RawMessage }
	c.Must(200, "GET", fmt.Sprintf("/conversations/%d/messages?limit=200", convID), nil, &page)
	for _, m := range page.Items {
		var id struct{ ID int64 }
		json.Unmarshal(m, &id)
		if id.ID == msgID {
			return m
		}
	}
	t.Fatalf("message %d not in user %d's history of %d", msgID, c.UserID, convID)
	return nil
}

func TestLiveHandshakeByRole(t *testing.T) {
	env := apitest.New(t)
	w := newWorld(env, env.Admin())
	want := map[role]int{anonymous: 401, suspendedParent: 401, pendingParent: 403,
		admin: 101, parent: 101, ownChild: 101, otherParent: 101, otherChild: 101}
	for _, r := range roles {
		s, status, err := dial(t, env, w.client(r).Token, "", nil)
		if status != want[r] {
			t.Errorf("%s: status %d, want %d (%v)", r, status, want[r], err)
		}
		if s != nil {
			s.Close()
		}
	}
	// A malformed cursor is a 400 naming the field, before any upgrade.
	for _, bad := range []string{"not-a-cursor", "1.2~", "~1.2", "1.2~3", "1.2~3.4~5.6"} {
		_, status, _ := dial(t, env, w.a.Parent.Token, bad, nil)
		if status != 400 {
			t.Errorf("bad since %q: status %d, want 400", bad, status)
		}
	}
	// A plain GET is told to upgrade.
	wantStatus(t, w.a.Parent.Do("GET", "/ws", nil), 426, "upgrade_required")
}

// TestLiveOrigin: with the session cookie, only the service's own pages
// (and configured origins) may open the socket; Bearer clients need no
// Origin at all.
func TestLiveOrigin(t *testing.T) {
	env := apitest.New(t, apitest.Options{Live: live.Config{AllowedOrigins: []string{"https://app.example.org"}}})
	p := env.Family(env.Admin(), 0).Parent
	cookie := func(origin string) http.Header {
		h := http.Header{"Cookie": {"pixelpals_session=" + p.Token}}
		if origin != "" {
			h.Set("Origin", origin)
		}
		return h
	}
	cases := []struct {
		name, token string
		header      http.Header
		want        int
	}{
		{"cookie, own origin", "", cookie(env.Server.URL), 101},
		{"cookie, allowed origin", "", cookie("https://app.example.org"), 101},
		{"cookie, other origin", "", cookie("https://evil.example.com"), 403},
		{"cookie, lookalike origin", "", cookie(env.Server.URL + ".evil.example.com"), 403},
		{"cookie, no origin", "", cookie(""), 403},
		{"bearer, other origin", p.Token, http.Header{"Origin": {"https://evil.example.com"}}, 101},
		{"bearer, no origin", p.Token, nil, 101},
		{"wrong cookie, other origin", "", http.Header{"Cookie": {"pixelpals_session=nope"}, "Origin": {"https://evil.example.com"}}, 401},
	}
	for _, c := range cases {
		s, status, err := dial(t, env, c.token, "", c.header)
		if status != c.want {
			t.Errorf("%s: status %d, want %d (%v)", c.name, status, c.want, err)
		}
		if s != nil {
			s.Close()
		}
	}
}

// TestLiveEventsAsRESTShowsThem follows a chat between two families and
// checks that every recipient's event holds what REST shows that
// recipient, and that nobody else hears of it.
func TestLiveEventsAsRESTShowsThem(t *testing.T) {
	env := apitest.New(t)
	admin := env.Admin()
	fa, fb, stranger := env.Family(admin, 1), env.Family(admin, 1), env.Family(admin, 1)
	a, b := fa.Child(), fb.Child()
	sa, sb, spa, spb, sadm := a.Socket(""), b.Socket(""), fa.Parent.Socket(""), fb.Parent.Socket(""), admin.Socket("")
	sx, spx := stranger.Child().Socket(""), stranger.Parent.Socket("")

	// A contact request reaches both families, as GET /contacts shows it.
	link := requestLink(fa, a, b)
	for _, c := range []struct {
		s *apitest.Socket
		c *apitest.Client
	}{{sa, a}, {sb, b}, {spa, fa.Parent}, {spb, fb.Parent}} {
		f := nextOf(t, c.s, "contact.requested")
		sameJSON(t, fmt.Sprintf("contact.requested to %d", c.c.UserID), f.Data, restContactForEvent(t, c.c, link.ID))
	}
	fb.Parent.Must(200, "POST", fmt.Sprintf("/contacts/%d/approve", link.ID), nil, nil)
	for _, s := range []*apitest.Socket{sa, sb, spa, spb} {
		var c contactJSON
		json.Unmarshal(nextOf(t, s, "contact.approved").Data, &c)
		if c.ID != link.ID || c.Status != "approved" {
			t.Fatalf("contact.approved: %+v", c)
		}
	}

	// A conversation: members see it as theirs, parents read-only.
	conv := createDirect(a, b.UserID)
	before := map[*apitest.Client]string{} // each reader's cursor before the message
	for _, c := range []struct {
		s *apitest.Socket
		c *apitest.Client
	}{{sa, a}, {sb, b}, {spa, fa.Parent}, {spb, fb.Parent}} {
		f := nextOf(t, c.s, "conversation.created")
		sameJSON(t, fmt.Sprintf("conversation.created to %d", c.c.UserID), f.Data,
			restConversation(t, c.c, conv.ID))
		before[c.c] = f.ID
	}

	// A message: the sender's event carries their client_id, nobody
	// else's does; each equals that reader's history.
	m := mustSend(t, a, conv.ID, "hello SECRET")
	for _, c := range []struct {
		s *apitest.Socket
		c *apitest.Client
	}{{sa, a}, {sb, b}, {spa, fa.Parent}, {spb, fb.Parent}} {
		f := nextOf(t, c.s, "message.created")
		sameJSON(t, fmt.Sprintf("message.created to %d", c.c.UserID), f.Data, restMessage(t, c.c, conv.ID, m.ID))
		var got map[string]any
		json.Unmarshal(f.Data, &got)
		if _, has := got["client_id"]; has != (c.c == a) {
			t.Errorf("user %d: client_id present %v", c.c.UserID, has)
		}
	}
	// The same in a replay: the event is one row for all four, and the
	// client id is stripped for all but the sender.
	for c, cursor := range before {
		s := c.Socket(cursor)
		f := nextOf(t, s, "message.created")
		sameJSON(t, fmt.Sprintf("replayed message.created to %d", c.UserID), f.Data, restMessage(t, c, conv.ID, m.ID))
		var got map[string]any
		json.Unmarshal(f.Data, &got)
		if _, has := got["client_id"]; has != (c == a) {
			t.Errorf("user %d: client_id present %v in the replay", c.UserID, has)
		}
		s.Close()
	}

	// Deleted: members get a tombstone, parents still the content.
	a.Must(204, "DELETE", fmt.Sprintf("/messages/%d", m.ID), nil, nil)
	for _, c := range []struct {
		s       *apitest.Socket
		c       *apitest.Client
		content bool
	}{{sa, a, false}, {sb, b, false}, {spa, fa.Parent, true}, {spb, fb.Parent, true}} {
		f := nextOf(t, c.s, "message.deleted")
		sameJSON(t, fmt.Sprintf("message.deleted to %d", c.c.UserID), f.Data, restMessage(t, c.c, conv.ID, m.ID))
		var got messageJSON
		json.Unmarshal(f.Data, &got)
		if !got.Deleted || (got.Content != nil) != c.content {
			t.Errorf("message.deleted to %d: %s", c.c.UserID, f.Data)
		}
	}

	// A report: the reporting child's parent and the admins, nobody else.
	m2 := mustSend(t, b, conv.ID, "mean words")
	var rep struct{ ID int64 }
	a.Must(201, "POST", fmt.Sprintf("/messages/%d/report", m2.ID), map[string]string{"reason": "mean"}, &rep)
	f := nextOf(t, spa, "report.filed")
	var mine struct{ Items []json.RawMessage }
	fa.Parent.Must(200, "GET", "/reports", nil, &mine)
	sameJSON(t, "report.filed to the reporter's parent", f.Data, mine.Items[0])
	f = nextOf(t, sadm, "report.filed")
	var queue struct{ Items []json.RawMessage }
	admin.Must(200, "GET", "/admin/reports", nil, &queue)
	sameJSON(t, "report.filed to an admin", f.Data, queue.Items[0])

	// Revoking freezes the chat; both families hear both.
	fa.Parent.Must(204, "DELETE", fmt.Sprintf("/contacts/%d", link.ID), nil, nil)
	for _, s := range []*apitest.Socket{sa, sb, spa, spb} {
		var gone struct {
			ID       int64   `json:"id"`
			ChildIDs []int64 `json:"child_ids"`
		}
		json.Unmarshal(nextOf(t, s, "contact.revoked").Data, &gone)
		if gone.ID != link.ID || len(gone.ChildIDs) != 2 {
			t.Fatalf("contact.revoked: %+v", gone)
		}
		var c conversationJSON
		json.Unmarshal(nextOf(t, s, "conversation.frozen").Data, &c)
		if c.ID != conv.ID || !c.Frozen {
			t.Fatalf("conversation.frozen: %+v", c)
		}
	}
	// The stranger family and the admin heard nothing of the chat.
	quiet(t, sx, 200*time.Millisecond)
	quiet(t, spx, 0)
	quiet(t, sadm, 0)
}

// TestLiveGroupMembership: adding and removing members reaches the
// members and their parents; a removed member is told, without the
// conversation they may no longer read.
func TestLiveGroupMembership(t *testing.T) {
	env := apitest.New(t)
	admin := env.Admin()
	fa, fb := env.Family(admin, 2), env.Family(admin, 1)
	a, sib, b := fa.Children[0], fa.Children[1], fb.Child()
	approveLink(fa, a, fa, sib)
	approveLink(fa, a, fb, b)
	approveLink(fa, sib, fb, b)
	g := createGroup(a, "crew", sib.UserID)
	sb, spb := b.Socket(""), fb.Parent.Socket("")
	ssib := sib.Socket("")

	a.Must(200, "POST", fmt.Sprintf("/conversations/%d/members", g.ID), map[string]int64{"user_id": b.UserID}, nil)
	for _, c := range []struct {
		s *apitest.Socket
		c *apitest.Client
	}{{sb, b}, {spb, fb.Parent}, {ssib, sib}} {
		var mc struct {
			ConversationID int64           `json:"conversation_id"`
			UserID         int64           `json:"user_id"`
			Conversation   json.RawMessage `json:"conversation"`
		}
		json.Unmarshal(nextOf(t, c.s, "conversation.member_added").Data, &mc)
		if mc.ConversationID != g.ID || mc.UserID != b.UserID {
			t.Fatalf("member_added: %+v", mc)
		}
		sameJSON(t, fmt.Sprintf("member_added to %d", c.c.UserID), mc.Conversation,
			restConversation(t, c.c, g.ID))
		nextOf(t, c.s, "message.created") // the system message
	}

	a.Must(204, "DELETE", fmt.Sprintf("/conversations/%d/members/%d", g.ID, b.UserID), nil, nil)
	for _, s := range []*apitest.Socket{sb, spb} {
		var mc map[string]any
		json.Unmarshal(nextOf(t, s, "conversation.member_removed").Data, &mc)
		if _, has := mc["conversation"]; has || mc["user_id"] != float64(b.UserID) {
			t.Fatalf("member_removed to the removed family: %v", mc)
		}
	}
	var mc struct{ Conversation *conversationJSON }
	json.Unmarshal(nextOf(t, ssib, "conversation.member_removed").Data, &mc)
	if mc.Conversation == nil || len(mc.Conversation.Members) != 2 {
		t.Fatalf("member_removed to a remaining member: %+v", mc)
	}
	// The removed family hears nothing more of the group.
	mustSend(t, a, g.ID, "after")
	nextOf(t, ssib, "message.created") // the removal's system message
	nextOf(t, ssib, "message.created")
	quiet(t, sb, 200*time.Millisecond)
	quiet(t, spb, 0)
}

func TestLiveClientFrameCloses(t *testing.T) {
	env := apitest.New(t)
	p := env.Family(env.Admin(), 0).Parent
	s := p.Socket("")
	if err := s.Conn.Write(context.Background(), websocket.MessageText, []byte(`{"type":"subscribe"}`)); err != nil {
		t.Fatal(err)
	}
	code, reason := s.Closed(wait)
	if code != websocket.StatusPolicyViolation || reason == "" {
		t.Fatalf("close %d %q, want 1008 with a reason", code, reason)
	}
	// Binary and oversized frames too, and the server goes on serving.
	s = p.Socket("")
	s.Conn.Write(context.Background(), websocket.MessageBinary, make([]byte, 4096))
	if code, _ := s.Closed(wait); code != websocket.StatusMessageTooBig && code != websocket.StatusPolicyViolation {
		t.Fatalf("close %d after a large binary frame", code)
	}
	p.Must(200, "GET", "/me", nil, nil)
}

// TestLiveSessionEndClosesSockets: every way a session ends closes its
// sockets within 5 s (here: as soon as the notification arrives), and
// leaves other sessions' sockets open.
func TestLiveSessionEndClosesSockets(t *testing.T) {
	env := apitest.New(t)
	admin := env.Admin()
	f := env.Family(admin, 2)
	other := env.Family(admin, 1)
	keep := other.Parent.Socket("")

	closed := func(name string, s *apitest.Socket) {
		t.Helper()
		if code, _ := s.Closed(5 * time.Second); code != live.CloseSessionEnded {
			t.Errorf("%s: close code %d, want %d within 5 s", name, code, live.CloseSessionEnded)
		}
	}
	s := f.Children[0].Socket("")
	f.Children[0].Must(204, "POST", "/auth/logout", nil, nil)
	closed("logout", s)

	s = f.Children[1].Socket("")
	f.Parent.Must(204, "POST", fmt.Sprintf("/children/%d/logout-everywhere", f.Children[1].UserID), nil, nil)
	closed("logout everywhere", s)

	kid := f.AddChild()
	s = kid.Socket("")
	f.Parent.Must(204, "POST", fmt.Sprintf("/children/%d/password", kid.UserID), map[string]string{"password": "another"}, nil)
	closed("password reset", s)

	kid = f.AddChild()
	s, sp := kid.Socket(""), f.Parent.Socket("")
	admin.Must(200, "POST", fmt.Sprintf("/admin/users/%d/suspend", f.Parent.UserID), nil, nil)
	closed("suspension (the child)", s)
	closed("suspension (the parent)", sp)

	g := env.Family(admin, 1)
	s = g.Child().Socket("")
	g.Parent.Must(204, "DELETE", fmt.Sprintf("/children/%d", g.Child().UserID), nil, nil)
	closed("deletion", s)

	if code, _ := keep.Closed(100 * time.Millisecond); code != -1 {
		t.Fatalf("another family's socket closed: %d", code)
	}
}

// TestLiveReplaySince: a reconnect with since gets exactly what it
// missed, then live events; a cursor past the window gets resync.
func TestLiveReplaySince(t *testing.T) {
	env := apitest.New(t)
	f := env.Family(env.Admin(), 2)
	a, sib := f.Children[0], f.Children[1]
	approveLink(f, a, f, sib)
	conv := createDirect(a, sib.UserID)
	s := sib.Socket("")
	mustSend(t, a, conv.ID, "one")
	seen := nextOf(t, s, "message.created")
	s.Close()

	var missed []int64
	for i := range 7 {
		missed = append(missed, mustSend(t, a, conv.ID, fmt.Sprint("missed ", i)).ID)
	}
	s = sib.Socket(seen.ID)
	got := frames(t, s, len(missed))
	for i, fr := range got {
		var m messageJSON
		json.Unmarshal(fr.Data, &m)
		if fr.Type != "message.created" || m.ID != missed[i] {
			t.Fatalf("replayed frame %d: %s %s, want message %d", i, fr.Type, fr.Data, missed[i])
		}
	}
	// Then live, with no duplicate of the replay.
	live1 := mustSend(t, a, conv.ID, "live")
	var m messageJSON
	json.Unmarshal(frames(t, s, 1)[0].Data, &m)
	if m.ID != live1.ID {
		t.Fatalf("live after replay: %d, want %d", m.ID, live1.ID)
	}
	quiet(t, s, 200*time.Millisecond)
	s.Close()

	// The same cursor again replays the same events: nothing was consumed.
	again := sib.Socket(seen.ID)
	if n := len(frames(t, again, len(missed)+1)); n != len(missed)+1 {
		t.Fatal(n)
	}
	again.Close()

	// A cursor whose event is older than the window: resync, then live.
	if _, err := env.DB.Pool.Exec(context.Background(), `UPDATE live_events SET at = at - interval '8 days'`); err != nil {
		t.Fatal(err)
	}
	old := sib.Socket(seen.ID)
	r := frames(t, old, 1)[0]
	if r.Type != "resync" || !json.Valid(r.Data) || string(r.Data) != `{"reason":"cursor_expired"}` {
		t.Fatalf("old cursor: %s %s", r.Type, r.Data)
	}
	after := mustSend(t, a, conv.ID, "after resync")
	json.Unmarshal(nextOf(t, old, "message.created").Data, &m)
	if m.ID != after.ID {
		t.Fatalf("after resync: %d", m.ID)
	}
	// A cursor naming no stored event is resync too.
	gone := sib.Socket("zz.zz")
	if r := frames(t, gone, 1)[0]; r.Type != "resync" {
		t.Fatalf("unknown cursor: %s", r.Type)
	}
}

// TestLiveSlowConsumer: a client that stops reading gets resync and is
// closed, instead of the server holding its events.
func TestLiveSlowConsumer(t *testing.T) {
	env := apitest.New(t, apitest.Options{Live: live.Config{QueueSize: 8}})
	p := env.Family(env.Admin(), 0).Parent
	ctx := context.Background()
	conn, _, err := websocket.Dial(ctx, "ws"+env.Server.URL[len("http"):]+"/api/v1/ws",
		&websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + p.Token}}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	conn.SetReadLimit(1 << 20)
	waitFor(t, func() bool { return env.Hub.Sockets() == 1 })
	bigEvents(t, env, p.UserID, 1300)  // 20 MiB, far more than the socket buffers hold
	time.Sleep(500 * time.Millisecond) // let the queue overflow while nobody reads
	wantToldTooSlow(t, conn)
}

// TestLiveStalledReaderToldTooSlow: a client that stops reading for good
// while events pile up still finds, when it reads again after the server
// has let its socket go, resync and the close code 4008 at the end of the
// stream, not an abnormal closure (1006): the server keeps room in the
// connection for those last frames (docs/live.md, "Cursors, replay, resync").
func TestLiveStalledReaderToldTooSlow(t *testing.T) {
	env := apitest.New(t, apitest.Options{Live: live.Config{QueueSize: 8}})
	p := env.Family(env.Admin(), 0).Parent
	ctx := context.Background()
	conn, _, err := websocket.Dial(ctx, "ws"+env.Server.URL[len("http"):]+"/api/v1/ws",
		&websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + p.Token}}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	conn.SetReadLimit(1 << 20)
	waitFor(t, func() bool { return env.Hub.Sockets() == 1 })
	bigEvents(t, env, p.UserID, 1300) // 20 MiB, far more than the socket buffers hold
	// Read nothing until the server is done with the socket: whatever it
	// wrote last is in the connection by then, or never will be.
	for deadline := time.Now().Add(time.Minute); env.Hub.Sockets() > 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the server kept the socket of a client that reads nothing for a minute")
		}
	}
	wantToldTooSlow(t, conn)
}

// wantToldTooSlow reads conn to its end, which must be a resync frame
// ("too_slow") and the close code 4008.
func wantToldTooSlow(t *testing.T, conn *websocket.Conn) {
	t.Helper()
	var last apitest.Frame
	for {
		_, b, err := conn.Read(context.Background())
		if err != nil {
			if code := websocket.CloseStatus(err); code != live.CloseTooSlow {
				t.Fatalf("closed with %d (%v), want %d", code, err, live.CloseTooSlow)
			}
			break
		}
		json.Unmarshal(b, &last)
	}
	if last.Type != "resync" || string(last.Data) != `{"reason":"too_slow"}` {
		t.Fatalf("last frame before the close: %s %s", last.Type, last.Data)
	}
}

// bigEvents commits n events of 16 KiB each for userID, in one transaction.
func bigEvents(t *testing.T, env *apitest.Env, userID int64, n int) {
	t.Helper()
	ctx := context.Background()
	big := strings.Repeat("x", 16<<10)
	tx, err := env.DB.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `
		INSERT INTO live_events (type, user_ids, data)
		SELECT 'test.big', ARRAY[$1::bigint], jsonb_build_object('x', $2::text) FROM generate_series(1, $3)`,
		userID, big, n); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestLiveSocketsPerUser: one account cannot open sockets without bound.
func TestLiveSocketsPerUser(t *testing.T) {
	env := apitest.New(t, apitest.Options{Live: live.Config{MaxPerUser: 2}})
	p := env.Family(env.Admin(), 0).Parent
	a, b := p.Socket(""), p.Socket("")
	if _, status, _ := dial(t, env, p.Token, "", nil); status != 429 {
		t.Fatalf("third socket: status %d, want 429", status)
	}
	a.Close()
	waitFor(t, func() bool { return env.Hub.Sockets() == 1 })
	c := p.Socket("")
	c.Close()
	b.Close()
}

// TestLiveExpiredSessionCloses: a session that simply expires (no row
// deleted, so no notification) is found by the periodic sweep.
func TestLiveExpiredSessionCloses(t *testing.T) {
	env := apitest.New(t, apitest.Options{Live: live.Config{SweepInterval: 100 * time.Millisecond}})
	p := env.Family(env.Admin(), 0).Parent
	s := p.Socket("")
	if _, err := env.DB.Pool.Exec(context.Background(),
		`UPDATE sessions SET expires_at = CURRENT_TIMESTAMP - interval '1 second' WHERE user_id = $1`, p.UserID); err != nil {
		t.Fatal(err)
	}
	if code, _ := s.Closed(5 * time.Second); code != live.CloseSessionEnded {
		t.Fatalf("close code %d, want %d", code, live.CloseSessionEnded)
	}
}

// TestLiveIdleSessionCloses: the sweep refuses what SessionActor refuses
// without a row being deleted: a session idle past the idle timeout, and
// a child's session once their parent's account is no longer usable.
func TestLiveIdleSessionCloses(t *testing.T) {
	env := apitest.New(t, apitest.Options{Live: live.Config{SweepInterval: 100 * time.Millisecond}})
	f := env.Family(env.Admin(), 1)
	ps, cs := f.Parent.Socket(""), f.Child().Socket("")
	ctx := context.Background()
	if _, err := env.DB.Pool.Exec(ctx,
		`UPDATE sessions SET last_seen_at = CURRENT_TIMESTAMP - interval '8 days' WHERE user_id = $1`, f.Parent.UserID); err != nil {
		t.Fatal(err)
	}
	if code, _ := ps.Closed(5 * time.Second); code != live.CloseSessionEnded {
		t.Fatalf("idle session: close code %d, want %d", code, live.CloseSessionEnded)
	}
	f.Child().Must(200, "GET", "/me", nil, nil) // the child's session is still good
	if _, err := env.DB.Pool.Exec(ctx, `UPDATE users SET suspended_at = CURRENT_TIMESTAMP WHERE id = $1`, f.Parent.UserID); err != nil {
		t.Fatal(err)
	}
	if code, _ := cs.Closed(5 * time.Second); code != live.CloseSessionEnded {
		t.Fatalf("child of a suspended parent: close code %d, want %d", code, live.CloseSessionEnded)
	}
	if r := f.Child().Do("GET", "/me", nil); r.Status != 401 {
		t.Fatalf("REST for the child of a suspended parent: %d, want 401", r.Status)
	}
}

// TestLiveImageMessage: an image message's event has the shape REST
// gives it (media_id, media_url), for the sender, the other member and
// the parents, and the tombstone drops the media for members.
func TestLiveImageMessage(t *testing.T) {
	env := apitest.New(t)
	f := env.Family(env.Admin(), 2)
	a, sib := f.Children[0], f.Children[1]
	approveLink(f, a, f, sib)
	conv := createDirect(a, sib.UserID)
	sa, ss, sp := a.Socket(""), sib.Socket(""), f.Parent.Socket("")
	mediaID := uploadImage(a, 8, 8)
	var m messageJSON
	a.Must(201, "POST", fmt.Sprintf("/conversations/%d/messages", conv.ID),
		map[string]any{"type": "image", "media_id": mediaID, "client_id": "img1"}, &m)
	var parentSeen string
	for _, c := range []struct {
		s *apitest.Socket
		c *apitest.Client
	}{{sa, a}, {ss, sib}, {sp, f.Parent}} {
		fr := nextOf(t, c.s, "message.created")
		if c.c == f.Parent {
			parentSeen = fr.ID
		}
		sameJSON(t, fmt.Sprintf("image message.created to %d", c.c.UserID), fr.Data, restMessage(t, c.c, conv.ID, m.ID))
		var got map[string]any
		json.Unmarshal(fr.Data, &got)
		if got["media_url"] == nil || got["media_id"] != float64(mediaID) {
			t.Errorf("user %d: want media_id %d and media_url in %s", c.c.UserID, mediaID, fr.Data)
		}
	}
	a.Must(204, "DELETE", fmt.Sprintf("/messages/%d", m.ID), nil, nil)
	for _, c := range []struct {
		s *apitest.Socket
		c *apitest.Client
	}{{sa, a}, {ss, sib}, {sp, f.Parent}} {
		fr := nextOf(t, c.s, "message.deleted")
		sameJSON(t, fmt.Sprintf("image message.deleted to %d", c.c.UserID), fr.Data, restMessage(t, c.c, conv.ID, m.ID))
		var got map[string]any
		json.Unmarshal(fr.Data, &got)
		if member := c.c != f.Parent; (got["media_id"] == nil) != member {
			t.Errorf("user %d: media_id in the tombstone %s", c.c.UserID, fr.Data)
		}
	}
	// The purge erases the media from the stored events as from the row:
	// the parent's replay of message.deleted still equals History.
	if n, err := retention.EraseDeletedMessages(context.Background(), env.DB, time.Now().Add(time.Hour), 100); err != nil || n != 1 {
		t.Fatalf("purge: %d, %v", n, err)
	}
	fr := nextOf(t, f.Parent.Socket(parentSeen), "message.deleted")
	sameJSON(t, "parent replay of the purged image message", fr.Data, restMessage(t, f.Parent, conv.ID, m.ID))
}

// TestLiveReplayOfDeletedMessage: a replay from a cursor before a message
// was sent, read after it was deleted, shows members its tombstone as
// History does, never the text; parents keep it (message.deleted) until
// the retention purge erases it from the stored events too.
func TestLiveReplayOfDeletedMessage(t *testing.T) {
	env := apitest.New(t)
	f := env.Family(env.Admin(), 2)
	a, b := f.Children[0], f.Children[1]
	approveLink(f, a, f, b)
	conv := createDirect(a, b.UserID)
	s, ps := b.Socket(""), f.Parent.Socket("")
	mustSend(t, a, conv.ID, "first")
	seen, pseen := nextOf(t, s, "message.created"), nextOf(t, ps, "message.created")
	s.Close()
	ps.Close()

	const secret = "SECRET-DELETED"
	bad := mustSend(t, a, conv.ID, secret)
	a.Must(204, "DELETE", fmt.Sprintf("/messages/%d", bad.ID), nil, nil)

	s = b.Socket(seen.ID)
	for _, fr := range frames(t, s, 2) {
		if bytes.Contains(fr.Data, []byte(secret)) {
			t.Errorf("member replay holds the deleted text: %s %s", fr.Type, fr.Data)
		}
		sameJSON(t, "member replay of "+fr.Type, fr.Data, restMessage(t, b, conv.ID, bad.ID))
	}
	quiet(t, s, 200*time.Millisecond)
	s.Close()

	// The parent still reads the content, as History shows it to them.
	ps = f.Parent.Socket(pseen.ID)
	pf := frames(t, ps, 2)
	if pf[1].Type != "message.deleted" || !bytes.Contains(pf[1].Data, []byte(secret)) {
		t.Fatalf("parent replay: %s %s", pf[1].Type, pf[1].Data)
	}
	sameJSON(t, "parent replay of message.deleted", pf[1].Data, restMessage(t, f.Parent, conv.ID, bad.ID))
	ps.Close()

	// The purge erases it from every stored event.
	n, err := retention.EraseDeletedMessages(context.Background(), env.DB, time.Now().Add(time.Hour), 100)
	if err != nil || n != 1 {
		t.Fatalf("purge: %d, %v", n, err)
	}
	ps = f.Parent.Socket(pseen.ID)
	for _, fr := range frames(t, ps, 2) {
		if bytes.Contains(fr.Data, []byte(secret)) {
			t.Errorf("parent replay after the purge holds the text: %s %s", fr.Type, fr.Data)
		}
	}
	sameJSON(t, "parent replay after the purge", frames(t, f.Parent.Socket(pseen.ID), 2)[1].Data,
		restMessage(t, f.Parent, conv.ID, bad.ID))
}

// TestLiveSessionEndStopsReplay: a logout during a long replay to a slow
// reader stops the replay at the next frame, not after thousands: the
// client gets what the TCP buffers held, then 4001.
func TestLiveSessionEndStopsReplay(t *testing.T) {
	// A queue that holds every event: on a loaded machine the hub may
	// still be passing them when the socket opens, and they must not
	// overflow it (a 4008) instead of testing the replay.
	env := apitest.New(t, apitest.Options{Live: live.Config{QueueSize: 10000}})
	p := env.Family(env.Admin(), 0).Parent
	ctx := context.Background()
	const events = 6000
	if _, err := env.DB.Pool.Exec(ctx, `INSERT INTO live_events (type, user_ids, data)
		SELECT 'contact.requested', ARRAY[$1::bigint], jsonb_build_object('n', g, 'pad', repeat('x', 4000))
		FROM generate_series(1, $2::int) g`, p.UserID, events); err != nil {
		t.Fatal(err)
	}
	var cursor eventlog.Pos
	if err := env.DB.Pool.QueryRow(ctx, `SELECT xact, min(id) FROM live_events GROUP BY xact`).Scan(&cursor.Xact, &cursor.ID); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second) // the hub passes them (no socket of p's yet): mostly replay, not live
	u := "ws" + strings.TrimPrefix(env.Server.URL, "http") + "/api/v1/ws?since=" + cursor.String()
	conn, _, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + p.Token}}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	conn.SetReadLimit(1 << 20)
	time.Sleep(time.Second) // the server fills the TCP buffers and blocks in Write
	p.Must(204, "POST", "/auth/logout", nil, nil)
	time.Sleep(time.Second)
	n := 0
	for {
		_, _, err := conn.Read(ctx)
		if err != nil {
			if code := websocket.CloseStatus(err); code != live.CloseSessionEnded {
				t.Fatalf("after %d frames: %v, want close %d", n, err, live.CloseSessionEnded)
			}
			break
		}
		n++
		time.Sleep(time.Millisecond) // a slow reader
	}
	if n > events/2 {
		t.Errorf("the replay went on after the logout: %d of %d frames", n, events-1)
	}
	t.Logf("%d of %d frames before 4001", n, events-1)
}

// TestLiveReplayAfterRemoval: a member removed from a group while away
// replays its member_removed, not the messages and changes they may no
// longer read; the members still replay everything.
func TestLiveReplayAfterRemoval(t *testing.T) {
	env := apitest.New(t)
	admin := env.Admin()
	fa, fb := env.Family(admin, 2), env.Family(admin, 1)
	a, sib, b := fa.Children[0], fa.Children[1], fb.Child()
	approveLink(fa, a, fa, sib)
	approveLink(fa, a, fb, b)
	approveLink(fa, sib, fb, b)
	g := createGroup(a, "crew", sib.UserID, b.UserID)
	s, ss := b.Socket(""), sib.Socket("")
	mustSend(t, a, g.ID, "hi")
	seen, sseen := nextOf(t, s, "message.created"), nextOf(t, ss, "message.created")
	s.Close()
	ss.Close()

	const body = "GROUP-BODY-AFTER-CURSOR"
	mustSend(t, a, g.ID, body)
	a.Must(204, "DELETE", fmt.Sprintf("/conversations/%d/members/%d", g.ID, b.UserID), nil, nil)
	if r := b.Do("GET", fmt.Sprintf("/conversations/%d/messages", g.ID), nil); r.Status != 404 && r.Status != 403 {
		t.Fatalf("REST history for the removed member: %d", r.Status)
	}

	s = b.Socket(seen.ID)
	got := frames(t, s, 1)
	if got[0].Type != "conversation.member_removed" || bytes.Contains(got[0].Data, []byte(body)) {
		t.Fatalf("removed member's replay: %s %s", got[0].Type, got[0].Data)
	}
	quiet(t, s, 300*time.Millisecond)
	ps := fb.Parent.Socket(seen.ID) // b's parent no longer reads it either
	for {
		f, err := ps.Next(300 * time.Millisecond)
		if err != nil {
			break
		}
		if bytes.Contains(f.Data, []byte(body)) {
			t.Errorf("removed member's parent replays %s %s", f.Type, f.Data)
		}
	}

	ss = sib.Socket(sseen.ID)
	if ts := types(frames(t, ss, 2)); ts[0] != "message.created" || ts[1] != "conversation.member_removed" {
		t.Fatalf("member's replay: %v", ts)
	}
}

// TestLiveAccountDeletionTombstones: deleting a child scrubs the messages
// they sent, and the other members and their parents get message.deleted
// for each, as History then shows it (no content), over an open socket;
// a replay from a cursor before the messages were sent ends on their
// tombstones and never holds the text. That includes a message deleted
// before, whose content a parent still read until the account went.
func TestLiveAccountDeletionTombstones(t *testing.T) {
	env := apitest.New(t)
	admin := env.Admin()
	fa, fb := env.Family(admin, 1), env.Family(admin, 1)
	a, b := fa.Child(), fb.Child()
	approveLink(fa, a, fb, b)
	conv := createDirect(a, b.UserID)
	s, ps := b.Socket(""), fb.Parent.Socket("")
	mustSend(t, b, conv.ID, "before")
	seen, pseen := nextOf(t, s, "message.created"), nextOf(t, ps, "message.created")

	const secret, old = "SECRET-OF-A", "OLD-SECRET-OF-A"
	gone := mustSend(t, a, conv.ID, old)
	a.Must(204, "DELETE", fmt.Sprintf("/messages/%d", gone.ID), nil, nil)
	said := mustSend(t, a, conv.ID, secret)
	for _, sock := range []*apitest.Socket{s, ps} {
		nextOf(t, sock, "message.created")
		nextOf(t, sock, "message.created") // past the first deletion
	}
	if pm := restMessage(t, fb.Parent, conv.ID, gone.ID); !bytes.Contains(pm, []byte(old)) {
		t.Fatalf("before: the parent reads the deleted message as %s", pm)
	}

	fa.Parent.Must(204, "DELETE", fmt.Sprintf("/children/%d", a.UserID), nil, nil)

	// Live: b and b's parent get both tombstones, the older one now
	// without the content the parent still read.
	for _, r := range []struct {
		c    *apitest.Client
		sock *apitest.Socket
	}{{b, s}, {fb.Parent, ps}} {
		got := map[int64]json.RawMessage{}
		for len(got) < 2 {
			fr := nextOf(t, r.sock, "message.deleted")
			var m messageJSON
			json.Unmarshal(fr.Data, &m)
			got[m.ID] = fr.Data
		}
		for _, id := range []int64{gone.ID, said.ID} {
			sameJSON(t, fmt.Sprintf("user %d: message.deleted of %d", r.c.UserID, id), got[id], restMessage(t, r.c, conv.ID, id))
		}
	}

	// Replays from before the sends hold no text, and end on tombstones
	// equal to History.
	for _, r := range []struct {
		c     *apitest.Client
		since string
	}{{b, seen.ID}, {fb.Parent, pseen.ID}} {
		last := map[int64]json.RawMessage{}
		sock := r.c.Socket(r.since)
		for {
			fr, err := sock.Next(time.Second)
			if err != nil {
				break
			}
			if bytes.Contains(fr.Data, []byte(secret)) || bytes.Contains(fr.Data, []byte(old)) {
				t.Errorf("user %d: replay holds the deleted text: %s %s", r.c.UserID, fr.Type, fr.Data)
			}
			if strings.HasPrefix(fr.Type, "message.") {
				var m messageJSON
				json.Unmarshal(fr.Data, &m)
				last[m.ID] = fr.Data
			}
		}
		for _, id := range []int64{said.ID, gone.ID} {
			if last[id] == nil {
				t.Errorf("user %d: the replay has no event of message %d", r.c.UserID, id)
				continue
			}
			sameJSON(t, fmt.Sprintf("user %d: last replayed event of %d", r.c.UserID, id), last[id], restMessage(t, r.c, conv.ID, id))
		}
	}
}

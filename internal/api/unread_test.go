package api_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"pixelpals/internal/apitest"
)

// readStateJSON is POST /conversations/{id}/read's answer and the data of
// conversation.read.
type readStateJSON struct {
	ConversationID    int64  `json:"conversation_id"`
	LastReadMessageID *int64 `json:"last_read_message_id"`
	Unread            int    `json:"unread"`
}

// unreadOf is c's read state of conv as GET /conversations lists it
// (the unread field is absent for one who only reads: nil).
func unreadOf(t *testing.T, c *apitest.Client, conv int64) (unread *int, lastRead *int64) {
	t.Helper()
	var list pageJSON[struct {
		ID                int64
		Unread            *int   `json:"unread"`
		LastReadMessageID *int64 `json:"last_read_message_id"`
	}]
	c.Must(200, "GET", "/conversations?limit=100", nil, &list)
	for _, cv := range list.Items {
		if cv.ID == conv {
			return cv.Unread, cv.LastReadMessageID
		}
	}
	t.Fatalf("user %d does not list conversation %d", c.UserID, conv)
	return nil, nil
}

func wantUnread(t *testing.T, c *apitest.Client, conv int64, want int) {
	t.Helper()
	got, _ := unreadOf(t, c, conv)
	if got == nil || *got != want {
		t.Fatalf("user %d's unread in conversation %d: %v, want %d", c.UserID, conv, got, want)
	}
	var one struct{ Unread *int }
	c.Must(200, "GET", fmt.Sprintf("/conversations/%d", conv), nil, &one)
	if one.Unread == nil || *one.Unread != want {
		t.Fatalf("user %d's unread in GET /conversations/%d: %v, want %d", c.UserID, conv, one.Unread, want)
	}
}

func markRead(c *apitest.Client, conv, msg int64) *apitest.Response {
	return c.Do("POST", fmt.Sprintf("/conversations/%d/read", conv), map[string]any{"message_id": msg})
}

func mustMarkRead(t *testing.T, c *apitest.Client, conv, msg int64) readStateJSON {
	t.Helper()
	var st readStateJSON
	if r := markRead(c, conv, msg); r.Status != 200 || jsonInto(r, &st) != nil {
		t.Fatalf("user %d marks %d read in %d: %d %s", c.UserID, msg, conv, r.Status, r.Body)
	}
	return st
}

// TestUnreadCounts: each member's count is the messages after their own
// marker that others sent and that are not deleted; markers move forward
// only and are each member's own.
func TestUnreadCounts(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	adm := env.Admin()
	fa, fc := env.Family(adm, 2), env.Family(adm, 1)
	mia, ben, zoe := fa.Children[0], fa.Children[1], fc.Child()
	approveLink(fa, mia, fa, ben)
	approveLink(fa, mia, fc, zoe)
	approveLink(fa, ben, fc, zoe)
	conv := createGroup(mia, "pals", ben.UserID, zoe.UserID).ID
	for _, c := range []*apitest.Client{mia, ben, zoe} {
		if _, last := unreadOf(t, c, conv); last != nil {
			t.Fatalf("user %d has a marker before reading: %d", c.UserID, *last)
		}
		wantUnread(t, c, conv, 0)
	}

	b1 := mustSend(t, ben, conv, "one")
	b2 := mustSend(t, ben, conv, "two")
	mustSend(t, zoe, conv, "three")
	m1 := mustSend(t, mia, conv, "mine") // never unread for its sender
	wantUnread(t, mia, conv, 3)
	wantUnread(t, ben, conv, 2)
	wantUnread(t, zoe, conv, 3)

	// A deleted message is not unread for anyone.
	ben.Must(204, "DELETE", fmt.Sprintf("/messages/%d", b2.ID), nil, nil)
	wantUnread(t, mia, conv, 2)
	wantUnread(t, zoe, conv, 2)

	// Mia reads up to Ben's first: Zoe's message is left. Ben's and Zoe's
	// markers do not move.
	if st := mustMarkRead(t, mia, conv, b1.ID); st.Unread != 1 || st.LastReadMessageID == nil || *st.LastReadMessageID != b1.ID || st.ConversationID != conv {
		t.Fatalf("after reading %d: %+v", b1.ID, st)
	}
	wantUnread(t, mia, conv, 1)
	wantUnread(t, ben, conv, 2)
	wantUnread(t, zoe, conv, 2)

	// Up to her own last message, then back: the marker stays forward.
	mustMarkRead(t, mia, conv, m1.ID)
	if st := mustMarkRead(t, mia, conv, b1.ID); st.Unread != 0 || *st.LastReadMessageID != m1.ID {
		t.Fatalf("marking an older message moved the marker back: %+v", st)
	}
	// A deleted message holds its place: Zoe may mark it.
	if st := mustMarkRead(t, zoe, conv, b2.ID); st.Unread != 1 || *st.LastReadMessageID != b2.ID {
		t.Fatalf("zoe after the deleted message: %+v", st)
	}
	if _, last := unreadOf(t, mia, conv); last == nil || *last != m1.ID {
		t.Fatalf("mia's marker %v, want %d", last, m1.ID)
	}

	// New messages count again, from the marker on.
	mustSend(t, zoe, conv, "four")
	wantUnread(t, mia, conv, 1)
	wantUnread(t, ben, conv, 3)
}

// TestUnreadOnlyForMembers: a parent reading their child's chat has no
// marker and cannot move the child's; a message of another conversation,
// a missing or bad id are refused, naming message_id, and change nothing.
func TestUnreadOnlyForMembers(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	adm := env.Admin()
	fa, fb := env.Family(adm, 2), env.Family(adm, 1)
	mia, ben := fa.Children[0], fa.Children[1]
	approveLink(fa, mia, fa, ben)
	conv := createDirect(mia, ben.UserID).ID
	other := createDirect(mia, fa.Parent.UserID).ID
	m := mustSend(t, ben, conv, "hi")
	elsewhere := mustSend(t, fa.Parent, other, "dinner")

	if unread, last := unreadOf(t, fa.Parent, conv); unread != nil || last != nil {
		t.Fatalf("a parent who only reads has a read state: %v %v", unread, last)
	}
	wantStatus(t, markRead(fa.Parent, conv, m.ID), 403, "forbidden")
	wantStatus(t, markRead(adm, conv, m.ID), 403, "forbidden")
	wantStatus(t, markRead(fb.Parent, conv, m.ID), 404, "not_found")
	wantStatus(t, markRead(fb.Child(), conv, m.ID), 404, "not_found")
	wantUnread(t, mia, conv, 1)

	for _, bad := range []struct {
		body   any
		status int
	}{
		{map[string]any{"message_id": elsewhere.ID}, 404},
		{map[string]any{"message_id": 1 << 40}, 400},
		{map[string]any{"message_id": 0}, 400},
		{map[string]any{"message_id": "7"}, 400},
		{map[string]any{}, 400},
	} {
		r := mia.Do("POST", fmt.Sprintf("/conversations/%d/read", conv), bad.body)
		if r.Status != bad.status || r.ErrorField() != "message_id" {
			t.Fatalf("mark read with %v: %d %s, want %d naming message_id", bad.body, r.Status, r.Body, bad.status)
		}
	}
	wantUnread(t, mia, conv, 1)
	if _, last := unreadOf(t, mia, conv); last != nil {
		t.Fatalf("a refused mark moved the marker to %d", *last)
	}
}

// TestLiveConversationRead: conversation.read reaches the reader's other
// sockets with what POST returned, and nobody else: not the sender, not
// the parents who read the chat. A mark that moves nothing tells nobody.
func TestLiveConversationRead(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	adm := env.Admin()
	fa, fc := env.Family(adm, 1), env.Family(adm, 1)
	mia, zoe := fa.Child(), fc.Child()
	approveLink(fa, mia, fc, zoe)
	conv := createDirect(mia, zoe.UserID).ID
	phone, tablet := mia.Socket(""), mia.Socket("")
	others := map[string]*apitest.Socket{"zoe": zoe.Socket(""), "mia's parent": fa.Parent.Socket(""), "zoe's parent": fc.Parent.Socket("")}
	defer func() {
		phone.Close()
		tablet.Close()
		for _, s := range others {
			s.Close()
		}
	}()

	m := mustSend(t, zoe, conv, "hello")
	st := mustMarkRead(t, mia, conv, m.ID)
	want, _ := json.Marshal(st)
	for name, s := range map[string]*apitest.Socket{"phone": phone, "tablet": tablet} {
		nextOf(t, s, "message.created")
		f := nextOf(t, s, "conversation.read")
		sameJSON(t, "conversation.read on mia's "+name, f.Data, want)
	}
	// Marking the same message again moves nothing and tells nothing; the
	// next message shows delivery still works.
	mustMarkRead(t, mia, conv, m.ID)
	mustSend(t, zoe, conv, "probe")
	for name, s := range map[string]*apitest.Socket{"phone": phone, "tablet": tablet} {
		if f := frames(t, s, 1)[0]; f.Type != "message.created" {
			t.Fatalf("mia's %s after a mark that moved nothing: %s %s", name, f.Type, f.Data)
		}
	}
	// The others saw both messages and never a read. A socket opened
	// "from now" may still get the setup's contact and conversation events
	// when the hub had not read them yet (a loaded machine): skipped.
	for name, s := range others {
		for seen := 0; seen < 2; {
			switch f := frames(t, s, 1)[0]; f.Type {
			case "message.created":
				seen++
			case "conversation.read":
				t.Fatalf("%s got %s %s: what someone read is theirs", name, f.Type, f.Data)
			}
		}
		quiet(t, s, 200*time.Millisecond)
	}
}

// TestMarkReadConcurrent: marks of many messages at once, as from several
// tabs, leave the marker at the newest of them, never an older one.
func TestMarkReadConcurrent(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	fa := env.Family(env.Admin(), 1)
	kid := fa.Child()
	conv := createDirect(kid, fa.Parent.UserID).ID
	var ids []int64
	for i := range 12 {
		ids = append(ids, mustSend(t, fa.Parent, conv, fmt.Sprint("m", i)).ID)
	}
	var wg sync.WaitGroup
	statuses := make([]int, len(ids))
	for i, id := range ids {
		wg.Go(func() { statuses[i] = markRead(kid, conv, id).Status })
	}
	wg.Wait()
	for i, s := range statuses {
		if s != 200 {
			t.Fatalf("mark %d: status %d", ids[i], s)
		}
	}
	if _, last := unreadOf(t, kid, conv); last == nil || *last != ids[len(ids)-1] {
		t.Fatalf("marker %v after concurrent marks, want the newest %d", last, ids[len(ids)-1])
	}
	wantUnread(t, kid, conv, 0)
}

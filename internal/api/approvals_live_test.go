package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"pixelpals/internal/apitest"
)

// TestLiveContactEventsNoMoreThanREST: the events of a request, an
// approval and a decline reach exactly both families, each as the
// recipient's GET /contacts shows the link (never a parent's approval
// block: avatar, guardians, friends in common) or, for contact.declined,
// as the decline answered, and a replay from a cursor before tells them
// the same; every other role hears nothing of it.
func TestLiveContactEventsNoMoreThanREST(t *testing.T) {
	env := apitest.New(t)
	w := newWorld(env, env.Admin())
	fc := familyC(w)
	mia, ben := w.a.Child(), fc.Child()
	type recipient struct {
		c *apitest.Client
		s *apitest.Socket
	}
	family := []recipient{{mia, mia.Socket("")}, {ben, ben.Socket("")}, {w.a.Parent, w.a.Parent.Socket("")}, {fc.Parent, fc.Parent.Socket("")}}
	others := map[role]*apitest.Socket{}
	for _, r := range []role{admin, otherParent, otherChild} {
		others[r] = w.client(r).Socket("")
	}

	// A cursor from before it all, for the replay below: Mia's chat with
	// her parent.
	createDirect(w.a.Parent, mia.UserID)
	before := map[int64]string{}
	for _, r := range []recipient{family[0], family[2]} {
		before[r.c.UserID] = nextOf(t, r.s, "conversation.created").ID
	}

	// Requested by Ben, approved by his parent, then declined by Mia:
	// every family socket sees each as its REST shows it.
	link := childRequests(ben, mia)
	heard := map[string][]byte{} // type and recipient → what they heard
	for _, r := range family {
		f := nextOf(t, r.s, "contact.requested")
		noApprovalData(t, f)
		sameJSON(t, fmt.Sprintf("contact.requested to %d", r.c.UserID), f.Data, restContactForEvent(t, r.c, link.ID))
		heard[f.Type+itoa(r.c.UserID)] = f.Data
	}
	fc.Parent.Must(200, "POST", fmt.Sprintf("/contacts/%d/approve", link.ID), nil, nil)
	for _, r := range family {
		f := nextOf(t, r.s, "contact.approved")
		noApprovalData(t, f)
		sameJSON(t, fmt.Sprintf("contact.approved to %d", r.c.UserID), f.Data, restContactForEvent(t, r.c, link.ID))
		heard[f.Type+itoa(r.c.UserID)] = f.Data
	}
	declined := mia.Must(200, "POST", fmt.Sprintf("/contacts/%d/decline", link.ID), nil, nil)
	for _, r := range family {
		f := nextOf(t, r.s, "contact.declined")
		noApprovalData(t, f)
		sameJSON(t, fmt.Sprintf("contact.declined to %d", r.c.UserID), f.Data, declined.Body)
		heard[f.Type+itoa(r.c.UserID)] = f.Data
	}
	// A replay from before tells Mia and her parent exactly the same.
	for _, r := range []recipient{family[0], family[2]} {
		replay := r.c.Socket(before[r.c.UserID])
		for _, typ := range []string{"contact.requested", "contact.approved", "contact.declined"} {
			sameJSON(t, fmt.Sprintf("replayed %s to %d", typ, r.c.UserID), nextOf(t, replay, typ).Data, heard[typ+itoa(r.c.UserID)])
		}
	}

	// The others hear nothing of it: each gets an event of their own
	// afterwards, and no contact event about the link before it.
	requestLink(w.b, w.b.Child(), env.Family(w.setup, 1).Child())
	conv := createDirect(w.b.Parent, w.b.Child().UserID)
	m := mustSend(t, w.b.Parent, conv.ID, "hello")
	w.b.Child().Must(201, "POST", fmt.Sprintf("/messages/%d/report", m.ID), map[string]string{"reason": "a test"}, nil)
	marker := map[role]string{admin: "report.filed", otherParent: "contact.requested", otherChild: "contact.requested"}
	for r, s := range others {
		for {
			f, err := s.Next(wait)
			if err != nil {
				t.Fatalf("%s waiting for %s: %v", r, marker[r], err)
			}
			var about struct{ ID int64 }
			json.Unmarshal(f.Data, &about)
			if strings.HasPrefix(f.Type, "contact.") && about.ID == link.ID {
				t.Fatalf("%s heard %s of link %d: %s", r, f.Type, link.ID, f.Data)
			}
			if f.Type == marker[r] {
				break
			}
		}
	}
}

// noApprovalData fails when a contact event carries what only a parent's
// REST list may: the approval block and what it holds.
func noApprovalData(t *testing.T, f apitest.Frame) {
	t.Helper()
	for _, key := range []string{`"approval"`, `"other_avatar_url"`, `"other_guardians"`, `"common_contacts"`, `"email"`, `"login"`} {
		if strings.Contains(string(f.Data), key) {
			t.Fatalf("%s carries %s: %s", f.Type, key, f.Data)
		}
	}
}

package api_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"pixelpals/internal/apitest"
)

// liveReader is one client in the randomized test: its socket, its cursor
// and everything it was sent.
type liveReader struct {
	c      *apitest.Client
	s      *apitest.Socket
	cursor string
	ids    map[string]bool
	msgs   map[int64]json.RawMessage // message id → its latest event data
	convOf map[int64]int64
	// trusted is the last trusted.* event type received per child id.
	trusted map[int64]string
}

func (r *liveReader) drain(t *testing.T, quietFor time.Duration) {
	t.Helper()
	for {
		f, err := r.s.Next(quietFor)
		if err == apitest.ErrTimeout {
			return
		}
		if err != nil {
			t.Fatalf("user %d's socket: %v", r.c.UserID, err)
		}
		if r.ids[f.ID] {
			t.Fatalf("user %d got event %s twice", r.c.UserID, f.ID)
		}
		r.ids[f.ID] = true
		r.cursor = f.ID
		if f.Type == "message.created" || f.Type == "message.deleted" {
			var m struct {
				ID             int64
				ConversationID int64 `json:"conversation_id"`
			}
			json.Unmarshal(f.Data, &m)
			r.msgs[m.ID] = f.Data
			r.convOf[m.ID] = m.ConversationID
		}
		if f.Type == "message.reactions" {
			r.react(t, f.Data)
		}
		if strings.HasPrefix(f.Type, "trusted.") {
			var d struct {
				ChildID int64 `json:"child_id"`
			}
			json.Unmarshal(f.Data, &d)
			r.trusted[d.ChildID] = f.Type
		}
	}
}

// react applies a message.reactions event to the message it is about, as
// the client does: its reactions become the event's.
func (r *liveReader) react(t *testing.T, data json.RawMessage) {
	t.Helper()
	var d struct {
		MessageID int64           `json:"message_id"`
		Reactions json.RawMessage `json:"reactions"`
	}
	json.Unmarshal(data, &d)
	m, ok := r.msgs[d.MessageID]
	if !ok {
		return // a message from before this reader could read the chat
	}
	var fields map[string]json.RawMessage
	json.Unmarshal(m, &fields)
	fields["reactions"] = d.Reactions
	patched, err := json.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	r.msgs[d.MessageID] = patched
}

// TestLiveRandomized interleaves sends, deletions, reactions, member
// changes, guardians added and removed, and reconnects at random, then checks each client's received
// stream against what REST shows it: no event twice, every message it may
// read and has been able to read all along exactly as its history shows
// it (reactions included), and nothing it received shown otherwise.
func TestLiveRandomized(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	env := apitest.New(t)
	admin := env.Admin()
	fa, fb := env.Family(admin, 3), env.Family(admin, 2)
	kids := append(slices.Clone(fa.Children), fb.Children...)
	famOf := func(c *apitest.Client) *apitest.Family {
		if slices.Contains(fa.Children, c) {
			return fa
		}
		return fb
	}
	for i, x := range kids {
		for _, y := range kids[i+1:] {
			approveLink(famOf(x), x, famOf(y), y)
		}
	}
	// g becomes and stops being a guardian of the children, ta their
	// trusted grown-up (issue 21).
	g, ta := env.Family(admin, 0).Parent, env.Family(admin, 0).Parent
	guards := map[int64]bool{} // child id → g is their guardian
	clients := append(slices.Clone(kids), fa.Parent, fb.Parent, g, ta)
	readers := map[int64]*liveReader{}
	for _, c := range clients {
		readers[c.UserID] = &liveReader{c: c, s: c.Socket(""), ids: map[string]bool{}, msgs: map[int64]json.RawMessage{},
			convOf: map[int64]int64{}, trusted: map[int64]string{}}
	}

	// The model: who is in each conversation, who may have missed some.
	type conv struct {
		id      int64
		owner   *apitest.Client
		members []*apitest.Client
		ever    map[int64]bool // was ever removed: may not be re-added
		broken  map[int64]bool // lost access at some point
	}
	readersOf := func(c *conv) []int64 {
		var ids []int64
		for _, m := range c.members {
			ids = append(ids, m.UserID, famOf(m).Parent.UserID)
			if guards[m.UserID] {
				ids = append(ids, g.UserID)
			}
		}
		slices.Sort(ids)
		return slices.Compact(ids)
	}
	var convs []*conv
	for g := range 2 {
		owner := kids[g]
		others := []int64{kids[(g+1)%len(kids)].UserID}
		cv := createGroup(owner, fmt.Sprint("g", g), others...)
		convs = append(convs, &conv{id: cv.ID, owner: owner, members: []*apitest.Client{owner, kids[(g+1)%len(kids)]},
			ever: map[int64]bool{}, broken: map[int64]bool{}})
	}
	d := createDirect(kids[0], kids[4].UserID)
	convs = append(convs, &conv{id: d.ID, members: []*apitest.Client{kids[0], kids[4]}, ever: map[int64]bool{}, broken: map[int64]bool{}})
	type sent struct {
		id      int64
		conv    int64
		sender  *apitest.Client
		deleted bool
	}
	var msgs []sent

	for step := range 150 {
		cv := convs[rng.IntN(len(convs))]
		switch op := rng.IntN(14); {
		case op == 10 || op == 11: // a member puts a reaction on, or takes it off
			var live []sent
			for _, m := range msgs {
				if m.conv == cv.id && !m.deleted {
					live = append(live, m)
				}
			}
			if len(live) == 0 {
				continue
			}
			m, by := live[rng.IntN(len(live))], cv.members[rng.IntN(len(cv.members))]
			kind := []string{"heart", "star", "laugh"}[rng.IntN(3)]
			by.Must(200, []string{"PUT", "DELETE"}[rng.IntN(2)], fmt.Sprintf("/conversations/%d/messages/%d/reactions/%s", cv.id, m.id, kind), nil, nil)
		case op < 5: // send
			m := cv.members[rng.IntN(len(cv.members))]
			msgs = append(msgs, sent{id: mustSend(t, m, cv.id, fmt.Sprint("step ", step)).ID, conv: cv.id, sender: m})
		case op < 6 && len(msgs) > 0: // delete, by the sender or their parent
			i := rng.IntN(len(msgs))
			msgs[i].deleted = true
			m := msgs[i]
			by := m.sender
			if rng.IntN(2) == 0 {
				by = famOf(by).Parent
			}
			by.Must(204, "DELETE", fmt.Sprintf("/messages/%d", m.id), nil, nil)
		case op < 8 && cv.owner != nil: // add a member who never left
			var cand []*apitest.Client
			for _, k := range kids {
				if !slices.Contains(cv.members, k) && !cv.ever[k.UserID] {
					cand = append(cand, k)
				}
			}
			if len(cand) == 0 {
				continue
			}
			k := cand[rng.IntN(len(cand))]
			before := readersOf(cv)
			cv.owner.Must(200, "POST", fmt.Sprintf("/conversations/%d/members", cv.id), map[string]int64{"user_id": k.UserID}, nil)
			cv.members = append(cv.members, k)
			for _, id := range readersOf(cv) {
				if !slices.Contains(before, id) {
					cv.broken[id] = true // a reader from now on: history holds older messages
				}
			}
		case op < 9 && cv.owner != nil && len(cv.members) > 2: // remove, or leave
			i := 1 + rng.IntN(len(cv.members)-1)
			k := cv.members[i]
			if k == cv.owner {
				continue
			}
			by := cv.owner
			if rng.IntN(2) == 0 {
				by = k
			}
			before := readersOf(cv)
			by.Must(204, "DELETE", fmt.Sprintf("/conversations/%d/members/%d", cv.id, k.UserID), nil, nil)
			cv.members = slices.Delete(cv.members, i, i+1)
			cv.ever[k.UserID] = true
			for _, id := range before {
				if !slices.Contains(readersOf(cv), id) {
					cv.broken[id] = true
				}
			}
		case op == 12: // g becomes a guardian of a child, or is removed
			k := kids[rng.IntN(len(kids))]
			before := map[*conv][]int64{}
			for _, c := range convs {
				before[c] = readersOf(c)
			}
			if guards[k.UserID] {
				famOf(k).Parent.Must(204, "DELETE", fmt.Sprintf("/children/%d/guardians/%d", k.UserID, g.UserID), nil, nil)
			} else {
				g.Must(200, "POST", "/guardian-invites/accept", map[string]string{"code": famOf(k).Parent.Invite(k.UserID)}, nil)
			}
			guards[k.UserID] = !guards[k.UserID]
			for _, c := range convs {
				if !slices.Equal(before[c], readersOf(c)) {
					c.broken[g.UserID] = true
				}
			}
		case op == 13: // ta is proposed for a child, approved, or revoked
			k := kids[rng.IntN(len(kids))]
			by := []*apitest.Client{famOf(k).Parent}
			if guards[k.UserID] {
				by = append(by, g)
			}
			trustedStep(rng, ta, k.UserID, by)
		default: // a client reconnects with its cursor
			r := readers[clients[rng.IntN(len(clients))].UserID]
			r.drain(t, time.Millisecond)
			r.s.Close()
			r.s = r.c.Socket(r.cursor)
		}
	}

	for _, r := range readers {
		r.drain(t, 500*time.Millisecond)
	}
	checkTrustedStreams(t, readers, ta, famOf, kids)
	for _, cv := range convs {
		for _, r := range readers {
			var page struct{ Items []json.RawMessage }
			resp := r.c.Do("GET", fmt.Sprintf("/conversations/%d/messages?limit=200", cv.id), nil)
			if resp.Status == 404 {
				continue // no longer theirs to read
			}
			if err := json.Unmarshal(resp.Body, &page); err != nil || resp.Status != 200 {
				t.Fatalf("history: %d %s", resp.Status, resp.Body)
			}
			rest := map[int64]json.RawMessage{}
			for _, m := range page.Items {
				var id struct{ ID int64 }
				json.Unmarshal(m, &id)
				rest[id.ID] = m
			}
			for id, data := range r.msgs {
				if r.convOf[id] != cv.id {
					continue
				}
				want, ok := rest[id]
				if !ok {
					t.Errorf("user %d received message %d, not in their history of %d", r.c.UserID, id, cv.id)
					continue
				}
				if cv.broken[r.c.UserID] {
					// Away for a while, they missed what changed meanwhile
					// (a deletion, reactions): their copy may be older.
					continue
				}
				sameJSON(t, fmt.Sprintf("user %d, message %d", r.c.UserID, id), data, want)
			}
			if cv.broken[r.c.UserID] {
				continue
			}
			for id := range rest {
				if _, ok := r.msgs[id]; !ok {
					t.Errorf("user %d, a reader of %d all along, never received message %d", r.c.UserID, cv.id, id)
				}
			}
		}
	}
}

// trustedStep proposes adult for child k (by one of k's guardians), or
// approves the pending link, or revokes it, as REST shows it now.
func trustedStep(rng *rand.Rand, adult *apitest.Client, k int64, guardians []*apitest.Client) {
	base := fmt.Sprintf("/children/%d/trusted-adults", k)
	var list []trustedJSON
	guardians[0].Must(200, "GET", base, nil, &list)
	i := slices.IndexFunc(list, func(x trustedJSON) bool { return x.AdultID == adult.UserID })
	by := guardians[rng.IntN(len(guardians))]
	switch {
	case i < 0:
		by.Must(201, "POST", base, map[string]string{"code": trustedCode(adult)}, nil)
	case list[i].Status == "pending" && rng.IntN(3) > 0:
		by.Must(200, "POST", fmt.Sprintf("%s/%d/approve", base, adult.UserID), nil, nil)
	default:
		by.Must(204, "DELETE", fmt.Sprintf("%s/%d", base, adult.UserID), nil, nil)
	}
}

// trustedState is what the last trusted.* event received says of a link.
var trustedState = map[string]string{"": "none", "trusted.proposed": "pending", "trusted.approved": "pending",
	"trusted.activated": "active", "trusted.revoked": "none"}

// checkTrustedStreams: the last trusted.* event each primary received
// about each of their children says what REST says of the link now; the
// adult's say which children GET /me/trusted-children lists, each
// child's whether GET /me/trusted-adults lists the adult; nobody hears of
// another family's child.
func checkTrustedStreams(t *testing.T, readers map[int64]*liveReader, adult *apitest.Client,
	famOf func(*apitest.Client) *apitest.Family, kids []*apitest.Client) {
	t.Helper()
	active := map[int64]bool{}
	for _, k := range kids {
		var list []trustedJSON
		p := famOf(k).Parent
		p.Must(200, "GET", fmt.Sprintf("/children/%d/trusted-adults", k.UserID), nil, &list)
		rest := "none"
		if len(list) == 1 {
			rest = list[0].Status
		}
		active[k.UserID] = rest == "active"
		if got := trustedState[readers[p.UserID].trusted[k.UserID]]; got != rest {
			t.Errorf("child %d's primary was last told the link is %s; REST says %s", k.UserID, got, rest)
		}
		for child := range readers[p.UserID].trusted {
			if !slices.ContainsFunc(famOf(k).Children, func(c *apitest.Client) bool { return c.UserID == child }) {
				t.Errorf("parent %d was told of another family's child %d", p.UserID, child)
			}
		}
		mine := readers[k.UserID].trusted
		if told := trustedState[mine[k.UserID]] == "active"; len(mine) > 1 || told != slices.Contains(myTrustedAdults(k), adult.UserID) {
			t.Errorf("child %d was last told %v of their trusted grown-up; REST lists %v", k.UserID, mine, myTrustedAdults(k))
		}
	}
	var told []int64
	for child, typ := range readers[adult.UserID].trusted {
		if trustedState[typ] == "active" {
			told = append(told, child)
		}
	}
	slices.Sort(told)
	t.Logf("trusted links at the end: %d active of %d children", len(trustingChildren(adult)), len(kids))
	if rest := trustingChildren(adult); !slices.Equal(told, rest) {
		t.Errorf("the trusted adult was last told they are trusted by %v; REST lists %v", told, rest)
	}
}

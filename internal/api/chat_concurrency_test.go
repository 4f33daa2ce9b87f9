package api_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"pixelpals/internal/apitest"
)

// siblings makes a family of n children who are all each other's approved
// contacts.
func siblings(env *apitest.Env, admin *apitest.Client, n int) *apitest.Family {
	f := env.Family(admin, n)
	for i, a := range f.Children {
		for _, b := range f.Children[i+1:] {
			approveLink(f, a, f, b)
		}
	}
	return f
}

// sendUntil sends as c to conv from several goroutines until stop closes,
// and returns how many sends each answer got: "201", or the status and
// the error code ("409 conversation_frozen"). firstOK, when not nil, is
// closed at the first 201.
func sendUntil(c *apitest.Client, conv int64, senders int, stop <-chan struct{}, firstOK chan<- struct{}) map[string]int {
	var mu sync.Mutex
	counts := map[string]int{}
	var once sync.Once
	var wg sync.WaitGroup
	for range senders {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				r := send(c, conv, "race")
				answer := fmt.Sprint(r.Status)
				if r.Status >= 400 {
					answer += " " + r.ErrorCode()
				}
				mu.Lock()
				counts[answer]++
				mu.Unlock()
				if r.Status == 201 && firstOK != nil {
					once.Do(func() { close(firstOK) })
				}
			}
		})
	}
	wg.Wait()
	return counts
}

// waitClosed waits until each of chans is closed.
func waitClosed(t *testing.T, what string, chans ...chan struct{}) {
	t.Helper()
	for _, c := range chans {
		select {
		case <-c:
		case <-time.After(30 * time.Second):
			t.Fatalf("no %s after 30 s", what)
		}
	}
}

// TestSendsRacingMemberRemoval removes a member while they send from many
// goroutines at once: from the database, every message of theirs must be
// older than the system message recording their removal, and every send
// after it is refused.
func TestSendsRacingMemberRemoval(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	f := siblings(env, env.Admin(), 3)
	owner, x := f.Children[0], f.Children[1]
	conv := createGroup(owner, "race", x.UserID, f.Children[2].UserID).ID

	for round := range 6 {
		stop, sent := make(chan struct{}), make(chan struct{})
		done := make(chan map[string]int)
		go func() { done <- sendUntil(x, conv, 6, stop, sent) }()
		// Some sends before the removal, however slow the machine, and
		// the removal among the sends still arriving.
		waitClosed(t, "send accepted before the removal", sent)
		time.Sleep(time.Duration(rand.IntN(40)) * time.Millisecond)
		remover := owner
		if round%2 == 1 {
			remover = f.Parent // a parent takes their child out
		}
		remover.Must(204, "DELETE", fmt.Sprintf("/conversations/%d/members/%d", conv, x.UserID), nil, nil)
		time.Sleep(30 * time.Millisecond)
		close(stop)
		counts := <-done
		if counts["201"] == 0 || counts["201"]+counts["404 not_found"] != sum(counts) {
			t.Fatalf("round %d: answers %v, want only 201 and 404 not_found with some of each", round, counts)
		}
		wantStatus(t, send(x, conv, "after"), 404, "not_found")

		var removedAt, lastFromX int64
		err := env.DB.Pool.QueryRow(context.Background(), `
			SELECT (SELECT max(id) FROM messages WHERE conversation_id = $1 AND type = 'system'
			          AND content = format('{"event":"member_removed","user_id":%s}', $2::int)),
			       (SELECT coalesce(max(id), 0) FROM messages WHERE conversation_id = $1 AND sender_id = $2 AND type = 'text')`,
			conv, x.UserID).Scan(&removedAt, &lastFromX)
		if err != nil {
			t.Fatal(err)
		}
		if lastFromX == 0 || lastFromX > removedAt {
			t.Fatalf("round %d: a message from %d (id %d) landed after their removal (id %d)", round, x.UserID, lastFromX, removedAt)
		}
		var late int
		if err := env.DB.Pool.QueryRow(context.Background(), `
			SELECT count(*) FROM messages m, messages r
			WHERE r.id = $3 AND m.conversation_id = $1 AND m.sender_id = $2 AND m.type = 'text'
			  AND (m.created_at, m.id) > (r.created_at, r.id)`, conv, x.UserID, removedAt).Scan(&late); err != nil {
			t.Fatal(err)
		}
		if late != 0 {
			t.Fatalf("round %d: %d messages from a removed member are ordered after the removal", round, late)
		}
		owner.Must(200, "POST", fmt.Sprintf("/conversations/%d/members", conv), map[string]int64{"user_id": x.UserID}, nil)
	}
}

// TestSendsRacingRevocation revokes a link while both children send: no
// message is accepted after the conversation froze.
func TestSendsRacingRevocation(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	fa, fb := env.Family(admin, 1), env.Family(admin, 1)
	a, b := fa.Child(), fb.Child()
	link := approveLink(fa, a, fb, b)
	conv := createDirect(a, b.UserID).ID
	for round := range 4 {
		if round > 0 {
			link = approveLink(fa, a, fb, b) // approved again: the conversation thaws
		}
		stop, sent := make(chan struct{}), []chan struct{}{make(chan struct{}), make(chan struct{})}
		var wg sync.WaitGroup
		var counts [2]map[string]int
		for i, c := range []*apitest.Client{a, b} {
			wg.Go(func() { counts[i] = sendUntil(c, conv, 3, stop, sent[i]) })
		}
		// Each child had a send accepted before the revocation, however
		// slow the machine, and the revocation comes among sends still
		// arriving.
		waitClosed(t, "send accepted before the revocation", sent...)
		time.Sleep(time.Duration(rand.IntN(30)) * time.Millisecond)
		fb.Parent.Must(204, "DELETE", fmt.Sprintf("/contacts/%d", link), nil, nil)
		time.Sleep(30 * time.Millisecond)
		close(stop)
		wg.Wait()
		for i := range counts {
			if counts[i]["201"] == 0 || counts[i]["201"]+counts[i]["409 conversation_frozen"] != sum(counts[i]) {
				t.Fatalf("round %d sender %d: answers %v, want only 201 and 409 conversation_frozen", round, i, counts[i])
			}
		}
		var frozenAt, lastText int64
		err := env.DB.Pool.QueryRow(context.Background(), `
			SELECT (SELECT max(id) FROM messages WHERE conversation_id = $1 AND content = '{"event":"conversation_frozen"}'),
			       (SELECT max(id) FROM messages WHERE conversation_id = $1 AND type = 'text')`, conv).Scan(&frozenAt, &lastText)
		if err != nil {
			t.Fatal(err)
		}
		if lastText > frozenAt {
			t.Fatalf("round %d: message %d accepted after the freeze (%d)", round, lastText, frozenAt)
		}
	}
}

func sum[K comparable](m map[K]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// TestConcurrentRuleChanges runs contact approvals and revocations, member
// additions and removals, guardians added and removed (issue 21: two
// adults of no family become and stop being the children's guardians, and
// chat with them) and sends all at once over three families, then
// checks from the database that every conversation's frozen state matches
// the rule, and that no answer was a server error (the lock order leaves
// no deadlock).
func TestConcurrentRuleChanges(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	var fams []*apitest.Family
	for range 3 {
		fams = append(fams, env.Family(admin, 2))
	}
	type linkAB struct {
		fa, fb *apitest.Family
		a, b   *apitest.Client
	}
	var links []linkAB
	var kids []*apitest.Client
	familyOf := map[*apitest.Client]*apitest.Family{}
	adults := []*apitest.Client{env.Family(admin, 0).Parent, env.Family(admin, 0).Parent}
	for i, fa := range fams {
		for _, a := range fa.Children {
			kids = append(kids, a)
			familyOf[a] = fa
			for _, fb := range fams[i+1:] {
				for _, b := range fb.Children {
					links = append(links, linkAB{fa, fb, a, b})
					approveLink(fa, a, fb, b)
				}
			}
		}
	}
	// Groups of cross-family children, each owned by its first member.
	var groups []int64
	for i := range 4 {
		a, b, c := kids[i], kids[2+i%4], kids[4+i%2]
		groups = append(groups, createGroup(a, fmt.Sprintf("g%d", i), b.UserID, c.UserID).ID)
	}
	owners := kids[:4]

	var serverErrors atomic.Int64
	check := func(r *apitest.Response) {
		if r.Status >= 500 {
			serverErrors.Add(1)
			t.Errorf("server error: %d %s", r.Status, r.Body)
		}
	}
	for round := range 3 {
		var wg sync.WaitGroup
		for w := range 6 {
			rng := rand.New(rand.NewPCG(uint64(round), uint64(w)))
			wg.Go(func() {
				for range 40 {
					l := links[rng.IntN(len(links))]
					g := rng.IntN(len(groups))
					switch rng.IntN(7) {
					case 0: // revoke, or ask again and approve
						var cs pageJSON[contactJSON]
						l.fa.Parent.Must(200, "GET", fmt.Sprintf("/contacts?child_id=%d", l.a.UserID), nil, &cs)
						for _, c := range cs.Items {
							if c.Children[0].ChildID == l.b.UserID || c.Children[1].ChildID == l.b.UserID {
								check(l.fa.Parent.Do("DELETE", fmt.Sprintf("/contacts/%d", c.ID), nil))
							}
						}
					case 1:
						r := l.fa.Parent.Do("POST", "/contacts", map[string]any{"friend_code": friendCode(l.b), "child_id": l.a.UserID})
						check(r)
						var c contactJSON
						if r.Status < 300 && jsonInto(r, &c) == nil {
							check(l.fb.Parent.Do("POST", fmt.Sprintf("/contacts/%d/approve", c.ID), nil))
						}
					case 2:
						check(owners[g].Do("POST", fmt.Sprintf("/conversations/%d/members", groups[g]),
							map[string]int64{"user_id": kids[rng.IntN(len(kids))].UserID}))
					case 3:
						k := kids[rng.IntN(len(kids))]
						if k != owners[g] {
							check(owners[g].Do("DELETE", fmt.Sprintf("/conversations/%d/members/%d", groups[g], k.UserID), nil))
						}
					case 5: // an adult becomes a guardian, or the primary removes them
						k, ga := kids[rng.IntN(len(kids))], adults[rng.IntN(len(adults))]
						primary := familyOf[k].Parent
						if rng.IntN(2) == 0 {
							r := primary.Do("POST", fmt.Sprintf("/children/%d/guardian-invites", k.UserID), nil)
							check(r)
							var inv struct{ Code string }
							if r.Status == 201 && jsonInto(r, &inv) == nil {
								check(ga.Do("POST", "/guardian-invites/accept", map[string]string{"code": inv.Code}))
							}
						} else {
							check(primary.Do("DELETE", fmt.Sprintf("/children/%d/guardians/%d", k.UserID, ga.UserID), nil))
						}
					case 6: // an adult chats with a child (allowed while their guardian)
						k, ga := kids[rng.IntN(len(kids))], adults[rng.IntN(len(adults))]
						r := ga.Do("POST", "/conversations", map[string]any{"member_ids": []int64{k.UserID}, "is_group": false})
						check(r)
						var c conversationJSON
						if r.Status < 300 && jsonInto(r, &c) == nil {
							check(send(ga, c.ID, "from a guardian"))
						}
					default:
						check(owners[g].Do("POST", fmt.Sprintf("/conversations/%d/messages", groups[g]),
							map[string]any{"type": "text", "content": "hi", "client_id": nextClientID()}))
					}
				}
			})
		}
		wg.Wait()
		loadChatState(t, env.DB).checkInvariants(t, fmt.Sprintf("after concurrent round %d", round))
	}
	if n := serverErrors.Load(); n > 0 {
		t.Fatalf("%d server errors", n)
	}
	// The guardian changes did happen among the rest, and froze chats.
	var added, removed, adultChats int
	if err := env.DB.Pool.QueryRow(context.Background(), `
		SELECT (SELECT count(*) FROM audit_logs WHERE action = 'guardian.add'),
		       (SELECT count(*) FROM audit_logs WHERE action = 'guardian.remove'),
		       (SELECT count(DISTINCT conversation_id) FROM conversation_members WHERE user_id = ANY($1))`,
		[]int64{adults[0].UserID, adults[1].UserID}).Scan(&added, &removed, &adultChats); err != nil {
		t.Fatal(err)
	}
	if added == 0 || removed == 0 || adultChats == 0 {
		t.Fatalf("guardians added %d, removed %d, chats of theirs %d: the race never reached them", added, removed, adultChats)
	}
}

// TestAddMemberRacingRevocation adds a child to a group at the same moment
// as their link with a member is revoked, many times over: whichever
// commits first, the other must see it, so the group ends up either
// without the child or frozen.
func TestAddMemberRacingRevocation(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	fo, fx, fy := env.Family(admin, 1), env.Family(admin, 1), env.Family(admin, 1)
	o, x, y := fo.Child(), fx.Child(), fy.Child()
	approveLink(fo, o, fx, x)
	approveLink(fo, o, fy, y)
	conv := createGroup(o, "race", y.UserID).ID
	for round := range 40 {
		link := approveLink(fx, x, fy, y)
		start := make(chan struct{})
		var wg sync.WaitGroup
		var added, revoked *apitest.Response
		wg.Go(func() {
			<-start
			added = o.Do("POST", fmt.Sprintf("/conversations/%d/members", conv), map[string]int64{"user_id": x.UserID})
		})
		wg.Go(func() {
			<-start
			revoked = fx.Parent.Do("DELETE", fmt.Sprintf("/contacts/%d", link), nil)
		})
		close(start)
		wg.Wait()
		if revoked.Status != 204 || (added.Status != 200 && added.Status != 403) {
			t.Fatalf("round %d: add %d %s, revoke %d %s", round, added.Status, added.Body, revoked.Status, revoked.Body)
		}
		s := loadChatState(t, env.DB)
		s.checkInvariants(t, fmt.Sprintf("round %d", round))
		if s.isMember(conv, x.UserID) != (added.Status == 200) || (added.Status == 200 && !s.frozen[conv]) {
			t.Fatalf("round %d: add answered %d; member %v, frozen %v", round, added.Status, s.isMember(conv, x.UserID), s.frozen[conv])
		}
		if added.Status == 200 {
			o.Must(204, "DELETE", fmt.Sprintf("/conversations/%d/members/%d", conv, x.UserID), nil, nil)
		}
	}
}

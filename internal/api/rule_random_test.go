package api_test

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"

	"pixelpals/internal/apitest"
)

// TestRandomContactRule drives thousands of random steps over three
// families and a parent without children through the API: contact
// requests, approvals, rejections, a child's declines (issue 21.4) and
// revocations, conversations created, members added and removed, messages
// sent, guardians added (by invitation, any adult of any family) and
// removed (issue 21), trusted grown-ups proposed, approved and revoked
// (issue 21.3). Before each step it predicts the answer from the
// database state with the Go version of the contact rule
// (rule_oracle_test.go); after each step it checks, from the database,
// that every conversation's frozen state matches the rule and that every
// message written was a send accepted from a member of a conversation
// satisfying the rule at that moment, so no message ever passed between
// children without an approved link.
//
// It is seeded and reproducible: PIXELPALS_RULE_SEED and
// PIXELPALS_RULE_STEPS override the seed and the number of steps.
func TestRandomContactRule(t *testing.T) {
	t.Parallel()
	seed := envInt(t, "PIXELPALS_RULE_SEED", 20261127)
	steps := int(envInt(t, "PIXELPALS_RULE_STEPS", 4000))
	t.Logf("seed %d, %d steps", seed, steps)

	env := apitest.New(t)
	r := newRuleRun(env, rand.New(rand.NewPCG(uint64(seed), 1)))
	state := loadChatState(t, env.DB)
	for i := range steps {
		step := r.step(t, state)
		desc := fmt.Sprintf("seed %d step %d: %s", seed, i, step.desc)
		if step.got.Status != step.want {
			t.Fatalf("%s: status %d, want %d: %s", desc, step.got.Status, step.want, step.got.Body)
		}
		r.outcomes[fmt.Sprintf("%s %d", step.kind, step.want)]++
		after := loadChatState(t, env.DB)
		if err := step.check(after); err != nil {
			t.Fatalf("%s: %v", desc, err)
		}
		after.checkInvariants(t, desc)
		for _, c := range state.convIDs {
			switch {
			case !state.frozen[c] && after.frozen[c]:
				r.outcomes["freeze"]++
			case state.frozen[c] && !after.frozen[c]:
				r.outcomes["thaw"]++
			}
		}
		for _, m := range messagesSince(t, env.DB, state.lastMsgID) {
			if m.Type == "system" {
				r.outcomes["system message"]++
				continue
			}
			// Nothing but this step changed the state, so the state before
			// it is the state the message was accepted in.
			if step.kind != "send" || step.want != 201 || m.Sender != step.actor || m.Conv != step.conv {
				t.Fatalf("%s: unexpected message %+v", desc, m)
			}
			if !state.isMember(m.Conv, m.Sender) || !state.ruleHolds(m.Conv) {
				t.Fatalf("%s: message %d accepted in conversation %d (members %v) from %d, which the rule forbids",
					desc, m.ID, m.Conv, state.members[m.Conv], m.Sender)
			}
		}
		state = after
	}
	keys := make([]string, 0, len(r.outcomes))
	for k := range r.outcomes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		t.Logf("%-24s %d", k, r.outcomes[k])
	}
	// The walk must have visited the interesting states, or it proves little.
	for _, k := range []string{"send 201", "send 409", "send 403", "create 201", "create 403", "add 200", "add 403",
		"remove 204", "revoke 204", "approve 200", "block 200", "block 409", "unblock 200", "unblock 403", "freeze", "thaw",
		"decline 200", "decline 403", "decline 404", "decline 409",
		"guardian-add 200", "guardian-add 409", "guardian-remove 204", "guardian-remove 403", "guardian-remove 409",
		"trusted-propose 201", "trusted-propose 409", "trusted-approve 200", "trusted-activate", "trusted-revoke 204", "trusted-revoke 404"} {
		if r.outcomes[k] == 0 {
			t.Errorf("the walk never reached %q", k)
		}
	}
}

func envInt(t *testing.T, name string, def int64) int64 {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return n
}

// ruleRun is the random walk's world: three families of three children,
// and a parent with none (who may become a guardian).
type ruleRun struct {
	rng      *rand.Rand
	clients  map[int64]*apitest.Client
	parents  []int64
	children []int64
	codes    map[int64]string
	outcomes map[string]int
	seq      int
}

func newRuleRun(env *apitest.Env, rng *rand.Rand) *ruleRun {
	r := &ruleRun{rng: rng, clients: map[int64]*apitest.Client{}, codes: map[int64]string{}, outcomes: map[string]int{}}
	admin := env.Admin()
	for range 3 {
		f := env.Family(admin, 3)
		r.clients[f.Parent.UserID] = f.Parent
		r.parents = append(r.parents, f.Parent.UserID)
		for _, c := range f.Children {
			r.clients[c.UserID] = c
			r.children = append(r.children, c.UserID)
			r.codes[c.UserID] = friendCode(c)
		}
	}
	lone := env.Family(admin, 0).Parent
	r.clients[lone.UserID] = lone
	r.parents = append(r.parents, lone.UserID)
	return r
}

// stepResult is one step: what was done, the predicted status and the
// answer.
type stepResult struct {
	kind  string
	desc  string
	actor int64
	conv  int64
	want  int
	got   *apitest.Response
	// verify, when set, checks the state after the step.
	verify func(after *chatState) error
}

// check runs the step's verify, if any.
func (s stepResult) check(after *chatState) error {
	if s.verify == nil {
		return nil
	}
	return s.verify(after)
}

func (r *ruleRun) pick(ids []int64) int64 { return ids[r.rng.IntN(len(ids))] }

func (r *ruleRun) anyUser() int64 {
	if r.rng.IntN(4) == 0 {
		return r.pick(r.parents)
	}
	return r.pick(r.children)
}

func (r *ruleRun) step(t *testing.T, s *chatState) stepResult {
	groups := slices.DeleteFunc(slices.Clone(s.convIDs), func(c int64) bool { return !s.isGroup[c] })
	switch n := r.rng.IntN(100); {
	case n < 35 && len(s.convIDs) > 0:
		return r.send(s)
	case n < 47:
		return r.request(s)
	case n < 59 && len(s.contacts) > 0:
		return r.contactAction(s, "approve")
	case n < 64 && len(s.contacts) > 0:
		return r.contactAction(s, "revoke")
	case n < 66 && len(s.contacts) > 0:
		return r.contactAction(s, "reject")
	case n < 82 && len(groups) > 0:
		return r.add(s, r.pick(groups))
	case n < 90 && len(groups) > 0:
		return r.remove(s, r.pick(groups))
	case n < 93 && len(s.contacts) > 0:
		return r.blockAction(s)
	case n < 95 && len(s.contacts) > 0:
		return r.declineAction(s)
	case n < 96:
		return r.guardianStep(s)
	case n < 99:
		return r.trustedStep(s)
	}
	return r.create(s)
}

// contactsOf lists a child's approved contacts.
func (r *ruleRun) contactsOf(s *chatState, x int64) []int64 {
	var out []int64
	for _, y := range r.children {
		if y != x && s.approved[pair(x, y)] {
			out = append(out, y)
		}
	}
	return out
}

// plausibleUser is, mostly, someone the contact rule may allow next to the
// members: an approved contact or the parent of a member child.
func (r *ruleRun) plausibleUser(s *chatState, members []int64) int64 {
	var cands []int64
	for _, m := range members {
		if s.role[m] == "CHILD" {
			cands = append(cands, s.allGuardians(m)...)
			for a := range s.trusted[m] {
				cands = append(cands, a)
			}
			cands = append(cands, r.contactsOf(s, m)...)
		}
	}
	if len(cands) == 0 || r.rng.IntN(4) == 0 {
		return r.anyUser()
	}
	return r.pick(cands)
}

func (r *ruleRun) send(s *chatState) stepResult {
	live := slices.DeleteFunc(slices.Clone(s.convIDs), func(c int64) bool { return len(s.members[c]) == 0 })
	if len(live) == 0 {
		live = s.convIDs
	}
	conv := r.pick(live)
	actor := r.anyUser()
	if len(s.members[conv]) > 0 && r.rng.IntN(5) > 0 {
		actor = r.pick(s.members[conv])
	}
	want := 404
	switch {
	case s.isMember(conv, actor) && s.frozen[conv]:
		want = 409
	case s.isMember(conv, actor):
		want = 201
	case s.parentOfMember(conv, actor):
		want = 403
	}
	got := send(r.clients[actor], conv, "hello")
	return stepResult{kind: "send", desc: fmt.Sprintf("%d sends to %d", actor, conv), actor: actor, conv: conv, want: want, got: got}
}

func (r *ruleRun) request(s *chatState) stepResult {
	x := r.pick(r.children)
	y := r.pick(slices.DeleteFunc(slices.Clone(r.children), func(c int64) bool { return c == x }))
	want := 201
	if _, exists := s.approved[pair(x, y)]; exists {
		want = 200
	}
	actor := x
	body := map[string]any{"friend_code": r.codes[y]}
	if r.rng.IntN(2) == 0 {
		actor = r.pick(s.allGuardians(x))
		body["child_id"] = x
	}
	got := r.clients[actor].Do("POST", "/contacts", body)
	return stepResult{kind: "request", desc: fmt.Sprintf("%d asks for link %d-%d", actor, x, y), actor: actor, want: want, got: got}
}

func (r *ruleRun) contactAction(s *chatState, kind string) stepResult {
	c := s.contacts[r.rng.IntN(len(s.contacts))]
	actor := r.pick(r.parents)
	switch k := r.rng.IntN(10); {
	case k < 5 && !c.AApproved:
		actor = r.pick(s.allGuardians(c.A))
	case k < 5 && !c.BApproved:
		actor = r.pick(s.allGuardians(c.B))
	case k < 8:
		actor = r.pick(s.allGuardians(r.pick([]int64{c.A, c.B})))
	}
	mineA, mineB := s.guards(c.A, actor), s.guards(c.B, actor)
	want := 404
	if mineA || mineB {
		switch kind {
		case "approve":
			want = 409
			if (mineA && !c.AApproved) || (mineB && !c.BApproved) {
				want = 200
			}
		case "reject":
			want = 204
			if c.AApproved && c.BApproved {
				want = 409
			}
		case "revoke":
			want = 204
		}
	}
	var got *apitest.Response
	if kind == "revoke" {
		got = r.clients[actor].Do("DELETE", fmt.Sprintf("/contacts/%d", c.ID), nil)
	} else {
		got = r.clients[actor].Do("POST", fmt.Sprintf("/contacts/%d/%s", c.ID, kind), nil)
	}
	return stepResult{kind: kind, desc: fmt.Sprintf("%d: %s link %d (%d-%d)", actor, kind, c.ID, c.A, c.B), actor: actor, want: want, got: got}
}

// blockAction blocks a link as one of its children (or a stranger child),
// or unblocks it as a parent.
func (r *ruleRun) blockAction(s *chatState) stepResult {
	c := s.contacts[r.rng.IntN(len(s.contacts))]
	if r.rng.IntN(2) == 0 {
		actor := r.pick(r.children)
		if r.rng.IntN(4) > 0 {
			actor = r.pick([]int64{c.A, c.B})
		}
		want := 404
		if actor == c.A || actor == c.B {
			want = 200
			if c.BlockedBy != 0 {
				want = 409
			}
		}
		got := r.clients[actor].Do("POST", fmt.Sprintf("/contacts/%d/block", c.ID), nil)
		return stepResult{kind: "block", desc: fmt.Sprintf("%d blocks link %d (%d-%d)", actor, c.ID, c.A, c.B), actor: actor, want: want, got: got}
	}
	actor := r.pick(r.parents)
	if r.rng.IntN(4) > 0 {
		actor = r.pick(s.allGuardians(r.pick([]int64{c.A, c.B})))
	}
	want := 404
	switch {
	case !s.guards(c.A, actor) && !s.guards(c.B, actor):
	case c.BlockedBy == 0:
		want = 409
	case s.guards(c.BlockedBy, actor):
		want = 200
	default:
		want = 403
	}
	got := r.clients[actor].Do("POST", fmt.Sprintf("/contacts/%d/unblock", c.ID), nil)
	return stepResult{kind: "unblock", desc: fmt.Sprintf("%d unblocks link %d (%d-%d)", actor, c.ID, c.A, c.B), actor: actor, want: want, got: got}
}

// declineAction declines a link as one of its children (or a stranger
// child): only the child the request was sent to, while it is pending and
// not blocked (issue 21.4).
func (r *ruleRun) declineAction(s *chatState) stepResult {
	c := s.contacts[r.rng.IntN(len(s.contacts))]
	actor := r.pick(r.children)
	if r.rng.IntN(4) > 0 {
		actor = r.pick([]int64{c.A, c.B})
	}
	askedA := c.RequestedBy == c.A || s.guards(c.A, c.RequestedBy)
	askedB := c.RequestedBy == c.B || s.guards(c.B, c.RequestedBy)
	want := 404
	switch {
	case actor != c.A && actor != c.B:
	case c.AApproved && c.BApproved, c.BlockedBy != 0:
		want = 409
	case actor == c.A && askedB && !askedA, actor == c.B && askedA && !askedB:
		want = 200
	default:
		want = 403
	}
	got := r.clients[actor].Do("POST", fmt.Sprintf("/contacts/%d/decline", c.ID), nil)
	return stepResult{kind: "decline", desc: fmt.Sprintf("%d declines link %d (%d-%d)", actor, c.ID, c.A, c.B), actor: actor, want: want, got: got}
}

func (r *ruleRun) create(s *chatState) stepResult {
	actor := r.anyUser()
	others := []int64{}
	isGroup := r.rng.IntN(2) == 0
	n := 1
	if isGroup {
		n = 1 + r.rng.IntN(3)
	}
	for len(others) < n {
		u := r.anyUser()
		if r.rng.IntN(3) > 0 {
			u = r.plausibleUser(s, append(slices.Clone(others), actor))
		}
		if u != actor && !slices.Contains(others, u) {
			others = append(others, u)
		}
	}
	members := append(slices.Clone(others), actor)
	slices.Sort(members)
	want := 403
	if s.ruleHoldsFor(members, isGroup) {
		want = 201
	}
	if !isGroup {
		for _, c := range s.convIDs {
			if !s.isGroup[c] && s.isMember(c, members[0]) && s.isMember(c, members[1]) {
				want = 200
				break
			}
		}
	}
	body := map[string]any{"member_ids": others, "is_group": isGroup}
	if isGroup {
		r.seq++
		body["title"] = fmt.Sprintf("group %d", r.seq)
	}
	got := r.clients[actor].Do("POST", "/conversations", body)
	return stepResult{kind: "create", desc: fmt.Sprintf("%d creates (group %v) with %v", actor, isGroup, others), actor: actor, want: want, got: got}
}

func (r *ruleRun) add(s *chatState, conv int64) stepResult {
	actor := r.anyUser()
	if owner, ok := s.owner[conv]; ok && r.rng.IntN(10) < 8 {
		actor = owner
	}
	user := r.plausibleUser(s, s.members[conv])
	want := 404
	switch {
	case !s.isMember(conv, actor) && !s.parentOfMember(conv, actor):
	case !s.isMember(conv, actor):
		want = 403
	case s.owner[conv] != actor:
		want = 403
	case s.isMember(conv, user):
		want = 409
	case s.ruleHoldsFor(append(slices.Clone(s.members[conv]), user), true):
		want = 200
	default:
		want = 403
	}
	got := r.clients[actor].Do("POST", fmt.Sprintf("/conversations/%d/members", conv), map[string]int64{"user_id": user})
	return stepResult{kind: "add", desc: fmt.Sprintf("%d adds %d to %d (members %v)", actor, user, conv, s.members[conv]), actor: actor, conv: conv, want: want, got: got}
}

func (r *ruleRun) remove(s *chatState, conv int64) stepResult {
	actor := r.anyUser()
	if len(s.members[conv]) > 0 && r.rng.IntN(10) < 6 {
		actor = r.pick(s.members[conv])
	}
	user := actor
	if len(s.members[conv]) > 0 && r.rng.IntN(2) == 0 {
		user = r.pick(s.members[conv])
	}
	member := s.isMember(conv, actor)
	allowed := s.owner[conv] == actor || (member && user == actor) || (s.role[user] == "CHILD" && s.guards(user, actor))
	want := 404
	switch {
	case !member && !s.parentOfMember(conv, actor):
	case !allowed:
		want = 403
	case !s.isMember(conv, user):
		want = 404
	default:
		want = 204
	}
	got := r.clients[actor].Do("DELETE", fmt.Sprintf("/conversations/%d/members/%d", conv, user), nil)
	return stepResult{kind: "remove", desc: fmt.Sprintf("%d removes %d from %d (members %v)", actor, user, conv, s.members[conv]), actor: actor, conv: conv, want: want, got: got}
}

// guardianStep adds a guardian (an adult accepts an invitation a guardian
// of the child made) or removes one (the primary removes another, a
// guardian leaves, or someone tries what they may not), predicting the
// answer; removing re-checks and may freeze, adding may thaw.
func (r *ruleRun) guardianStep(s *chatState) stepResult {
	k := r.pick(r.children)
	gs := s.allGuardians(k)
	if r.rng.IntN(2) == 0 {
		adult := r.pick(r.parents)
		code := r.clients[r.pick(gs)].Invite(k)
		want := 200
		if s.guards(k, adult) {
			want = 409
		}
		got := r.clients[adult].Do("POST", "/guardian-invites/accept", map[string]string{"code": code})
		return stepResult{kind: "guardian-add", desc: fmt.Sprintf("%d becomes a guardian of %d", adult, k), actor: adult, want: want, got: got}
	}
	actor, target := r.pick(gs), r.pick(gs)
	if r.rng.IntN(5) == 0 {
		actor = r.pick(r.parents)
	}
	primary := s.parent[k]
	want := 204
	switch {
	case !s.guards(k, actor):
		want = 404
	case target == primary && actor == primary:
		want = 409
	case target == primary, target != actor && actor != primary:
		want = 403
	}
	got := r.clients[actor].Do("DELETE", fmt.Sprintf("/children/%d/guardians/%d", k, target), nil)
	return stepResult{kind: "guardian-remove", desc: fmt.Sprintf("%d removes guardian %d of %d", actor, target, k), actor: actor, want: want, got: got}
}

// trustedStep proposes a trusted grown-up of a child (a guardian, with a
// code the adult made), approves one (a guardian) or revokes one (a
// guardian or the adult), or has someone try what they may not,
// predicting the answer and, for an approval, whether the link is active
// after it: once every guardian the child has now approved.
func (r *ruleRun) trustedStep(s *chatState) stepResult {
	k := r.pick(r.children)
	if withLinks := slices.Sorted(maps.Keys(s.trusted)); len(withLinks) > 0 && r.rng.IntN(2) == 0 {
		k = r.pick(withLinks)
	}
	actor := r.pick(s.allGuardians(k))
	if r.rng.IntN(5) == 0 {
		actor = r.pick(r.parents)
	}
	// Mostly an adult who may be proposed, or one who was.
	adult := r.pick(r.parents)
	if others := slices.DeleteFunc(slices.Clone(r.parents), func(p int64) bool { return s.guards(k, p) }); len(others) > 0 && r.rng.IntN(4) > 0 {
		adult = r.pick(others)
	}
	proposed := slices.Sorted(maps.Keys(s.trusted[k]))
	if len(proposed) > 0 && r.rng.IntN(3) > 0 {
		adult = r.pick(proposed)
		if yet := slices.DeleteFunc(s.allGuardians(k), func(g int64) bool {
			return slices.Contains(s.approvals[[2]int64{k, adult}], g)
		}); len(yet) > 0 && r.rng.IntN(4) > 0 {
			actor = r.pick(yet)
		}
	}
	_, isProposed := s.trusted[k][adult]
	switch r.rng.IntN(3) {
	case 0:
		code := trustedCode(r.clients[adult])
		want := 201
		switch {
		case !s.guards(k, actor):
			want = 404
		case s.guards(k, adult), isProposed:
			want = 409
		}
		got := r.clients[actor].Do("POST", fmt.Sprintf("/children/%d/trusted-adults", k), map[string]string{"code": code})
		return stepResult{kind: "trusted-propose", desc: fmt.Sprintf("%d proposes %d for %d", actor, adult, k), actor: actor, want: want, got: got,
			verify: r.activation(s, k, adult, actor, want == 201)}
	case 1:
		want := 200
		if !s.guards(k, actor) || !isProposed {
			want = 404
		}
		got := r.clients[actor].Do("POST", fmt.Sprintf("/children/%d/trusted-adults/%d/approve", k, adult), nil)
		return stepResult{kind: "trusted-approve", desc: fmt.Sprintf("%d approves %d for %d", actor, adult, k), actor: actor, want: want, got: got,
			verify: r.activation(s, k, adult, actor, want == 200)}
	}
	return r.trustedRevoke(s, k, actor, adult, isProposed)
}

// trustedRevoke has a guardian, the adult or someone else revoke adult's
// link with k.
func (r *ruleRun) trustedRevoke(s *chatState, k, actor, adult int64, isProposed bool) stepResult {
	if r.rng.IntN(3) == 0 {
		actor = adult
	}
	want := 204
	if (!s.guards(k, actor) && actor != adult) || !isProposed {
		want = 404
	}
	got := r.clients[actor].Do("DELETE", fmt.Sprintf("/children/%d/trusted-adults/%d", k, adult), nil)
	return stepResult{kind: "trusted-revoke", desc: fmt.Sprintf("%d revokes %d for %d", actor, adult, k), actor: actor, want: want, got: got,
		verify: func(after *chatState) error {
			if _, still := after.trusted[k][adult]; want == 204 && still {
				return fmt.Errorf("trusted link of %d with %d still there after revocation", adult, k)
			}
			return nil
		}}
}

// activation checks, after an accepted proposal or approval by approver,
// that the link is active exactly when it was already or every guardian
// of k has approved now.
func (r *ruleRun) activation(s *chatState, k, adult, approver int64, accepted bool) func(*chatState) error {
	if !accepted {
		return nil
	}
	approved := append(slices.Clone(s.approvals[[2]int64{k, adult}]), approver)
	want := s.trusted[k][adult] || !slices.ContainsFunc(s.allGuardians(k), func(g int64) bool { return !slices.Contains(approved, g) })
	return func(after *chatState) error {
		if got := after.trusted[k][adult]; got != want {
			return fmt.Errorf("trusted link of %d with %d active=%v, want %v (guardians %v, approvals %v)",
				adult, k, got, want, s.allGuardians(k), approved)
		}
		if want && !s.trusted[k][adult] {
			r.outcomes["trusted-activate"]++
		}
		return nil
	}
}

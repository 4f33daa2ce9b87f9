package api_test

import (
	"fmt"
	"testing"

	"pixelpals/internal/apitest"
)

// The guardians' routes (issue 21) in the matrix of the eight roles; the
// guardian roles (a second guardian, a removed one, another family's) in
// TestGuardianRoles; and every parent route on family A's child run again
// as a second guardian (allowed) and a removed guardian (denied) in
// TestParentRoutesAsGuardians.

// secondGuardian makes a new approved parent a guardian of family A's child.
func secondGuardian(w *world) *apitest.Client {
	return w.env.Guardian(w.setup, w.a.Parent, w.a.Child().UserID)
}

var _ = addMatrix(
	matrixCase{method: "POST", route: "/children/{id}/guardian-invites", path: pathf("/children/%d/guardian-invites", ownChildID),
		want: ownParentOnly(201)},
	matrixCase{method: "POST", route: "/guardian-invites/accept", path: path("/guardian-invites/accept"),
		body: func(w *world) any { return map[string]string{"code": w.a.Parent.Invite(ownChildID(w))} },
		// A parent awaiting approval may accept (and stays unusable until
		// approved); the child's own primary is a guardian already.
		want: statuses(403, map[role]int{anonymous: 401, suspendedParent: 401, parent: 409, pendingParent: 200, otherParent: 200})},
	matrixCase{method: "GET", route: "/me/guardians", path: path("/me/guardians"),
		want: statuses(403, map[role]int{anonymous: 401, suspendedParent: 401, ownChild: 200, otherChild: 200})},
	matrixCase{method: "GET", route: "/children/{id}/guardians", path: pathf("/children/%d/guardians", ownChildID),
		want: ownParentOnly(200)},
	matrixCase{method: "DELETE", route: "/children/{id}/guardians/{user_id}",
		path: func(w *world) string {
			return fmt.Sprintf("/children/%d/guardians/%d", ownChildID(w), secondGuardian(w).UserID)
		},
		want: ownParentOnly(204)},
	matrixCase{method: "POST", route: "/children/{id}/guardians/{user_id}/primary",
		path: func(w *world) string {
			return fmt.Sprintf("/children/%d/guardians/%d/primary", ownChildID(w), secondGuardian(w).UserID)
		},
		want: ownParentOnly(200)},
)

// gRole is a column of the guardian matrix.
type gRole string

const (
	gPrimary gRole = "primary"        // family A's primary guardian
	gSecond  gRole = "second"         // a second guardian of family A's child
	gRemoved gRole = "removed"        // a guardian of family A's child, removed by the primary
	gOther   gRole = "other_guardian" // a second guardian of family B's child
	gChild   gRole = "child"          // family A's child
	gAdmin   gRole = "admin"
	gPending gRole = "pending_parent" // signed up, not approved
)

var gRoles = []gRole{gPrimary, gSecond, gRemoved, gOther, gChild, gAdmin, gPending}

// gWorld is family A with a second, a third and a removed guardian, and
// family B with a second guardian.
type gWorld struct {
	*world
	second, third, removed, other *apitest.Client
	child                         int64
}

func newGWorld(env *apitest.Env, adm *apitest.Client) *gWorld {
	w := &gWorld{world: newWorld(env, adm)}
	w.child = w.a.Child().UserID
	w.second = env.Guardian(adm, w.a.Parent, w.child)
	w.third = env.Guardian(adm, w.second, w.child)
	w.removed = env.Guardian(adm, w.a.Parent, w.child)
	w.a.Parent.Must(204, "DELETE", fmt.Sprintf("/children/%d/guardians/%d", w.child, w.removed.UserID), nil, nil)
	w.other = env.Guardian(adm, w.b.Parent, w.b.Child().UserID)
	return w
}

func (w *gWorld) as(r gRole) *apitest.Client {
	switch r {
	case gPrimary:
		return w.a.Parent
	case gSecond:
		return w.second
	case gRemoved:
		return w.removed
	case gOther:
		return w.other
	case gChild:
		return w.a.Child()
	case gAdmin:
		return w.admin
	}
	return w.pending
}

// gStatuses: the denied roles of a guardian route on family A's child
// (another family's guardian and a removed one learn nothing: 404; the
// roles the route table refuses: 403), with the given guardian answers.
func gStatuses(primary, second int) map[gRole]int {
	return map[gRole]int{gPrimary: primary, gSecond: second, gRemoved: 404, gOther: 404, gChild: 403, gAdmin: 403, gPending: 403}
}

// roleCase is one route of a family-circle matrix (worlds W, roles R):
// its path and body in a world as the calling client, and the status
// each role must get.
type roleCase[W any, R comparable] struct {
	name   string
	method string
	path   func(w W, as *apitest.Client) string
	body   func(w W) any
	want   map[R]int
}

// runRoleCases calls each case as each of roles, each call in a fresh
// world (newWorld) as that role's client (as), and asserts the exact status.
func runRoleCases[W any, R comparable](t *testing.T, roles []R, newWorld func(*apitest.Env, *apitest.Client) W,
	as func(W, R) *apitest.Client, cases []roleCase[W, R]) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			env := apitest.New(t)
			adm := env.Admin()
			for _, r := range roles {
				w := newWorld(env, adm)
				client := as(w, r)
				var body any
				if c.body != nil {
					body = c.body(w)
				}
				p := c.path(w, client)
				if got := client.Do(c.method, p, body); got.Status != c.want[r] {
					t.Errorf("%s %s as %v: status %d, want %d: %s", c.method, p, r, got.Status, c.want[r], got.Body)
				}
			}
		})
	}
}

// TestGuardianRoles calls each guardian route as each guardian role, each
// in a fresh world, and asserts the exact status.
func TestGuardianRoles(t *testing.T) {
	t.Parallel()
	cases := []roleCase[*gWorld, gRole]{
		{"invite", "POST", func(w *gWorld, _ *apitest.Client) string {
			return fmt.Sprintf("/children/%d/guardian-invites", w.child)
		}, nil, gStatuses(201, 201)},
		{"list", "GET", func(w *gWorld, _ *apitest.Client) string {
			return fmt.Sprintf("/children/%d/guardians", w.child)
		}, nil, gStatuses(200, 200)},
		{"remove another", "DELETE", func(w *gWorld, _ *apitest.Client) string {
			return fmt.Sprintf("/children/%d/guardians/%d", w.child, w.third.UserID)
		}, nil, gStatuses(204, 403)},
		{"remove self", "DELETE", func(w *gWorld, as *apitest.Client) string {
			return fmt.Sprintf("/children/%d/guardians/%d", w.child, as.UserID)
		}, nil, gStatuses(409, 204)},
		{"hand over primary", "POST", func(w *gWorld, _ *apitest.Client) string {
			return fmt.Sprintf("/children/%d/guardians/%d/primary", w.child, w.third.UserID)
		}, nil, gStatuses(200, 403)},
		{"delete the child", "DELETE", func(w *gWorld, _ *apitest.Client) string {
			return fmt.Sprintf("/children/%d", w.child)
		}, nil, gStatuses(204, 403)},
		{"accept", "POST", func(*gWorld, *apitest.Client) string { return "/guardian-invites/accept" },
			func(w *gWorld) any { return map[string]string{"code": w.a.Parent.Invite(w.child)} },
			// A removed guardian may be invited back; a parent awaiting
			// approval may accept.
			map[gRole]int{gPrimary: 409, gSecond: 409, gRemoved: 200, gOther: 200, gChild: 403, gAdmin: 403, gPending: 200}},
	}
	runRoleCases(t, gRoles, newGWorld, (*gWorld).as, cases)
}

// secondGets are the parent routes where a second guardian gets another
// answer than the primary.
var secondGets = map[string]int{
	// Only the primary deletes the child, hands primary over and removes
	// another guardian.
	"DELETE /children/{id}":                           403,
	"POST /children/{id}/guardians/{user_id}/primary": 403,
	"DELETE /children/{id}/guardians/{user_id}":       403,
	// The member removed is a sibling the primary created after the
	// second guardian joined: not a child they guard.
	"DELETE /conversations/{id}/members/{user_id}": 403,
}

// TestParentRoutesAsGuardians runs every matrix row that family A's
// parent may use and family B's parent gets 404 for (a route on A's child
// or its things) as a second guardian of A's child, who must get what the
// primary gets, and as a removed guardian, who must get B's 404.
func TestParentRoutesAsGuardians(t *testing.T) {
	t.Parallel()
	for _, c := range matrixCases {
		ok := c.want[parent]
		if ok < 200 || ok > 299 || c.want[otherParent] != 404 || c.upload != nil {
			continue
		}
		t.Run(c.method+" "+c.route, func(t *testing.T) {
			t.Parallel()
			env := apitest.New(t)
			adm := env.Admin()
			wantSecond := ok
			if s, ok := secondGets[c.method+" "+c.route]; ok {
				wantSecond = s
			}
			for _, removed := range []bool{false, true} {
				w := newWorld(env, adm)
				g := secondGuardian(w)
				want := wantSecond
				if removed {
					w.a.Parent.Must(204, "DELETE", fmt.Sprintf("/children/%d/guardians/%d", ownChildID(w), g.UserID), nil, nil)
					want = 404
				}
				var body any
				if c.body != nil {
					body = c.body(w)
				}
				p := c.path(w)
				if got := g.Do(c.method, p, body); got.Status != want {
					t.Errorf("%s %s as a guardian (removed: %v): status %d, want %d: %s", c.method, p, removed, got.Status, want, got.Body)
				}
			}
		})
	}
}

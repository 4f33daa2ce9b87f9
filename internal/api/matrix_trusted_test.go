package api_test

import (
	"fmt"
	"testing"

	"pixelpals/internal/apitest"
)

// The trusted grown-ups' routes (issue 21.3) in the matrix of the eight
// roles, and in TestTrustedRoles as the family circle's roles: a guardian,
// a second guardian, an active trusted grown-up, a pending one, another
// family's guardian, the child and an admin.

// newAdult is a fresh approved parent of another family, with no child.
func newAdult(w *world) *apitest.Client { return w.env.Family(w.setup, 0).Parent }

var _ = addMatrix(
	matrixCase{method: "POST", route: "/me/trusted-invites", path: path("/me/trusted-invites"),
		want: statuses(403, map[role]int{anonymous: 401, suspendedParent: 401, parent: 201, otherParent: 201})},
	matrixCase{method: "GET", route: "/me/trusted-children", path: path("/me/trusted-children"),
		want: statuses(403, map[role]int{anonymous: 401, suspendedParent: 401, parent: 200, otherParent: 200})},
	matrixCase{method: "GET", route: "/me/trusted-adults", path: path("/me/trusted-adults"),
		want: statuses(403, map[role]int{anonymous: 401, suspendedParent: 401, ownChild: 200, otherChild: 200})},
	matrixCase{method: "POST", route: "/children/{id}/trusted-adults", path: pathf("/children/%d/trusted-adults", ownChildID),
		body: func(w *world) any { return map[string]string{"code": trustedCode(newAdult(w))} },
		want: ownParentOnly(201)},
	matrixCase{method: "GET", route: "/children/{id}/trusted-adults", path: pathf("/children/%d/trusted-adults", ownChildID),
		want: ownParentOnly(200)},
	matrixCase{method: "POST", route: "/children/{id}/trusted-adults/{adult_id}/approve",
		path: func(w *world) string {
			adult := newAdult(w)
			proposeTrusted(secondGuardian(w), adult, ownChildID(w))
			return fmt.Sprintf("/children/%d/trusted-adults/%d/approve", ownChildID(w), adult.UserID)
		},
		want: ownParentOnly(200)},
	matrixCase{method: "DELETE", route: "/children/{id}/trusted-adults/{adult_id}",
		path: func(w *world) string {
			adult := newAdult(w)
			proposeTrusted(w.a.Parent, adult, ownChildID(w))
			return fmt.Sprintf("/children/%d/trusted-adults/%d", ownChildID(w), adult.UserID)
		},
		want: ownParentOnly(204)},
)

// tRole is a column of the trusted grown-ups' matrix.
type tRole string

const (
	tPrimary tRole = "guardian"        // family A's primary guardian
	tSecond  tRole = "second_guardian" // a second guardian of family A's child
	tActive  tRole = "trusted_adult"   // an active trusted grown-up of A's child
	tPending tRole = "pending_trusted" // proposed, not yet approved by the second guardian
	tOther   tRole = "other_guardian"  // family B's parent
	tChild   tRole = "child"           // family A's child
	tAdmin   tRole = "admin"
)

var tRoles = []tRole{tPrimary, tSecond, tActive, tPending, tOther, tChild, tAdmin}

// tWorld is family A (child, two guardians) with an active and a pending
// trusted grown-up, and family B.
type tWorld struct {
	*world
	second, active, pending *apitest.Client
	child                   int64
}

func newTWorld(env *apitest.Env, adm *apitest.Client) *tWorld {
	w := &tWorld{world: newWorld(env, adm)}
	w.child = w.a.Child().UserID
	w.second = secondGuardian(w.world)
	w.active, w.pending = newAdult(w.world), newAdult(w.world)
	proposeTrusted(w.a.Parent, w.active, w.child)
	w.second.Must(200, "POST", fmt.Sprintf("/children/%d/trusted-adults/%d/approve", w.child, w.active.UserID), nil, nil)
	proposeTrusted(w.a.Parent, w.pending, w.child)
	return w
}

func (w *tWorld) as(r tRole) *apitest.Client {
	switch r {
	case tPrimary:
		return w.a.Parent
	case tSecond:
		return w.second
	case tActive:
		return w.active
	case tPending:
		return w.pending
	case tOther:
		return w.b.Parent
	case tChild:
		return w.a.Child()
	}
	return w.admin
}

// tGuardiansOnly: the guardians get ok; the adults and another family
// learn nothing (404); the route table refuses a child and an admin.
func tGuardiansOnly(primary, second int) map[tRole]int {
	return map[tRole]int{tPrimary: primary, tSecond: second, tActive: 404, tPending: 404, tOther: 404, tChild: 403, tAdmin: 403}
}

// TestTrustedRoles calls each trusted grown-up route as each role, each
// in a fresh world, and asserts the exact status.
func TestTrustedRoles(t *testing.T) {
	t.Parallel()
	parents := map[tRole]int{tPrimary: 200, tSecond: 200, tActive: 200, tPending: 200, tOther: 200, tChild: 403, tAdmin: 403}
	cases := []roleCase[*tWorld, tRole]{
		{"make a code", "POST", func(*tWorld, *apitest.Client) string { return "/me/trusted-invites" }, nil,
			map[tRole]int{tPrimary: 201, tSecond: 201, tActive: 201, tPending: 201, tOther: 201, tChild: 403, tAdmin: 403}},
		{"children who trust me", "GET", func(*tWorld, *apitest.Client) string { return "/me/trusted-children" }, nil, parents},
		{"my trusted grown-ups (a child's)", "GET", func(*tWorld, *apitest.Client) string { return "/me/trusted-adults" }, nil,
			map[tRole]int{tPrimary: 403, tSecond: 403, tActive: 403, tPending: 403, tOther: 403, tChild: 200, tAdmin: 403}},
		{"propose", "POST", func(w *tWorld, _ *apitest.Client) string {
			return fmt.Sprintf("/children/%d/trusted-adults", w.child)
		}, func(w *tWorld) any { return map[string]string{"code": trustedCode(newAdult(w.world))} }, tGuardiansOnly(201, 201)},
		{"list", "GET", func(w *tWorld, _ *apitest.Client) string {
			return fmt.Sprintf("/children/%d/trusted-adults", w.child)
		}, nil, tGuardiansOnly(200, 200)},
		{"approve the pending one", "POST", func(w *tWorld, _ *apitest.Client) string {
			return fmt.Sprintf("/children/%d/trusted-adults/%d/approve", w.child, w.pending.UserID)
		}, nil, tGuardiansOnly(200, 200)},
		{"revoke the active one", "DELETE", func(w *tWorld, _ *apitest.Client) string {
			return fmt.Sprintf("/children/%d/trusted-adults/%d", w.child, w.active.UserID)
		}, nil, map[tRole]int{tPrimary: 204, tSecond: 204, tActive: 204, tPending: 404, tOther: 404, tChild: 403, tAdmin: 403}},
		{"revoke oneself", "DELETE", func(w *tWorld, as *apitest.Client) string {
			return fmt.Sprintf("/children/%d/trusted-adults/%d", w.child, as.UserID)
		}, nil, map[tRole]int{tPrimary: 404, tSecond: 404, tActive: 204, tPending: 204, tOther: 404, tChild: 403, tAdmin: 403}},
		{"direct chat with the child", "POST", func(*tWorld, *apitest.Client) string { return "/conversations" },
			func(w *tWorld) any { return map[string]any{"member_ids": []int64{w.child}, "is_group": false} },
			// A child cannot chat with themself (400); an admin never chats.
			map[tRole]int{tPrimary: 201, tSecond: 201, tActive: 201, tPending: 403, tOther: 403, tChild: 400, tAdmin: 403}},
		{"group with the child", "POST", func(*tWorld, *apitest.Client) string { return "/conversations" },
			func(w *tWorld) any {
				return map[string]any{"member_ids": []int64{w.child}, "is_group": true, "title": "g"}
			},
			map[tRole]int{tPrimary: 201, tSecond: 201, tActive: 403, tPending: 403, tOther: 403, tChild: 400, tAdmin: 403}},
	}
	runRoleCases(t, tRoles, newTWorld, (*tWorld).as, cases)
}

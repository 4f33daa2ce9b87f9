package api_test

import (
	"fmt"
	"slices"
	"testing"

	"pixelpals/internal/apitest"
)

// role is one column of the authorization matrix.
type role string

const (
	anonymous       role = "anonymous"
	admin           role = "admin"
	parent          role = "parent"           // approved parent of family A, which owns the targets
	pendingParent   role = "pending_parent"   // signed up, not approved
	suspendedParent role = "suspended_parent" // approved, then suspended (their session is gone)
	ownChild        role = "own_child"        // family A's child
	otherParent     role = "other_parent"     // family B's approved parent
	otherChild      role = "other_child"      // family B's child
)

var roles = []role{anonymous, admin, parent, pendingParent, suspendedParent, ownChild, otherParent, otherChild}

// world is the fixture one matrix cell runs in: two families and the odd
// accounts, all fresh, so that a cell's action cannot leak into another's.
type world struct {
	env       *apitest.Env
	setup     *apitest.Client // the admin that builds the world
	admin     *apitest.Client // the admin whose calls are tested
	a, b      *apitest.Family
	pending   *apitest.Client
	suspended *apitest.Client
}

func newWorld(env *apitest.Env, admin *apitest.Client) *world {
	w := &world{env: env, setup: admin, admin: env.Admin(), a: env.Family(admin, 1), b: env.Family(admin, 1), pending: env.PendingParent()}
	s := env.Family(admin, 0)
	admin.Must(200, "POST", fmt.Sprintf("/admin/users/%d/suspend", s.Parent.UserID), nil, nil)
	w.suspended = s.Parent
	return w
}

func (w *world) client(r role) *apitest.Client {
	switch r {
	case admin:
		return w.admin
	case parent:
		return w.a.Parent
	case pendingParent:
		return w.pending
	case suspendedParent:
		return w.suspended
	case ownChild:
		return w.a.Child()
	case otherParent:
		return w.b.Parent
	case otherChild:
		return w.b.Child()
	}
	return w.env.Anonymous()
}

// matrixCase is one endpoint with the status every role must get. path and
// body build the request in a fresh world; targets belong to family A.
type matrixCase struct {
	method string
	route  string // the route pattern, for the coverage check
	path   func(w *world) string
	body   func(w *world) any
	// upload, when set, sends its bytes as the multipart field "file"
	// instead of body.
	upload func(w *world) []byte
	want   map[role]int
}

// matrixCases is filled by the matrix_*_test.go files, one per feature.
var matrixCases []matrixCase

func addMatrix(cases ...matrixCase) bool {
	matrixCases = append(matrixCases, cases...)
	return true
}

// statuses builds a want map: every role gets def unless listed.
func statuses(def int, except map[role]int) map[role]int {
	m := map[role]int{}
	for _, r := range roles {
		m[r] = def
		if s, ok := except[r]; ok {
			m[r] = s
		}
	}
	return m
}

// Common shapes: who may use a route at all, before any ownership check.
func anyActive(ok int) map[role]int {
	return statuses(ok, map[role]int{anonymous: 401, suspendedParent: 401, pendingParent: 403})
}

func adminsOnly(ok int) map[role]int {
	return statuses(403, map[role]int{anonymous: 401, suspendedParent: 401, admin: ok})
}

// ownParentOnly is a route on family A's child that only their parent may
// use: another parent learns nothing (404), other roles are refused (403).
func ownParentOnly(ok int) map[role]int {
	return statuses(403, map[role]int{anonymous: 401, suspendedParent: 401, parent: ok, otherParent: 404})
}

func path(s string) func(*world) string { return func(*world) string { return s } }

func pathf(format string, id func(w *world) int64) func(*world) string {
	return func(w *world) string { return fmt.Sprintf(format, id(w)) }
}

func ownChildID(w *world) int64 { return w.a.Child().UserID }

func fixedBody(b any) func(*world) any { return func(*world) any { return b } }

// TestAuthorizationMatrix calls every endpoint as every role, each in a
// fresh world, and asserts the exact status.
func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	for _, c := range matrixCases {
		t.Run(c.method+" "+c.route, func(t *testing.T) {
			t.Parallel() // each row has a service and database of its own
			env := apitest.New(t)
			adm := env.Admin()
			for _, r := range roles {
				want, ok := c.want[r]
				if !ok {
					t.Fatalf("no expected status for role %s", r)
				}
				w := newWorld(env, adm)
				var body any
				if c.body != nil {
					body = c.body(w)
				}
				p := c.path(w)
				var got *apitest.Response
				if c.upload != nil {
					got = w.client(r).Upload("photo.jpg", "image/jpeg", c.upload(w))
				} else {
					got = w.client(r).Do(c.method, p, body)
				}
				if got.Status != want {
					t.Errorf("%s %s as %s: status %d, want %d: %s", c.method, p, r, got.Status, want, got.Body)
				}
			}
		})
	}
}

// TestMatrixCoversEveryRoute fails when a route has no matrix row.
func TestMatrixCoversEveryRoute(t *testing.T) {
	var covered []string
	for _, c := range matrixCases {
		covered = append(covered, c.method+" "+c.route)
	}
	for _, rt := range apiRoutes(t) {
		if !slices.Contains(covered, rt) {
			t.Errorf("route %s has no row in the authorization matrix", rt)
		}
	}
}

var _ = addMatrix(
	matrixCase{method: "POST", route: "/auth/signup", path: path("/auth/signup"),
		body: func(w *world) any {
			return map[string]string{"email": fmt.Sprintf("new%d@example.com", w.a.Parent.UserID), "password": "long-enough", "display_name": "New"}
		},
		want: statuses(201, nil)},
	matrixCase{method: "POST", route: "/auth/login", path: path("/auth/login"),
		body: func(w *world) any {
			return map[string]string{"login": w.a.Parent.Login, "password": w.a.Parent.Password}
		},
		want: statuses(200, nil)},
	matrixCase{method: "POST", route: "/auth/logout", path: path("/auth/logout"),
		want: statuses(204, map[role]int{anonymous: 401, suspendedParent: 401})},
	matrixCase{method: "GET", route: "/me", path: path("/me"),
		want: statuses(200, map[role]int{anonymous: 401, suspendedParent: 401})},
	matrixCase{method: "PATCH", route: "/me/profile", path: path("/me/profile"),
		body: fixedBody(map[string]string{"bio": "hello"}), want: anyActive(200)},
	matrixCase{method: "GET", route: "/profiles/{user_id}", path: pathf("/profiles/%d", ownChildID),
		want: statuses(200, map[role]int{anonymous: 401, suspendedParent: 401, pendingParent: 403, otherParent: 404, otherChild: 404})},

	matrixCase{method: "GET", route: "/admin/users", path: path("/admin/users?role=PARENT"), want: adminsOnly(200)},
	matrixCase{method: "POST", route: "/admin/users/{id}/approve",
		path: func(w *world) string { return fmt.Sprintf("/admin/users/%d/approve", w.env.PendingParent().UserID) }, want: adminsOnly(200)},
	matrixCase{method: "POST", route: "/admin/users/{id}/reject",
		path: func(w *world) string { return fmt.Sprintf("/admin/users/%d/reject", w.env.PendingParent().UserID) }, want: adminsOnly(204)},
	matrixCase{method: "POST", route: "/admin/users/{id}/suspend",
		path: pathf("/admin/users/%d/suspend", func(w *world) int64 { return w.b.Parent.UserID }), want: adminsOnly(200)},
	matrixCase{method: "POST", route: "/admin/users/{id}/reinstate",
		path: pathf("/admin/users/%d/reinstate", func(w *world) int64 { return w.suspended.UserID }), want: adminsOnly(200)},
	matrixCase{method: "DELETE", route: "/admin/users/{id}",
		path: pathf("/admin/users/%d", func(w *world) int64 { return w.b.Child().UserID }), want: adminsOnly(204)},
	matrixCase{method: "GET", route: "/admin/audit-logs", path: path("/admin/audit-logs?action=user.approve"), want: adminsOnly(200)},

	matrixCase{method: "POST", route: "/children", path: path("/children"),
		body: func(w *world) any {
			return map[string]string{"login": fmt.Sprintf("newkid%d", w.a.Parent.UserID), "password": "kidpass", "display_name": "New Kid"}
		},
		want: statuses(403, map[role]int{anonymous: 401, suspendedParent: 401, parent: 201, otherParent: 201})},
	matrixCase{method: "GET", route: "/children", path: path("/children"),
		want: statuses(403, map[role]int{anonymous: 401, suspendedParent: 401, parent: 200, otherParent: 200})},
	matrixCase{method: "PATCH", route: "/children/{id}", path: pathf("/children/%d", ownChildID),
		body: fixedBody(map[string]string{"display_name": "Renamed"}), want: ownParentOnly(200)},
	matrixCase{method: "DELETE", route: "/children/{id}", path: pathf("/children/%d", ownChildID), want: ownParentOnly(204)},
	matrixCase{method: "POST", route: "/children/{id}/password", path: pathf("/children/%d/password", ownChildID),
		body: fixedBody(map[string]string{"password": "newkidpass"}), want: ownParentOnly(204)},
	matrixCase{method: "POST", route: "/children/{id}/logout-everywhere", path: pathf("/children/%d/logout-everywhere", ownChildID), want: ownParentOnly(204)},
	matrixCase{method: "GET", route: "/children/{id}/export", path: pathf("/children/%d/export", ownChildID), want: ownParentOnly(200)},
)

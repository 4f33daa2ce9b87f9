package api_test

import (
	"fmt"
	"testing"

	"pixelpals/internal/apitest"
	"pixelpals/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestSignupApproveChildLifecycle(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	parent := env.PendingParent()

	var me struct {
		User struct {
			ID              int64
			Role            string
			ApprovedByAdmin bool `json:"approved_by_admin"`
		}
		Profile struct {
			DisplayName string `json:"display_name"`
		}
	}
	parent.Must(200, "GET", "/me", nil, &me)
	if me.User.Role != "PARENT" || me.User.ApprovedByAdmin {
		t.Fatalf("new parent: %+v", me)
	}
	if r := parent.Do("POST", "/children", map[string]string{"login": "kid1", "password": "secret1", "display_name": "K"}); r.Status != 403 || r.ErrorCode() != "awaiting_approval" {
		t.Fatalf("pending parent creating a child: %d %s", r.Status, r.Body)
	}
	admin.Must(200, "POST", fmt.Sprintf("/admin/users/%d/approve", parent.UserID), nil, nil)
	parent.Must(201, "POST", "/children", map[string]string{"login": "Kid.One", "password": "secret1", "display_name": "Kiddo"}, nil)

	kid := env.Anonymous()
	var login struct{ Token string }
	kid.Must(200, "POST", "/auth/login", map[string]string{"login": "kid.one", "password": "secret1"}, &login)
	kid.Token = login.Token
	kid.Must(200, "GET", "/me", nil, &me)
	if me.User.Role != "CHILD" || me.Profile.DisplayName != "Kiddo" {
		t.Fatalf("child me: %+v", me)
	}

	admin.Must(200, "POST", fmt.Sprintf("/admin/users/%d/suspend", parent.UserID), nil, nil)
	if r := kid.Do("GET", "/me", nil); r.Status != 401 {
		t.Fatalf("child of suspended parent: %d", r.Status)
	}
	if r := env.Anonymous().Do("POST", "/auth/login", map[string]string{"login": "kid.one", "password": "secret1"}); r.Status != 403 {
		t.Fatalf("child login while parent suspended: %d %s", r.Status, r.Body)
	}
	admin.Must(200, "POST", fmt.Sprintf("/admin/users/%d/reinstate", parent.UserID), nil, nil)
	env.Anonymous().Must(200, "POST", "/auth/login", map[string]string{"login": "kid.one", "password": "secret1"}, nil)

	var logs struct {
		Items []struct{ Action string }
	}
	admin.Must(200, "GET", "/admin/audit-logs?limit=10", nil, &logs)
	if len(logs.Items) != 5 {
		t.Fatalf("audit: %+v", logs)
	}
}

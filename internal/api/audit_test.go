package api_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"pixelpals/internal/apitest"
)

// TestAuditLogIsAppendOnly: the database itself refuses to change or
// remove audit rows, whoever asks.
func TestAuditLogIsAppendOnly(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	env.Family(env.Admin(), 1)
	ctx := context.Background()
	for _, sql := range []string{
		`UPDATE audit_logs SET action = 'tampered'`,
		`DELETE FROM audit_logs`,
		`TRUNCATE audit_logs`,
	} {
		_, err := env.DB.Pool.Exec(ctx, sql)
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want the append-only refusal", sql, err)
		}
	}
	var n int
	if err := env.DB.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_logs`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("audit rows vanished")
	}
}

// TestFailedAuditWriteUndoesTheAction: when the audit row cannot be
// written, the action it records does not happen either.
func TestFailedAuditWriteUndoesTheAction(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	fam := env.Family(admin, 1)
	ctx := context.Background()
	// Make every audit write of these actions fail.
	if _, err := env.DB.Pool.Exec(ctx, `ALTER TABLE audit_logs ADD CONSTRAINT test_refuse
		CHECK (action NOT IN ('child.create', 'child.delete', 'user.suspend')) NOT VALID`); err != nil {
		t.Fatal(err)
	}
	r := fam.Parent.Do("POST", "/children", map[string]string{"login": "ghostkid", "password": "kidpass", "display_name": "Ghost"})
	if r.Status != 500 {
		t.Fatalf("create child with a failing audit write: %d %s", r.Status, r.Body)
	}
	// Both fail as the create did: 500, the audit write refused.
	fam.Parent.Must(500, "DELETE", "/children/"+itoa(fam.Child().UserID), nil, nil)
	admin.Must(500, "POST", "/admin/users/"+itoa(fam.Parent.UserID)+"/suspend", nil, nil)

	var ghosts, kids int
	var suspended bool
	if err := env.DB.Pool.QueryRow(ctx, `SELECT count(*) FROM users WHERE email = 'ghostkid'`).Scan(&ghosts); err != nil {
		t.Fatal(err)
	}
	if err := env.DB.Pool.QueryRow(ctx, `SELECT count(*) FROM users WHERE id = $1 AND deleted_at IS NULL`, fam.Child().UserID).Scan(&kids); err != nil {
		t.Fatal(err)
	}
	if err := env.DB.Pool.QueryRow(ctx, `SELECT suspended_at IS NOT NULL FROM users WHERE id = $1`, fam.Parent.UserID).Scan(&suspended); err != nil {
		t.Fatal(err)
	}
	if ghosts != 0 || kids != 1 || suspended {
		t.Fatalf("actions took effect without their audit rows: ghost=%d child=%d suspended=%v", ghosts, kids, suspended)
	}
	fam.Child().Must(200, "GET", "/me", nil, nil)
}

// TestAuditRecordsActionsWithoutSecrets runs the audited account actions
// and checks each left one row with the client IP and no secret.
func TestAuditRecordsActionsWithoutSecrets(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	fam := env.Family(admin, 1)
	kid := fam.Child()
	fam.Parent.Must(200, "PATCH", "/children/"+itoa(kid.UserID), map[string]string{"display_name": "Renamed"}, nil)
	fam.Parent.Must(204, "POST", "/children/"+itoa(kid.UserID)+"/password", map[string]string{"password": "secret-new-pw"}, nil)
	fam.Parent.Must(204, "POST", "/children/"+itoa(kid.UserID)+"/logout-everywhere", nil, nil)
	fam.Parent.Must(204, "DELETE", "/children/"+itoa(kid.UserID), nil, nil)
	admin.Must(200, "POST", "/admin/users/"+itoa(fam.Parent.UserID)+"/suspend", nil, nil)
	admin.Must(200, "POST", "/admin/users/"+itoa(fam.Parent.UserID)+"/reinstate", nil, nil)
	pending := env.PendingParent()
	admin.Must(204, "POST", "/admin/users/"+itoa(pending.UserID)+"/reject", nil, nil)
	admin.Must(204, "DELETE", "/admin/users/"+itoa(fam.Parent.UserID), nil, nil)

	var page struct {
		Items []struct {
			ActorID    int64           `json:"actor_id"`
			Action     string          `json:"action"`
			EntityType string          `json:"entity_type"`
			EntityID   *int64          `json:"entity_id"`
			Before     json.RawMessage `json:"before_json"`
			After      json.RawMessage `json:"after_json"`
			IP         *string         `json:"ip"`
		}
		NextCursor *string `json:"next_cursor"`
	}
	admin.Must(200, "GET", "/admin/audit-logs?limit=200", nil, &page)
	got := map[string]int{}
	for _, it := range page.Items {
		got[it.Action]++
		if it.Action != "admin.create" && (it.IP == nil || *it.IP != "127.0.0.1") {
			t.Errorf("%s: ip %v", it.Action, it.IP)
		}
		for _, secret := range []string{"secret-new-pw", "kidpass", "parent-password", "$argon2id$", kid.Token, fam.Parent.Token} {
			if strings.Contains(string(it.Before)+string(it.After), secret) {
				t.Errorf("%s audit JSON holds a secret: %s %s", it.Action, it.Before, it.After)
			}
		}
	}
	for _, action := range []string{"child.create", "child.rename", "child.password_reset", "child.logout_everywhere",
		"child.delete", "user.approve", "user.suspend", "user.reinstate", "user.reject", "user.delete"} {
		if got[action] == 0 {
			t.Errorf("no audit row for %s (have %v)", action, got)
		}
	}
}

// TestAuditLogFiltersAndPaging pages through the audit log with filters and
// sees every row once.
func TestAuditLogFiltersAndPaging(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	for range 5 {
		env.Family(admin, 0)
	}
	type page struct {
		Items []struct {
			ID     int64  `json:"id"`
			Action string `json:"action"`
		}
		NextCursor *string `json:"next_cursor"`
	}
	seen := map[int64]bool{}
	cursor := ""
	for pages := 0; ; pages++ {
		var p page
		admin.Must(200, "GET", "/admin/audit-logs?action=user.approve&limit=2"+cursor, nil, &p)
		for _, it := range p.Items {
			if it.Action != "user.approve" || seen[it.ID] {
				t.Fatalf("row %+v: wrong action or seen twice", it)
			}
			seen[it.ID] = true
		}
		if p.NextCursor == nil {
			break
		}
		cursor = "&cursor=" + *p.NextCursor
	}
	if len(seen) != 5 {
		t.Fatalf("paged through %d approvals, want 5", len(seen))
	}
	var p page
	admin.Must(200, "GET", "/admin/audit-logs?actor_id="+itoa(admin.UserID)+"&since=2000-01-01T00:00:00Z&until=2000-01-02T00:00:00Z", nil, &p)
	if len(p.Items) != 0 {
		t.Fatalf("time range filter: %+v", p)
	}
	for _, q := range []string{"since=yesterday", "actor_id=abc", "cursor=bm90LWEtY3Vyc29y", "limit=0", "limit=201"} {
		if r := admin.Do("GET", "/admin/audit-logs?"+q, nil); r.Status != 400 {
			t.Errorf("?%s: %d %s", q, r.Status, r.Body)
		}
	}
}

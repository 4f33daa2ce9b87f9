package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/apitest"
	"pixelpals/internal/store"
)

// leftovers scans every text-like column of every table but audit_logs for
// each needle and returns where they were found.
func leftovers(t *testing.T, db *store.DB, needles ...string) []string {
	t.Helper()
	ctx := context.Background()
	rows, err := db.Pool.Query(ctx, `
		SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = 'public' AND table_name <> 'audit_logs'
		  AND data_type IN ('character varying', 'text', 'jsonb', 'json', 'bytea', 'character')`)
	if err != nil {
		t.Fatal(err)
	}
	cols, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([2]string, error) {
		var c [2]string
		return c, r.Scan(&c[0], &c[1])
	})
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, c := range cols {
		for _, n := range needles {
			var hits int
			sql := fmt.Sprintf(`SELECT count(*) FROM %s WHERE strpos(lower(%s::text), lower($1)) > 0`,
				pgx.Identifier{c[0]}.Sanitize(), pgx.Identifier{c[1]}.Sanitize())
			if err := db.Pool.QueryRow(ctx, sql, n).Scan(&hits); err != nil {
				t.Fatal(err)
			}
			if hits > 0 {
				found = append(found, fmt.Sprintf("%q in %s.%s (%d rows)", n, c[0], c[1], hits))
			}
		}
	}
	return found
}

// TestDeletingAChildLeavesNoPersonalData (SPEC §9): after a parent deletes
// a child, no table but audit_logs holds the child's login name, display
// name, bio or the text of their messages.
func TestDeletingAChildLeavesNoPersonalData(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	fam := env.Family(admin, 2)
	kid, sibling := fam.Children[0], fam.Children[1]
	kid.Must(200, "PATCH", "/me/profile", map[string]string{"display_name": "Zanzibar Quux", "bio": "I love ZEBRA-STRIPES"}, nil)

	// A conversation with the parent and sibling, written the way the
	// messaging feature stores it.
	ctx := context.Background()
	var conv int64
	if err := env.DB.Pool.QueryRow(ctx, `INSERT INTO conversations (is_group, title, created_by) VALUES (true, 'family', $1) RETURNING id`, fam.Parent.UserID).Scan(&conv); err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{fam.Parent.UserID, kid.UserID, sibling.UserID} {
		if _, err := env.DB.Pool.Exec(ctx, `INSERT INTO conversation_members (conversation_id, user_id) VALUES ($1, $2)`, conv, id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := env.DB.Pool.Exec(ctx, `INSERT INTO messages (conversation_id, sender_id, type, content) VALUES
		($1, $2, 'text', 'my secret hideout is the OLD-OAK-TREE'), ($1, $3, 'text', 'sibling says hi')`, conv, kid.UserID, sibling.UserID); err != nil {
		t.Fatal(err)
	}

	needles := []string{kid.Login, "Zanzibar Quux", "ZEBRA-STRIPES", "OLD-OAK-TREE"}
	if found := leftovers(t, env.DB, needles...); len(found) < len(needles) {
		t.Fatalf("the scan does not find the data before deletion: %v", found)
	}
	fam.Parent.Must(204, "DELETE", "/children/"+itoa(kid.UserID), nil, nil)
	if found := leftovers(t, env.DB, needles...); len(found) > 0 {
		t.Fatalf("personal data left after deleting the child:\n%s", strings.Join(found, "\n"))
	}
	// The rest of the family is untouched; the deleted child cannot log in.
	if found := leftovers(t, env.DB, sibling.Login, "sibling says hi"); len(found) == 0 {
		t.Fatal("the sibling's data went too")
	}
	env.Anonymous().Must(401, "POST", "/auth/login", map[string]string{"login": kid.Login, "password": kid.Password}, nil)
	kid.Must(401, "GET", "/me", nil, nil)
}

// TestDeletingAParentRemovesTheFamily: an admin deleting a parent removes
// the children too, and the freed login names can be used again.
func TestDeletingAParentRemovesTheFamily(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	fam := env.Family(admin, 2)
	admin.Must(204, "DELETE", "/admin/users/"+itoa(fam.Parent.UserID), nil, nil)
	if found := leftovers(t, env.DB, fam.Parent.Login, fam.Children[0].Login, fam.Children[1].Login); len(found) > 0 {
		t.Fatalf("left after deleting the family: %v", found)
	}
	env.Anonymous().Must(201, "POST", "/auth/signup", map[string]string{"email": fam.Parent.Login, "password": "a-new-password", "display_name": "Again"}, nil)
}

func TestExportHoldsEverythingAboutTheChild(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	fam := env.Family(env.Admin(), 1)
	kid := fam.Child()
	var export struct {
		User struct {
			ID    int64  `json:"id"`
			Email string `json:"email"`
		} `json:"user"`
		Profile struct {
			DisplayName string `json:"display_name"`
		} `json:"profile"`
		Contacts        []any `json:"contacts"`
		Conversations   []any `json:"conversations"`
		GameCredentials []any `json:"game_credentials"`
		AuditLogs       []struct {
			Action string `json:"action"`
		} `json:"audit_logs"`
	}
	r := fam.Parent.Must(200, "GET", "/children/"+itoa(kid.UserID)+"/export", nil, &export)
	if export.User.ID != kid.UserID || export.User.Email != kid.Login || export.Profile.DisplayName == "" {
		t.Fatalf("export: %s", r.Body)
	}
	if export.Contacts == nil || export.Conversations == nil || export.GameCredentials == nil {
		t.Fatalf("export lacks sections: %s", r.Body)
	}
	if len(export.AuditLogs) == 0 || export.AuditLogs[0].Action != "child.create" {
		t.Fatalf("export audit: %s", r.Body)
	}
	if strings.Contains(string(r.Body), "argon2") || strings.Contains(string(r.Body), "password_hash") {
		t.Fatalf("export leaks the password hash: %s", r.Body)
	}

	// An admin's action on the child is in the export, without the
	// admin's client address.
	admin := env.Admin()
	admin.Must(200, "POST", "/admin/users/"+itoa(kid.UserID)+"/suspend", nil, nil)
	var again struct {
		AuditLogs []struct {
			Action string  `json:"action"`
			IP     *string `json:"ip"`
		} `json:"audit_logs"`
	}
	fam.Parent.Must(200, "GET", "/children/"+itoa(kid.UserID)+"/export", nil, &again)
	var sawSuspend, sawParentIP bool
	for _, a := range again.AuditLogs {
		switch a.Action {
		case "user.suspend":
			sawSuspend = true
			if a.IP != nil {
				t.Errorf("the export shows the admin's address %q", *a.IP)
			}
		case "child.create":
			sawParentIP = a.IP != nil
		}
	}
	if !sawSuspend || !sawParentIP {
		t.Fatalf("export audit: suspend=%v parent's own ip=%v", sawSuspend, sawParentIP)
	}
}

func TestProfileVisibility(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	a, b := env.Family(admin, 2), env.Family(admin, 1)
	kid := a.Children[0]
	for _, c := range []*apitest.Client{kid, a.Parent, admin} {
		c.Must(200, "GET", "/profiles/"+itoa(kid.UserID), nil, nil)
	}
	kid.Must(200, "GET", "/profiles/"+itoa(a.Parent.UserID), nil, nil)
	// SPEC §11's list has no siblings: they see each other once they are
	// approved contacts or share a conversation.
	for _, c := range []*apitest.Client{a.Children[1], b.Parent, b.Child()} {
		c.Must(404, "GET", "/profiles/"+itoa(kid.UserID), nil, nil)
	}
	kid.Must(404, "GET", "/profiles/"+itoa(b.Child().UserID), nil, nil)
	kid.Must(404, "GET", "/profiles/999999", nil, nil)
	kid.Must(404, "GET", "/profiles/abc", nil, nil)
}

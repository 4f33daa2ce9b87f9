package api_test

import (
	"context"
	"strings"
	"testing"

	"pixelpals/internal/apitest"
	"pixelpals/internal/password"
)

// TestLoginRehashesOldParameters: a hash made with other Argon2id
// parameters is replaced on the next successful login.
func TestLoginRehashesOldParameters(t *testing.T) {
	env := apitest.New(t, apitest.Options{RealHashing: true})
	admin := env.Admin()
	old, err := password.NewHasher(apitest.FastParams, 1).Hash(context.Background(), admin.Password)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.Pool.Exec(context.Background(), `UPDATE users SET password_hash = $2 WHERE id = $1`, admin.UserID, old); err != nil {
		t.Fatal(err)
	}
	var hash string
	env.Anonymous().Must(200, "POST", "/auth/login", map[string]string{"login": admin.Login, "password": admin.Password}, nil)
	if err := env.DB.Pool.QueryRow(context.Background(), `SELECT password_hash FROM users WHERE id = $1`, admin.UserID).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("after login the hash is %q, want the current parameters", hash)
	}
	env.Anonymous().Must(200, "POST", "/auth/login", map[string]string{"login": admin.Login, "password": admin.Password}, nil)
}

// TestSessionExpiry: idle and absolute expiry end a session; the token is
// stored only as a hash.
func TestSessionExpiry(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	fam := env.Family(env.Admin(), 0)
	ctx := context.Background()

	var stored int
	if err := env.DB.Pool.QueryRow(ctx, `SELECT count(*) FROM sessions WHERE token_hash::text LIKE '%' || $1 || '%'`, fam.Parent.Token).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != 0 {
		t.Fatal("the raw token is stored")
	}

	idle := env.Family(env.Admin(), 0).Parent
	if _, err := env.DB.Pool.Exec(ctx, `UPDATE sessions SET last_seen_at = now() - interval '8 days' WHERE user_id = $1`, idle.UserID); err != nil {
		t.Fatal(err)
	}
	idle.Must(401, "GET", "/me", nil, nil)

	old := fam.Parent
	old.Must(200, "GET", "/me", nil, nil)
	if _, err := env.DB.Pool.Exec(ctx, `UPDATE sessions SET expires_at = now() - interval '1 second' WHERE user_id = $1`, old.UserID); err != nil {
		t.Fatal(err)
	}
	old.Must(401, "GET", "/me", nil, nil)
	// The next login clears the user's dead sessions.
	env.Anonymous().Must(200, "POST", "/auth/login", map[string]string{"login": old.Login, "password": old.Password}, nil)
	var dead int
	if err := env.DB.Pool.QueryRow(ctx, `SELECT count(*) FROM sessions WHERE user_id = $1 AND expires_at <= now()`, old.UserID).Scan(&dead); err != nil {
		t.Fatal(err)
	}
	if dead != 0 {
		t.Fatalf("%d expired sessions left after a login", dead)
	}

	for _, h := range []string{"Bearer", "Bearer ", "Basic abc", "Bearer " + strings.Repeat("x", 300)} {
		c := env.Anonymous()
		c.Token = strings.TrimPrefix(h, "Bearer ")
		if r := c.Do("GET", "/me", nil); r.Status != 401 {
			t.Errorf("Authorization %.20q: %d", h, r.Status)
		}
	}
}

func TestAdminUserListAndStateConflicts(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	fam := env.Family(admin, 1)
	pending := env.PendingParent()

	var list struct {
		Items []struct {
			ID          int64  `json:"id"`
			Role        string `json:"role"`
			DisplayName string `json:"display_name"`
			Approved    bool   `json:"approved_by_admin"`
		}
	}
	admin.Must(200, "GET", "/admin/users?role=PARENT&approved=false", nil, &list)
	if len(list.Items) != 1 || list.Items[0].ID != pending.UserID {
		t.Fatalf("pending parents: %+v", list)
	}
	admin.Must(200, "GET", "/admin/users?q="+fam.Child().Login, nil, &list)
	if len(list.Items) != 1 || list.Items[0].Role != "CHILD" {
		t.Fatalf("search by login: %+v", list)
	}

	admin.Must(409, "POST", "/admin/users/"+itoa(fam.Parent.UserID)+"/approve", nil, nil)
	admin.Must(409, "POST", "/admin/users/"+itoa(fam.Parent.UserID)+"/reject", nil, nil)
	admin.Must(409, "POST", "/admin/users/"+itoa(fam.Child().UserID)+"/approve", nil, nil)
	admin.Must(409, "POST", "/admin/users/"+itoa(fam.Parent.UserID)+"/reinstate", nil, nil)
	admin.Must(403, "POST", "/admin/users/"+itoa(admin.UserID)+"/suspend", nil, nil)
	admin.Must(403, "DELETE", "/admin/users/"+itoa(admin.UserID), nil, nil)
	admin.Must(404, "POST", "/admin/users/999999/approve", nil, nil)
	// Rejection removes the pending account: its email can sign up again.
	admin.Must(204, "POST", "/admin/users/"+itoa(pending.UserID)+"/reject", nil, nil)
	pending.Must(401, "GET", "/me", nil, nil)
	env.Anonymous().Must(201, "POST", "/auth/signup", map[string]string{"email": pending.Login, "password": "long-enough", "display_name": "Again"}, nil)
}

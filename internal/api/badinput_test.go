package api_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"pixelpals/internal/apitest"
)

// rowCounts fingerprints the database so a test can show that a rejected
// request changed nothing.
func rowCounts(t *testing.T, env *apitest.Env) string {
	t.Helper()
	var s string
	err := env.DB.Pool.QueryRow(context.Background(), `
		SELECT concat_ws(',', (SELECT count(*) FROM users), (SELECT count(*) FROM profiles),
		       (SELECT count(*) FROM audit_logs), (SELECT count(*) FROM sessions),
		       (SELECT max(updated_at) FROM profiles), (SELECT max(updated_at) FROM users))`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestBadInputIsA4xxAndChangesNothing sends malformed requests to every
// account endpoint that takes a body: each gets a 4xx JSON error (naming
// the field where there is one), and the database is unchanged.
func TestBadInputIsA4xxAndChangesNothing(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	fam := env.Family(admin, 1)
	kid := fam.Child()
	long := strings.Repeat("x", 101)
	huge := `{"display_name":"` + strings.Repeat("a", 1<<20+10) + `"}`

	type call struct {
		who    *apitest.Client
		method string
		path   string
		body   string
		status int
		field  string
	}
	childPath := "/children/" + itoa(kid.UserID)
	calls := []call{
		{env.Anonymous(), "POST", "/auth/signup", `{"email":"a@example.com","password":"long-enough","display_name":"A"`, 400, ""},
		{env.Anonymous(), "POST", "/auth/signup", `{"email":"a@example.com","password":"long-enough","display_name":"A","role":"ADMIN"}`, 400, "role"},
		{env.Anonymous(), "POST", "/auth/signup", `{"email":"not-an-email","password":"long-enough","display_name":"A"}`, 400, "email"},
		{env.Anonymous(), "POST", "/auth/signup", `{"email":"a@example.com","password":"short","display_name":"A"}`, 400, "password"},
		{env.Anonymous(), "POST", "/auth/signup", `{"email":"a@example.com","password":"long-enough","display_name":"` + long + `"}`, 400, "display_name"},
		{env.Anonymous(), "POST", "/auth/signup", `{"email":"a@example.com","password":"long-enough","display_name":"A\u0000B"}`, 400, "display_name"},
		{env.Anonymous(), "POST", "/auth/signup", `{"email":"a@example.com","password":"long\u0000enough","display_name":"A"}`, 400, "password"},
		{env.Anonymous(), "POST", "/auth/signup", `{"email":42,"password":"long-enough","display_name":"A"}`, 400, "email"},
		// A taken address is answered as a new one, not 409 (issue 22.4): TestSignupTakenAddress.
		{env.Anonymous(), "POST", "/auth/password-reset", `{"email":"nope"}`, 400, "email"},
		{env.Anonymous(), "POST", "/auth/password-reset", `{"email":["a@example.com"]}`, 400, "email"},
		{env.Anonymous(), "POST", "/auth/password-reset", `{"email":"a@example.com","role":"x"}`, 400, "role"},
		{env.Anonymous(), "POST", "/auth/password-reset/confirm", `{"token":"","password":"long-enough"}`, 400, "token"},
		{env.Anonymous(), "POST", "/auth/password-reset/confirm", `{"token":"unknown-token-of-fine-shape","password":"long-enough"}`, 400, "token"},
		{env.Anonymous(), "POST", "/auth/password-reset/confirm", `{"token":"unknown-token-of-fine-shape","password":"short"}`, 400, "password"},
		{env.Anonymous(), "POST", "/auth/password-reset/confirm", `{"token":"t","password":"long\u0000enough"}`, 400, "password"},
		{env.Anonymous(), "POST", "/auth/verify-email", `{"token":7}`, 400, "token"},
		{env.Anonymous(), "POST", "/auth/verify-email", `{"token":"` + strings.Repeat("x", 101) + `"}`, 400, "token"},
		{env.Anonymous(), "POST", "/auth/verify-email", `{"token":"unknown-token-of-fine-shape"}`, 400, "token"},
		{env.Anonymous(), "POST", "/auth/signup", `[]`, 400, ""},
		{env.Anonymous(), "POST", "/auth/signup", `{} {}`, 400, ""},
		{env.Anonymous(), "POST", "/auth/signup", ``, 400, ""},
		{env.Anonymous(), "POST", "/auth/login", `{"login":"x","password":""}`, 400, "password"},
		{env.Anonymous(), "POST", "/auth/login", `{"login":["x"],"password":"y"}`, 400, "login"},
		{env.Anonymous(), "POST", "/auth/login", `{"login":"a\u0000b@example.com","password":"whatever"}`, 400, "login"},
		{fam.Parent, "PATCH", "/me/profile", huge, 413, ""},
		{fam.Parent, "PATCH", "/me/profile", `{"display_name":""}`, 400, "display_name"},
		{fam.Parent, "PATCH", "/me/profile", `{"display_name":"   \t  "}`, 400, "display_name"},
		{fam.Parent, "PATCH", "/me/profile", `{"bio":"` + strings.Repeat("b", 501) + `"}`, 400, "bio"},
		{fam.Parent, "PATCH", "/me/profile", `{"bio":true}`, 400, "bio"},
		{fam.Parent, "PATCH", "/me/profile", `{"avatar_media_id":12}`, 400, "avatar_media_id"},
		{fam.Parent, "POST", "/children", `{"login":"ab","password":"kidpass","display_name":"K"}`, 400, "login"},
		{fam.Parent, "POST", "/children", `{"login":"has@sign","password":"kidpass","display_name":"K"}`, 400, "login"},
		{fam.Parent, "POST", "/children", `{"login":"` + kid.Login + `","password":"kidpass","display_name":"K"}`, 409, "login"},
		{fam.Parent, "POST", "/children", `{"login":"newkid","password":"12345","display_name":"K"}`, 400, "password"},
		{fam.Parent, "POST", "/children", `{"login":"newkid","password":"kidpass","display_name":"K","parent_id":1}`, 400, "parent_id"},
		{fam.Parent, "PATCH", childPath, `{"display_name":null}`, 400, "display_name"},
		{fam.Parent, "PATCH", childPath, `{"display_name":7}`, 400, "display_name"},
		{fam.Parent, "POST", childPath + "/password", `{"password":"123"}`, 400, "password"},
		{fam.Parent, "POST", childPath + "/password", `{"password":"` + strings.Repeat("p", 257) + `"}`, 400, "password"},
		{fam.Parent, "PATCH", "/children/99999999999", `{"display_name":"X"}`, 404, ""},
		{fam.Parent, "PATCH", "/children/-1", `{"display_name":"X"}`, 404, ""},
		{admin, "GET", "/admin/users?role=KING", ``, 400, "role"},
		{admin, "GET", "/admin/users?approved=maybe", ``, 400, "approved"},
	}
	before := rowCounts(t, env)
	for _, c := range calls {
		r := c.who.Do(c.method, c.path, c.body)
		if r.Status != c.status || r.ErrorCode() == "" || r.ErrorField() != c.field {
			body := string(r.Body)
			if len(body) > 300 {
				body = body[:300]
			}
			t.Errorf("%s %s %.80q: got %d field %q, want %d field %q: %s", c.method, c.path, c.body, r.Status, r.ErrorField(), c.status, c.field, body)
		}
	}
	if after := rowCounts(t, env); after != before {
		t.Fatalf("rejected requests changed the database: %s → %s", before, after)
	}
	// A body that is not JSON by its content type is refused too.
	resp, err := http.Post(env.Server.URL+"/api/v1/auth/signup", "text/plain",
		strings.NewReader(`{"email":"b@example.com","password":"long-enough","display_name":"B"}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := resp.Body.Close(); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 415 {
		t.Fatalf("text/plain body: %d", resp.StatusCode)
	}
	r := env.Anonymous().Do("GET", "/no/such/endpoint", nil)
	if r.Status != 404 || r.ErrorCode() != "not_found" {
		t.Fatalf("unknown endpoint: %d %s", r.Status, r.Body)
	}
	if after := rowCounts(t, env); after != before {
		t.Fatalf("rejected requests changed the database: %s → %s", before, after)
	}
}

// TestJSONBodyContentType pins the body convention (README "API"): a
// body declared as anything but application/json is 415
// unsupported_media_type, before it is read; one without a Content-Type
// is read as strict JSON (non-browser clients often send none, and a
// browser cannot send a cross-site write without the X-CSRF-Token
// header anyway), so it is accepted when it is JSON and 400 when not.
func TestJSONBodyContentType(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	fam := env.Family(env.Admin(), 0)
	body := `{"display_name":"Renamed"}`
	before := rowCounts(t, env)
	for _, ct := range []string{"text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded",
		"multipart/form-data; boundary=x", "application/jsonx", "json", ";;"} {
		r := fam.Parent.Raw("PATCH", "/me/profile", strings.NewReader(body), http.Header{"Content-Type": {ct}})
		if r.Status != 415 || r.ErrorCode() != "unsupported_media_type" || !strings.Contains(string(r.Body), "send the body as application/json") {
			t.Errorf("Content-Type %q: %d %s", ct, r.Status, r.Body)
		}
	}
	if after := rowCounts(t, env); after != before {
		t.Fatalf("refused bodies changed the database: %s → %s", before, after)
	}
	if r := fam.Parent.Raw("PATCH", "/me/profile", strings.NewReader("display_name=Renamed"), nil); r.Status != 400 || r.ErrorCode() != "invalid" {
		t.Errorf("no Content-Type, not JSON: %d %s", r.Status, r.Body)
	}
	for _, h := range []http.Header{nil, {"Content-Type": {"application/json; charset=utf-8"}}, {"Content-Type": {"Application/JSON"}}} {
		if r := fam.Parent.Raw("PATCH", "/me/profile", strings.NewReader(body), h); r.Status != 200 {
			t.Errorf("JSON body with %v: %d %s", h, r.Status, r.Body)
		}
	}
}

// TestProfileTextIsCleaned: display names and bios are stored NFC and
// trimmed, without the zero-width characters that mean nothing; a bio keeps
// its line breaks, all made "\n". (Control characters and direction
// overrides were once stripped here; they are refused now, see
// TestEveryTextFieldNeedsVisibleText.)
func TestProfileTextIsCleaned(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	fam := env.Family(env.Admin(), 0)
	var p struct {
		DisplayName string `json:"display_name"`
		Bio         string `json:"bio"`
	}
	fam.Parent.Must(200, "PATCH", "/me/profile", map[string]string{
		"display_name": "  \ufeffZoe\u0301\u200b \u3164", "bio": "line one\r\nline\u00ad two\u2028three\n"}, &p)
	if p.DisplayName != "Zo\u00e9" || p.Bio != "line one\nline two\nthree" {
		t.Fatalf("cleaned profile: %+q", p)
	}
	for _, bad := range []map[string]string{{"display_name": "Bo\u0007b"}, {"bio": "line\u001b[31m two"}, {"display_name": "Bob\u202e"}} {
		if r := fam.Parent.Do("PATCH", "/me/profile", bad); r.Status != 400 {
			t.Errorf("%+q: %d %s, want 400", bad, r.Status, r.Body)
		}
	}
}

// TestOutOfRangeCursorsAre400: a forged cursor with an id beyond the
// seed's 32-bit SERIAL or a time PostgreSQL cannot hold is a client error
// on every list, never a 500.
func TestOutOfRangeCursorsAre400(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	fam := env.Family(admin, 1)
	var conv struct{ ID int64 }
	fam.Child().Must(201, "POST", "/conversations", map[string]any{"member_ids": []int64{fam.Parent.UserID}, "is_group": false}, &conv)
	cursor := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	idLists := []struct {
		who  *apitest.Client
		path string
	}{
		{admin, "/admin/users"}, {admin, "/admin/audit-logs"}, {admin, "/admin/reports"},
		{fam.Parent, "/contacts"}, {fam.Parent, "/conversations"}, {fam.Parent, "/reports"},
		{fam.Child(), "/me/game-credentials"}, {fam.Parent, "/children/" + itoa(fam.Child().UserID) + "/game-credentials"},
	}
	for _, l := range idLists {
		for _, c := range []string{"v1|3000000000", "v1|-1", "v1|9223372036854775808"} {
			if r := l.who.Do("GET", l.path+"?cursor="+cursor(c), nil); r.Status != 400 || r.ErrorField() != "cursor" {
				t.Errorf("GET %s cursor %q: %d %s", l.path, c, r.Status, r.Body)
			}
		}
	}
	history := "/conversations/" + itoa(conv.ID) + "/messages?cursor="
	for _, c := range []string{"v1|0|3000000000", "v1|-300000000000000000|1", "v1|9223372036854775807|1", "v1|x|1"} {
		if r := fam.Child().Do("GET", history+cursor(c), nil); r.Status != 400 || r.ErrorField() != "cursor" {
			t.Errorf("history cursor %q: %d %s", c, r.Status, r.Body)
		}
	}
}

package api_test

import (
	"strings"
	"testing"

	"pixelpals/internal/apitest"
)

// pushEndpoints lists the endpoints saved for userID.
func pushEndpoints(t *testing.T, env *apitest.Env, userID int64) []string {
	t.Helper()
	rows, err := env.DB.Pool.Query(t.Context(), `SELECT endpoint FROM push_subscriptions WHERE user_id = $1 ORDER BY id`, userID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

// TestPushSubscriptions saves, takes over, caps and deletes subscriptions,
// and answers the VAPID key the service was given.
func TestPushSubscriptions(t *testing.T) {
	env := apitest.New(t)
	admin := env.Admin()
	fa, fb := env.Family(admin, 0), env.Family(admin, 0)

	var key struct {
		PublicKey string `json:"public_key"`
	}
	fa.Parent.Must(200, "GET", "/push/vapid-public-key", nil, &key)
	if key.PublicKey != env.VAPID.PublicKey {
		t.Fatalf("vapid key %q, want the service's %q", key.PublicKey, env.VAPID.PublicKey)
	}

	phone := newPushSubscription("phone")
	fa.Parent.Must(201, "POST", "/me/push-subscriptions", phone, nil)
	fa.Parent.Must(201, "POST", "/me/push-subscriptions", phone, nil) // again: still one
	if got := pushEndpoints(t, env, fa.Parent.UserID); len(got) != 1 || got[0] != phone.Endpoint {
		t.Fatalf("parent A's endpoints %v, want [%s]", got, phone.Endpoint)
	}
	// Parent B deleting A's endpoint changes nothing (and says 204 all the same).
	fb.Parent.Must(204, "DELETE", "/me/push-subscriptions", map[string]string{"endpoint": phone.Endpoint}, nil)
	if got := pushEndpoints(t, env, fa.Parent.UserID); len(got) != 1 {
		t.Fatalf("another parent's delete removed A's subscription: %v", got)
	}
	// B turning push on in the same browser takes the endpoint over.
	fb.Parent.Must(201, "POST", "/me/push-subscriptions", phone, nil)
	if a, b := pushEndpoints(t, env, fa.Parent.UserID), pushEndpoints(t, env, fb.Parent.UserID); len(a) != 0 || len(b) != 1 {
		t.Fatalf("after B subscribed the same browser: A has %v, B has %v", a, b)
	}
	fb.Parent.Must(204, "DELETE", "/me/push-subscriptions", map[string]string{"endpoint": phone.Endpoint}, nil)
	if b := pushEndpoints(t, env, fb.Parent.UserID); len(b) != 0 {
		t.Fatalf("B's delete left %v", b)
	}

	// The 11th device forgets the oldest.
	var want []string
	for i := range 11 {
		s := newPushSubscription("dev" + string(rune('a'+i)))
		fa.Parent.Must(201, "POST", "/me/push-subscriptions", s, nil)
		want = append(want, s.Endpoint)
	}
	if got := pushEndpoints(t, env, fa.Parent.UserID); strings.Join(got, " ") != strings.Join(want[1:], " ") {
		t.Fatalf("after 11 devices: %v, want the newest 10 %v", got, want[1:])
	}
}

// TestPushSubscriptionBadInput answers 400 naming the field for every bad
// subscription, and saves nothing.
func TestPushSubscriptionBadInput(t *testing.T) {
	env := apitest.New(t)
	fa := env.Family(env.Admin(), 0)
	good := newPushSubscription("good")
	other := newPushSubscription("other")
	with := func(change func(m map[string]any)) map[string]any {
		m := map[string]any{"endpoint": good.Endpoint, "keys": map[string]any{"p256dh": good.Keys["p256dh"], "auth": good.Keys["auth"]}}
		change(m)
		return m
	}
	keys := func(m map[string]any) map[string]any { return m["keys"].(map[string]any) }
	notOnCurve := "BA" + strings.Repeat("A", 85) // 65 bytes: 0x04 then zeros
	cases := []struct {
		name, field string
		body        map[string]any
	}{
		{"no endpoint", "endpoint", with(func(m map[string]any) { delete(m, "endpoint") })},
		{"http endpoint", "endpoint", with(func(m map[string]any) { m["endpoint"] = "http://push.example.org/x" })},
		{"relative endpoint", "endpoint", with(func(m map[string]any) { m["endpoint"] = "/send/x" })},
		{"endpoint with credentials", "endpoint", with(func(m map[string]any) { m["endpoint"] = "https://u:p@push.example.org/x" })},
		{"huge endpoint", "endpoint", with(func(m map[string]any) { m["endpoint"] = "https://push.example.org/" + strings.Repeat("x", 2100) })},
		{"no p256dh", "keys.p256dh", with(func(m map[string]any) { delete(keys(m), "p256dh") })},
		{"short p256dh", "keys.p256dh", with(func(m map[string]any) { keys(m)["p256dh"] = other.Keys["auth"] })},
		{"p256dh not base64url", "keys.p256dh", with(func(m map[string]any) { keys(m)["p256dh"] = "not base64!" })},
		{"p256dh off the curve", "keys.p256dh", with(func(m map[string]any) { keys(m)["p256dh"] = notOnCurve })},
		{"no auth", "keys.auth", with(func(m map[string]any) { delete(keys(m), "auth") })},
		{"long auth", "keys.auth", with(func(m map[string]any) { keys(m)["auth"] = other.Keys["p256dh"] })},
	}
	for _, c := range cases {
		r := fa.Parent.Do("POST", "/me/push-subscriptions", c.body)
		if r.Status != 400 || r.ErrorCode() != "invalid" || r.ErrorField() != c.field {
			t.Errorf("%s: %d %s field %q, want 400 invalid naming %q: %s", c.name, r.Status, r.ErrorCode(), r.ErrorField(), c.field, r.Body)
		}
	}
	if r := fa.Parent.Do("DELETE", "/me/push-subscriptions", map[string]string{"endpoint": "ftp://x"}); r.Status != 400 || r.ErrorField() != "endpoint" {
		t.Errorf("delete with a bad endpoint: %d field %q, want 400 naming endpoint", r.Status, r.ErrorField())
	}
	if got := pushEndpoints(t, env, fa.Parent.UserID); len(got) != 0 {
		t.Fatalf("bad input saved %v", got)
	}
}

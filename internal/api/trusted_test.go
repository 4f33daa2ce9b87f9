package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"sync"
	"testing"

	"pixelpals/internal/apitest"
)

// trustedJSON is one trusted grown-up as the guardians see them.
type trustedJSON struct {
	AdultID   int64  `json:"adult_id"`
	Status    string `json:"status"`
	Approvals []struct {
		GuardianID  int64  `json:"guardian_id"`
		DisplayName string `json:"display_name"`
	} `json:"approvals"`
}

// trustedCode has adult make a code for a guardian (issue 21.3).
func trustedCode(adult *apitest.Client) string {
	var out struct{ Code string }
	adult.Must(201, "POST", "/me/trusted-invites", nil, &out)
	return out.Code
}

// proposeTrusted has guardian g propose adult for child.
func proposeTrusted(g, adult *apitest.Client, child int64) trustedJSON {
	var t trustedJSON
	g.Must(201, "POST", fmt.Sprintf("/children/%d/trusted-adults", child), map[string]string{"code": trustedCode(adult)}, &t)
	return t
}

// firstTrusted skips to the next trusted.* frame on s.
func firstTrusted(t *testing.T, s *apitest.Socket) apitest.Frame {
	t.Helper()
	for {
		f, err := s.Next(wait)
		if err != nil {
			t.Fatalf("waiting for a trusted.* event: %v", err)
		}
		if strings.HasPrefix(f.Type, "trusted.") {
			return f
		}
	}
}

// myTrustedAdults is what child c's GET /me/trusted-adults lists.
func myTrustedAdults(c *apitest.Client) []int64 {
	var as []struct{ ID int64 }
	c.Must(200, "GET", "/me/trusted-adults", nil, &as)
	ids := make([]int64, len(as))
	for i, a := range as {
		ids[i] = a.ID
	}
	return ids
}

func trustingChildren(c *apitest.Client) []int64 {
	var cs []struct{ ID int64 }
	c.Must(200, "GET", "/me/trusted-children", nil, &cs)
	ids := make([]int64, len(cs))
	for i, k := range cs {
		ids[i] = k.ID
	}
	return ids
}

// TestTrustedFlow: a trusted grown-up proposed by one guardian is pending
// until the second approves; then they may have a direct chat with the
// child (never a group, refused as every rule refusal is), both write,
// the guardians read it, the adult reads nothing else of the child; a
// guardian revokes and the chat freezes.
func TestTrustedFlow(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	fa, fb, ft := env.Family(admin, 1), env.Family(admin, 1), env.Family(admin, 1)
	k, b, adult := fa.Child(), fb.Child(), ft.Parent
	approveLink(fa, k, fb, b)
	kb := createDirect(k, b.UserID)
	g2 := env.Guardian(admin, fa.Parent, k.UserID)

	s, ks := g2.Socket(""), k.Socket("")
	tr := proposeTrusted(fa.Parent, adult, k.UserID)
	if tr.Status != "pending" || tr.AdultID != adult.UserID || len(tr.Approvals) != 1 || tr.Approvals[0].GuardianID != fa.Parent.UserID {
		t.Fatalf("proposal: %+v", tr)
	}
	nextOf(t, s, "trusted.proposed")
	notYet := adult.Do("POST", "/conversations", map[string]any{"member_ids": []int64{k.UserID}, "is_group": false})
	wantStatus(t, notYet, 403, "forbidden")
	if ids := trustingChildren(adult); len(ids) != 0 {
		t.Fatalf("pending adult lists children %v", ids)
	}
	if ids := myTrustedAdults(k); len(ids) != 0 {
		t.Fatalf("the child lists a pending trusted adult: %v", ids)
	}

	as := adult.Socket("")
	g2.Must(200, "POST", fmt.Sprintf("/children/%d/trusted-adults/%d/approve", k.UserID, adult.UserID), nil, &tr)
	if tr.Status != "active" || len(tr.Approvals) != 2 {
		t.Fatalf("after the second approval: %+v", tr)
	}
	nextOf(t, as, "trusted.activated")
	if ids := trustingChildren(adult); len(ids) != 1 || ids[0] != k.UserID {
		t.Fatalf("active adult lists children %v", ids)
	}
	// The child hears of the active link, never of the proposal.
	if f := firstTrusted(t, ks); f.Type != "trusted.activated" || !strings.Contains(string(f.Data), fmt.Sprintf(`"adult_id":%d`, adult.UserID)) {
		t.Fatalf("the child's first trusted event: %s %s", f.Type, f.Data)
	}
	if ids := myTrustedAdults(k); len(ids) != 1 || ids[0] != adult.UserID {
		t.Fatalf("the child lists trusted adults %v, want [%d]", ids, adult.UserID)
	}

	chat := createDirect(adult, k.UserID)
	// Never a group, refused exactly as another family's parent is.
	group := adult.Do("POST", "/conversations", map[string]any{"member_ids": []int64{k.UserID}, "is_group": true, "title": "x"})
	stranger := fb.Parent.Do("POST", "/conversations", map[string]any{"member_ids": []int64{k.UserID}, "is_group": false})
	if group.Status != 403 || group.Status != stranger.Status || group.ErrorCode() != stranger.ErrorCode() || group.ErrorField() != stranger.ErrorField() {
		t.Fatalf("group with the child: %d %s; another family's parent: %d %s", group.Status, group.Body, stranger.Status, stranger.Body)
	}
	// Nor added to a group of the child's.
	kg := createGroup(k, "pals", b.UserID)
	if r := k.Do("POST", fmt.Sprintf("/conversations/%d/members", kg.ID), map[string]any{"user_id": adult.UserID}); r.Status != 403 {
		t.Fatalf("adding the trusted adult to a group: %d %s", r.Status, r.Body)
	}
	mustSend(t, adult, chat.ID, "hello from grandma")
	mustSend(t, k, chat.ID, "hi grandma")
	for _, g := range []*apitest.Client{fa.Parent, g2} {
		if n := len(history(g, chat.ID)); n < 2 {
			t.Fatalf("guardian %d reads %d messages of the trusted chat", g.UserID, n)
		}
	}
	seesNothingElse(t, adult, k.UserID, kb.ID)

	g2.Must(204, "DELETE", fmt.Sprintf("/children/%d/trusted-adults/%d", k.UserID, adult.UserID), nil, nil)
	nextOf(t, as, "trusted.revoked")
	nextOf(t, as, "conversation.frozen")
	wantStatus(t, send(adult, chat.ID, "still there?"), 409, "conversation_frozen")
	wantStatus(t, send(k, chat.ID, "grandma?"), 409, "conversation_frozen")
	if ids := trustingChildren(adult); len(ids) != 0 {
		t.Fatalf("revoked adult lists children %v", ids)
	}
	nextOf(t, ks, "trusted.revoked")
	if ids := myTrustedAdults(k); len(ids) != 0 {
		t.Fatalf("the child lists a revoked trusted adult: %v", ids)
	}
}

// TestTrustedCodes: the adult's code is single use, expires after 7 days,
// is kept only as a hash, and never appears in the audit log, the events
// or the logs. The adult must be an approved parent and no guardian.
func TestTrustedCodes(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	fa, ft := env.Family(admin, 1), env.Family(admin, 0)
	k, adult := fa.Child(), ft.Parent
	g2 := env.Guardian(admin, fa.Parent, k.UserID)
	ctx := context.Background()
	propose := func(g *apitest.Client, code string) *apitest.Response {
		return g.Do("POST", fmt.Sprintf("/children/%d/trusted-adults", k.UserID), map[string]string{"code": code})
	}

	code := trustedCode(adult)
	var hash []byte
	if err := env.DB.Pool.QueryRow(ctx, `SELECT code_hash FROM trusted_invites WHERE adult_id = $1`, adult.UserID).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256([]byte("trusted-invite:" + code)); !bytes.Equal(hash, sum[:]) {
		t.Fatalf("stored hash is not the code's SHA-256")
	}
	if r := propose(fa.Parent, code); r.Status != 201 {
		t.Fatalf("propose: %d %s", r.Status, r.Body)
	}
	// Single use: a used code and an unknown one get the same answer.
	used, unknown := propose(g2, code), propose(g2, "222222222222")
	if used.Status != 404 || used.ErrorField() != "code" || !bytes.Equal(used.Body, unknown.Body) {
		t.Fatalf("used code: %d %s; unknown: %d %s", used.Status, used.Body, unknown.Status, unknown.Body)
	}
	// Expired after 7 days.
	late := trustedCode(env.Family(admin, 0).Parent)
	var ttl int64
	if err := env.DB.Pool.QueryRow(ctx, `
		UPDATE trusted_invites SET expires_at = CURRENT_TIMESTAMP - interval '1 second'
		WHERE id = (SELECT max(id) FROM trusted_invites)
		RETURNING extract(epoch FROM (SELECT expires_at - created_at FROM trusted_invites WHERE id = (SELECT max(id) FROM trusted_invites)))::bigint`).Scan(&ttl); err != nil {
		t.Fatal(err)
	}
	if ttl != 7*24*3600 {
		t.Fatalf("code valid for %d s, want 7 days", ttl)
	}
	if r := propose(fa.Parent, late); r.Status != 404 || !bytes.Equal(r.Body, unknown.Body) {
		t.Fatalf("expired code: %d %s", r.Status, r.Body)
	}
	// A guardian of the child, or an adult proposed already: 409.
	if r := propose(fa.Parent, trustedCode(g2)); r.Status != 409 {
		t.Fatalf("proposing a guardian: %d %s", r.Status, r.Body)
	}
	if r := propose(g2, trustedCode(adult)); r.Status != 409 {
		t.Fatalf("proposing the adult twice: %d %s", r.Status, r.Body)
	}
	if r := propose(fa.Parent, "not a code"); r.Status != 400 || r.ErrorField() != "code" {
		t.Fatalf("malformed code: %d %s", r.Status, r.Body)
	}
	codesNeverWritten(t, env, code, late)
	actions := trustedAudit(t, env)
	if len(actions) < 2 || actions[0] != "trusted.invite" || !strings.Contains(strings.Join(actions, ","), "trusted.propose") {
		t.Fatalf("audit actions %v", actions)
	}
}

// TestSendsRacingTrustedRevocation: a guardian revokes a trusted grown-up
// while the adult and the child send from several goroutines: every
// answer is 201 or 409 conversation_frozen, and no text message is
// written after the freeze. Proposed and approved again, the chat thaws.
func TestSendsRacingTrustedRevocation(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	fa, ft := env.Family(admin, 1), env.Family(admin, 0)
	k, adult := fa.Child(), ft.Parent
	conv := int64(0)
	for round := range 3 {
		proposeTrusted(fa.Parent, adult, k.UserID) // the only guardian: active at once
		if round == 0 {
			conv = createDirect(adult, k.UserID).ID
		}
		stop, sent := make(chan struct{}), []chan struct{}{make(chan struct{}), make(chan struct{})}
		var wg sync.WaitGroup
		var counts [2]map[string]int
		for i, c := range []*apitest.Client{adult, k} {
			wg.Go(func() { counts[i] = sendUntil(c, conv, 3, stop, sent[i]) })
		}
		waitClosed(t, "send accepted before the revocation", sent...)
		fa.Parent.Must(204, "DELETE", fmt.Sprintf("/children/%d/trusted-adults/%d", k.UserID, adult.UserID), nil, nil)
		close(stop)
		wg.Wait()
		for i := range counts {
			if counts[i]["201"] == 0 || counts[i]["201"]+counts[i]["409 conversation_frozen"] != sum(counts[i]) {
				t.Fatalf("round %d sender %d: answers %v, want only 201 and 409 conversation_frozen", round, i, counts[i])
			}
		}
		var frozenAt, lastText int64
		err := env.DB.Pool.QueryRow(context.Background(), `
			SELECT (SELECT max(id) FROM messages WHERE conversation_id = $1 AND content = '{"event":"conversation_frozen"}'),
			       (SELECT max(id) FROM messages WHERE conversation_id = $1 AND type = 'text')`, conv).Scan(&frozenAt, &lastText)
		if err != nil {
			t.Fatal(err)
		}
		if lastText > frozenAt {
			t.Fatalf("round %d: message %d accepted after the freeze (%d)", round, lastText, frozenAt)
		}
		wantStatus(t, send(adult, conv, "after"), 409, "conversation_frozen")
	}
}

// codesNeverWritten fails t when a code is stored, audited, in an event or
// logged as written.
func codesNeverWritten(t *testing.T, env *apitest.Env, codes ...string) {
	t.Helper()
	ctx := context.Background()
	for _, c := range codes {
		var n int
		if err := env.DB.Pool.QueryRow(ctx, `
		SELECT (SELECT count(*) FROM trusted_invites ti WHERE strpos(row_to_json(ti)::text, $1) > 0)
		     + (SELECT count(*) FROM audit_logs a WHERE strpos(coalesce(a.before_json::text, '') || coalesce(a.after_json::text, ''), $1) > 0)
		     + (SELECT count(*) FROM live_events e WHERE strpos(e.data::text, $1) > 0)`, c).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 || strings.Contains(env.Logs.String(), c) {
			t.Fatalf("code %s stored, audited or logged as written (%d rows)", c, n)
		}
	}
}

// trustedAudit lists the trusted.* audit actions, oldest first.
func trustedAudit(t *testing.T, env *apitest.Env) []string {
	t.Helper()
	ctx := context.Background()
	var actions []string
	rows, err := env.DB.Pool.Query(ctx, `SELECT action FROM audit_logs WHERE action LIKE 'trusted.%' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			t.Fatal(err)
		}
		actions = append(actions, a)
	}
	return actions
}

// seesNothingElse: a trusted adult reads no other chat of child k's (conv)
// and nothing a guardian reads of them.
func seesNothingElse(t *testing.T, adult *apitest.Client, k, conv int64) {
	t.Helper()
	for _, p := range []string{
		fmt.Sprintf("/conversations/%d/messages", conv),
		fmt.Sprintf("/children/%d/activity", k),
		fmt.Sprintf("/children/%d/trusted-adults", k),
		fmt.Sprintf("/children/%d/guardians", k),
	} {
		if r := adult.Do("GET", p, nil); r.Status != 404 {
			t.Errorf("GET %s as the trusted adult: %d %s", p, r.Status, r.Body)
		}
	}
}

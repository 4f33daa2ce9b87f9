package api_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"pixelpals/internal/apitest"
)

// guardianJSON is one row of GET /children/{id}/guardians.
type guardianJSON struct {
	UserID      int64  `json:"user_id"`
	DisplayName string `json:"display_name"`
	Primary     bool   `json:"primary"`
	AddedBy     *int64 `json:"added_by"`
}

func guardiansOf(t *testing.T, c *apitest.Client, child int64) []guardianJSON {
	t.Helper()
	var gs []guardianJSON
	c.Must(200, "GET", fmt.Sprintf("/children/%d/guardians", child), nil, &gs)
	return gs
}

// TestGuardianLive: with real sockets, a second guardian receives the
// child's chat events as the primary does; once removed, they receive
// none of them, a replay from before or after the removal holds nothing
// the child sent after it, REST shows them nothing of the child, and
// their own direct chat with the child freezes, as revoking a contact
// freezes the pair's chats.
func TestGuardianLive(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	fa, fb := env.Family(admin, 1), env.Family(admin, 1)
	k, b := fa.Child(), fb.Child()
	approveLink(fa, k, fb, b)
	kb := createDirect(k, b.UserID)
	g := env.Guardian(admin, fa.Parent, k.UserID)
	gk := createDirect(g, k.UserID) // a guardian may chat with the child

	s := g.Socket("")
	mustSend(t, k, kb.ID, "BEFORE-REMOVAL")
	seen := nextOf(t, s, "message.created")
	if !bytes.Contains(seen.Data, []byte("BEFORE-REMOVAL")) {
		t.Fatalf("second guardian's first message event: %s", seen.Data)
	}
	g.Must(200, "GET", fmt.Sprintf("/conversations/%d/messages", kb.ID), nil, nil)

	fa.Parent.Must(204, "DELETE", fmt.Sprintf("/children/%d/guardians/%d", k.UserID, g.UserID), nil, nil)
	removed := nextOf(t, s, "guardian.removed")
	nextOf(t, s, "conversation.frozen") // their own chat with the child
	const secret = "AFTER-REMOVAL-SECRET"
	mustSend(t, k, kb.ID, secret)
	mustSend(t, b, kb.ID, secret+"-FROM-B")

	for _, p := range []string{
		fmt.Sprintf("/conversations/%d/messages", kb.ID),
		fmt.Sprintf("/conversations/%d", kb.ID),
		fmt.Sprintf("/children/%d/guardians", k.UserID),
		fmt.Sprintf("/children/%d/activity", k.UserID),
	} {
		if r := g.Do("GET", p, nil); r.Status != 404 {
			t.Errorf("GET %s as the removed guardian: %d %s", p, r.Status, r.Body)
		}
	}
	var list struct{ Items []conversationJSON }
	g.Must(200, "GET", "/conversations", nil, &list)
	for _, c := range list.Items {
		if c.ID == kb.ID {
			t.Errorf("the removed guardian still lists the child's chat %d", kb.ID)
		}
		if c.ID == gk.ID && !c.Frozen {
			t.Errorf("the removed guardian's chat with the child is not frozen")
		}
	}
	if r := send(g, gk.ID, "still there?"); r.Status != 409 || r.ErrorCode() != "conversation_frozen" {
		t.Errorf("send to the frozen chat with the child: %d %s", r.Status, r.Body)
	}

	// Re-inviting them later is the marker that everything up to it was
	// delivered: their live socket got nothing of the child's chats in
	// between.
	g.Must(200, "POST", "/guardian-invites/accept", map[string]string{"code": fa.Parent.Invite(k.UserID)}, nil)
	for {
		f := nextOf(t, s, "guardian.added")
		if strings.Contains(string(f.Data), fmt.Sprintf(`"user_id":%d`, g.UserID)) {
			break
		}
	}
	for _, since := range []string{seen.ID, removed.ID} {
		replay := g.Socket(since)
		for {
			f, err := replay.Next(500 * time.Millisecond)
			if err != nil {
				break
			}
			if bytes.Contains(f.Data, []byte(secret)) {
				t.Errorf("replay since %s holds the child's chat after removal: %s %s", since, f.Type, f.Data)
			}
		}
	}
	checkNoSecret(t, s, secret)
}

// checkNoSecret drains what the live socket got and fails on secret.
func checkNoSecret(t *testing.T, s *apitest.Socket, secret string) {
	t.Helper()
	for {
		f, err := s.Next(200 * time.Millisecond)
		if err != nil {
			return
		}
		if bytes.Contains(f.Data, []byte(secret)) {
			t.Errorf("live event after removal: %s %s", f.Type, f.Data)
		}
	}
}

// TestGuardianEventsReachAll: the child's chat events reach the primary
// and the second guardian alike, and guardian.added reaches both.
func TestGuardianEventsReachAll(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	fa, fb := env.Family(admin, 1), env.Family(admin, 1)
	k, b := fa.Child(), fb.Child()
	approveLink(fa, k, fb, b)
	kb := createDirect(k, b.UserID)
	ps := fa.Parent.Socket("")
	g := env.Guardian(admin, fa.Parent, k.UserID)
	added := nextOf(t, ps, "guardian.added")
	if !bytes.Contains(added.Data, []byte(fmt.Sprintf(`"user_id":%d`, g.UserID))) {
		t.Fatalf("guardian.added to the primary: %s", added.Data)
	}
	gs := g.Socket("")
	mustSend(t, b, kb.ID, "TO-BOTH")
	for name, s := range map[string]*apitest.Socket{"primary": ps, "second": gs} {
		if f := nextOf(t, s, "message.created"); !bytes.Contains(f.Data, []byte("TO-BOTH")) {
			t.Errorf("%s guardian's event: %s", name, f.Data)
		}
	}
}

// TestGuardianInviteCode: the code works once, not after 7 days, is not
// stored, audited or logged as written; unknown and used codes get one
// answer; wrong guesses lock out like friend codes; the admin sees who
// invited a parent awaiting approval.
func TestGuardianInviteCode(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	fa := env.Family(admin, 1)
	k := fa.Child()
	code := fa.Parent.Invite(k.UserID)

	pending := env.PendingParent()
	var accepted struct {
		Child struct {
			ID          int64  `json:"id"`
			DisplayName string `json:"display_name"`
		} `json:"child"`
	}
	// Typed loosely: lower case, with a dash.
	pending.Must(200, "POST", "/guardian-invites/accept", map[string]string{"code": strings.ToLower(code[:4]) + "-" + code[4:]}, &accepted)
	if accepted.Child.ID != k.UserID || accepted.Child.DisplayName == "" {
		t.Fatalf("accepted: %+v", accepted)
	}
	// Unusable until approved, and the admin sees who invited them.
	if r := pending.Do("GET", fmt.Sprintf("/children/%d/guardians", k.UserID), nil); r.Status != 403 || r.ErrorCode() != "awaiting_approval" {
		t.Fatalf("unapproved guardian: %d %s", r.Status, r.Body)
	}
	r := admin.Must(200, "GET", "/admin/users?approved=false", nil, nil)
	if want := fmt.Sprintf(`"child_id":%d`, k.UserID); !bytes.Contains(r.Body, []byte(want)) ||
		!bytes.Contains(r.Body, []byte(fmt.Sprintf(`"invited_by":%d`, fa.Parent.UserID))) {
		t.Fatalf("admin list does not say who invited the pending parent: %s", r.Body)
	}

	// Single use: a used code and an unknown one get the same answer.
	other := env.Family(admin, 0).Parent
	used := other.Do("POST", "/guardian-invites/accept", map[string]string{"code": code})
	unknown := other.Do("POST", "/guardian-invites/accept", map[string]string{"code": "222222222222"})
	if used.Status != 404 || used.ErrorCode() != "not_found" || used.ErrorField() != "code" || !bytes.Equal(used.Body, unknown.Body) {
		t.Fatalf("used code: %d %s; unknown code: %d %s", used.Status, used.Body, unknown.Status, unknown.Body)
	}

	// Expired after 7 days.
	late := fa.Parent.Invite(k.UserID)
	var ttl int64
	if err := env.DB.Pool.QueryRow(context.Background(),
		`UPDATE guardian_invites SET expires_at = CURRENT_TIMESTAMP - interval '1 second'
		 WHERE id = (SELECT max(id) FROM guardian_invites)
		 RETURNING extract(epoch FROM (SELECT expires_at - created_at FROM guardian_invites WHERE id = (SELECT max(id) FROM guardian_invites)))::bigint`).Scan(&ttl); err != nil {
		t.Fatal(err)
	}
	if ttl != 7*24*3600 {
		t.Fatalf("invite valid for %d s, want 7 days", ttl)
	}
	if r := other.Do("POST", "/guardian-invites/accept", map[string]string{"code": late}); r.Status != 404 || !bytes.Equal(r.Body, unknown.Body) {
		t.Fatalf("expired code: %d %s", r.Status, r.Body)
	}

	// Already a guardian: 409. A child or an admin: 403.
	if r := fa.Parent.Do("POST", "/guardian-invites/accept", map[string]string{"code": fa.Parent.Invite(k.UserID)}); r.Status != 409 {
		t.Fatalf("the primary accepting: %d %s", r.Status, r.Body)
	}
	for _, c := range []*apitest.Client{k, admin} {
		if r := c.Do("POST", "/guardian-invites/accept", map[string]string{"code": fa.Parent.Invite(k.UserID)}); r.Status != 403 {
			t.Fatalf("user %d accepting: %d %s", c.UserID, r.Status, r.Body)
		}
	}
	if r := other.Do("POST", "/guardian-invites/accept", map[string]string{"code": "not a code"}); r.Status != 400 || r.ErrorField() != "code" {
		t.Fatalf("malformed code: %d %s", r.Status, r.Body)
	}

	// Never as written in the tables, the audit log or the logs.
	for _, c := range []string{code, late} {
		var n int
		if err := env.DB.Pool.QueryRow(context.Background(), `
			SELECT (SELECT count(*) FROM guardian_invites gi WHERE strpos(row_to_json(gi)::text, $1) > 0)
			     + (SELECT count(*) FROM audit_logs a WHERE strpos(coalesce(a.before_json::text, '') || coalesce(a.after_json::text, ''), $1) > 0)
			     + (SELECT count(*) FROM live_events e WHERE strpos(e.data::text, $1) > 0)`, c).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 || strings.Contains(env.Logs.String(), c) {
			t.Fatalf("invite code %s stored, audited or logged as written (%d rows)", c, n)
		}
	}
}

// TestGuardianCodeGuessesLockOut: unknown codes count towards the friend
// codes' lock-out (10 in 15 minutes).
func TestGuardianCodeGuessesLockOut(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	p := env.Family(env.Admin(), 0).Parent
	for i := range 10 {
		if r := p.Do("POST", "/guardian-invites/accept", map[string]string{"code": fmt.Sprintf("2222222222%02d", 22+i%8)}); r.Status != 404 {
			t.Fatalf("guess %d: %d %s", i, r.Status, r.Body)
		}
	}
	if r := p.Do("POST", "/guardian-invites/accept", map[string]string{"code": "333333333333"}); r.Status != 429 {
		t.Fatalf("11th guess: %d %s", r.Status, r.Body)
	}
}

// TestGuardianRules: any guardian approves a contact link for their
// family, and GET /contacts names who approved; the primary hands primary
// over and may then be removed; the primary cannot leave.
func TestGuardianRules(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	fa, fb := env.Family(admin, 1), env.Family(admin, 1)
	k, b := fa.Child(), fb.Child()
	g := env.Guardian(admin, fa.Parent, k.UserID)
	gb := env.Guardian(admin, fb.Parent, b.UserID)

	var c contactJSON
	g.Must(201, "POST", "/contacts", map[string]any{"friend_code": friendCode(b), "child_id": k.UserID}, &c)
	r := gb.Must(200, "POST", fmt.Sprintf("/contacts/%d/approve", c.ID), nil, &c)
	if c.Status != "approved" {
		t.Fatalf("one approval from each family: %s", r.Body)
	}
	if r := fb.Parent.Do("POST", fmt.Sprintf("/contacts/%d/approve", c.ID), nil); r.Status != 409 {
		t.Fatalf("the other guardian of an approved side: %d %s", r.Status, r.Body)
	}
	var list struct {
		Items []struct {
			Children []struct {
				ChildID        int64  `json:"child_id"`
				ApprovedBy     *int64 `json:"approved_by"`
				ApprovedByName string `json:"approved_by_name"`
			}
		}
	}
	fa.Parent.Must(200, "GET", "/contacts", nil, &list)
	want := map[int64]int64{k.UserID: g.UserID, b.UserID: gb.UserID}
	for _, ch := range list.Items[0].Children {
		if ch.ApprovedBy == nil || *ch.ApprovedBy != want[ch.ChildID] || !strings.HasPrefix(ch.ApprovedByName, "Parent ") {
			t.Errorf("child %d approved by %v %q, want %d", ch.ChildID, ch.ApprovedBy, ch.ApprovedByName, want[ch.ChildID])
		}
	}
	// The second guardian chats with the child, and reads the pair's chat.
	kb := createDirect(k, b.UserID)
	g.Must(200, "GET", fmt.Sprintf("/conversations/%d/messages", kb.ID), nil, nil)
	createDirect(g, k.UserID)
	// But never with the other family's child.
	if r := g.Do("POST", "/conversations", map[string]any{"member_ids": []int64{k.UserID, b.UserID}, "is_group": true, "title": "x"}); r.Status != 403 {
		t.Fatalf("a guardian in a group with another family's child: %d %s", r.Status, r.Body)
	}

	if r := fa.Parent.Do("DELETE", fmt.Sprintf("/children/%d/guardians/%d", k.UserID, fa.Parent.UserID), nil); r.Status != 409 {
		t.Fatalf("the primary leaving: %d %s", r.Status, r.Body)
	}
	fa.Parent.Must(200, "POST", fmt.Sprintf("/children/%d/guardians/%d/primary", k.UserID, g.UserID), nil, nil)
	gs := guardiansOf(t, g, k.UserID)
	if len(gs) != 2 || gs[0].UserID != g.UserID || !gs[0].Primary || gs[1].UserID != fa.Parent.UserID || gs[1].Primary {
		t.Fatalf("after the hand-over: %+v", gs)
	}
	// The child still logs in: their primary is usable.
	k.Must(200, "GET", "/me", nil, nil)
	g.Must(204, "DELETE", fmt.Sprintf("/children/%d/guardians/%d", k.UserID, fa.Parent.UserID), nil, nil)
	if r := fa.Parent.Do("GET", "/children", nil); r.Status != 200 || bytes.Contains(r.Body, []byte(fmt.Sprintf(`"id":%d`, k.UserID))) {
		t.Fatalf("the old primary still lists the child: %s", r.Body)
	}
}

// TestDeletingAGuardian: deleting a second guardian's account keeps the
// child (and freezes their chat with the child, which loses a member);
// deleting the primary's removes the family, as before guardians.
func TestDeletingAGuardian(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	fa := env.Family(admin, 1)
	k := fa.Child()
	g := env.Guardian(admin, fa.Parent, k.UserID)
	gk := createDirect(g, k.UserID)
	admin.Must(204, "DELETE", fmt.Sprintf("/admin/users/%d", g.UserID), nil, nil)
	k.Must(200, "GET", "/me", nil, nil)
	var conv conversationJSON
	k.Must(200, "GET", fmt.Sprintf("/conversations/%d", gk.ID), nil, &conv)
	if !conv.Frozen {
		t.Fatalf("the child's chat with a deleted guardian is not frozen: %+v", conv)
	}
	if gs := guardiansOf(t, fa.Parent, k.UserID); len(gs) != 1 || gs[0].UserID != fa.Parent.UserID {
		t.Fatalf("guardians after the second's deletion: %+v", gs)
	}

	g2 := env.Guardian(admin, fa.Parent, k.UserID)
	admin.Must(204, "DELETE", fmt.Sprintf("/admin/users/%d", fa.Parent.UserID), nil, nil)
	if r := g2.Do("GET", fmt.Sprintf("/children/%d/guardians", k.UserID), nil); r.Status != 404 {
		t.Fatalf("the child outlived their primary's deletion: %d %s", r.Status, r.Body)
	}
	g2.Must(200, "GET", "/me", nil, nil)
}

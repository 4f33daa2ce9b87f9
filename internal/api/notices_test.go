package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"pixelpals/internal/apitest"
)

type noticeJSON struct {
	ID       int64
	ChildID  int64  `json:"child_id"`
	GameName string `json:"game_name"`
	Count    int64
	ConvID   *int64 `json:"conversation_id"`
}

// TestLeakNotices: the guard's refusals reach the parent as one notice per
// child and game, counted, kept (a later read still has them) until the
// parent dismisses one; dismissing covers only what the parent saw, is
// audited without the password, tells the parent's sockets, and is 404
// for another family. The dashboard keeps every hit.
func TestLeakNotices(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	fam, other := env.Family(admin, 2), env.Family(admin, 1)
	kid, sib, parent := fam.Children[0], fam.Children[1], fam.Parent
	for _, c := range []struct {
		child *apitest.Client
		game  string
		pass  string
	}{{kid, "Blockcraft", "Hunter2!"}, {kid, "Skyland", "Sunny-Pony-42"}, {sib, "Blockcraft", "Creeper99"}} {
		parent.Must(201, "POST", fmt.Sprintf("/children/%d/game-credentials", c.child.UserID),
			map[string]string{"game_name": c.game, "username": "kid", "password": c.pass}, nil)
	}
	convOf := map[int64]int64{}
	for _, c := range []*apitest.Client{kid, sib} {
		var conv struct{ ID int64 }
		c.Must(201, "POST", "/conversations", map[string]any{"member_ids": []int64{parent.UserID}, "is_group": false}, &conv)
		convOf[c.UserID] = conv.ID
	}
	n := 0
	leak := func(c *apitest.Client, text string) {
		t.Helper()
		n++
		c.Must(422, "POST", fmt.Sprintf("/conversations/%d/messages", convOf[c.UserID]),
			map[string]string{"type": "text", "content": text, "client_id": fmt.Sprintf("leak-%d", n)}, nil)
	}
	notices := func(c *apitest.Client) []noticeJSON {
		t.Helper()
		var list pageJSON[noticeJSON]
		c.Must(200, "GET", "/me/notices", nil, &list)
		if strings.Contains(strings.ToLower(fmt.Sprint(list)), "hunter") {
			t.Fatalf("a notice holds the password: %+v", list)
		}
		return list.Items
	}
	leak(kid, "Hunter2!")
	leak(kid, "my pass Hunter2!")
	leak(kid, "sunny-pony-42")
	leak(sib, "creeper99")
	leak(kid, "HUNTER2!")

	got := notices(parent)
	want := []string{fmt.Sprintf("%d Blockcraft 3", kid.UserID), fmt.Sprintf("%d Blockcraft 1", sib.UserID), fmt.Sprintf("%d Skyland 1", kid.UserID)}
	if len(got) != len(want) {
		t.Fatalf("notices: %+v, want %v", got, want)
	}
	for i, w := range want {
		if g := fmt.Sprintf("%d %s %d", got[i].ChildID, got[i].GameName, got[i].Count); g != w || got[i].ConvID == nil || *got[i].ConvID != convOf[got[i].ChildID] {
			t.Errorf("notice %d: %+v, want %s", i, got[i], w)
		}
	}
	if len(notices(other.Parent)) != 0 {
		t.Fatal("another parent sees notices")
	}
	blockcraft := got[0]

	// Another family's parent, and bad ids, change nothing.
	wantStatus(t, other.Parent.Do("DELETE", fmt.Sprintf("/me/notices/%d", blockcraft.ID), nil), 404, "not_found")
	for _, bad := range []string{"abc", "0", "-1", "99999999999999999999"} {
		if r := parent.Do("DELETE", "/me/notices/"+bad, nil); r.Status != 400 && r.Status != 404 {
			t.Errorf("dismiss %q: %d %s", bad, r.Status, r.Body)
		}
	}
	if len(notices(parent)) != 3 {
		t.Fatal("a refused dismissal dismissed something")
	}

	// A hit after the parent read the list stays a notice of its own.
	ps := parent.Socket("")
	defer ps.Close()
	leak(kid, "Hunter2! again")
	nextOf(t, ps, "leak_guard.blocked")
	parent.Must(204, "DELETE", fmt.Sprintf("/me/notices/%d", blockcraft.ID), nil, nil)
	f := nextOf(t, ps, "notice.dismissed")
	var d noticeJSON
	json.Unmarshal(f.Data, &d)
	if d.ID != blockcraft.ID || d.ChildID != kid.UserID || d.GameName != "Blockcraft" {
		t.Fatalf("notice.dismissed: %s", f.Data)
	}
	got = notices(parent)
	if len(got) != 3 || got[0].GameName != "Blockcraft" || got[0].ChildID != kid.UserID || got[0].Count != 1 || got[0].ID == blockcraft.ID {
		t.Fatalf("after dismissing what was seen: %+v", got)
	}
	// Dismissing it again is no error and writes nothing more.
	parent.Must(204, "DELETE", fmt.Sprintf("/me/notices/%d", blockcraft.ID), nil, nil)
	parent.Must(204, "DELETE", fmt.Sprintf("/me/notices/%d", got[0].ID), nil, nil)
	if left := notices(parent); len(left) != 2 {
		t.Fatalf("after dismissing both Blockcraft notices: %+v", left)
	}
	var audits int
	if err := env.DB.Pool.QueryRow(t.Context(), `SELECT count(*) FROM audit_logs WHERE action = 'leak_guard.notice_dismiss'
		AND entity_id = $1 AND after_json->>'game_name' = 'Blockcraft' AND after_json::text NOT ILIKE '%hunter%'`, kid.UserID).Scan(&audits); err != nil {
		t.Fatal(err)
	}
	if audits != 2 {
		t.Fatalf("%d audit rows, want 2", audits)
	}
	// The dashboard still has every hit.
	var act struct {
		Leaks []struct{ GameName string } `json:"leak_guard_hits"`
	}
	parent.Must(200, "GET", fmt.Sprintf("/children/%d/activity", kid.UserID), nil, &act)
	if len(act.Leaks) != 5 {
		t.Fatalf("dashboard: %d hits, want 5", len(act.Leaks))
	}

	// A deleted child's notices go with them.
	parent.Must(204, "DELETE", fmt.Sprintf("/children/%d", sib.UserID), nil, nil)
	if left := notices(parent); len(left) != 1 || left[0].GameName != "Skyland" {
		t.Fatalf("after deleting a child: %+v", left)
	}
}

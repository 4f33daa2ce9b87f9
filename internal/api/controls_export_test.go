package api_test

import (
	"fmt"
	"strings"
	"testing"

	"pixelpals/internal/apitest"
)

// TestExportHoldsControls: the child's export (SPEC §9) holds their sleep
// schedule (null when none) and the leak guard's refusals of their sends,
// naming the game, never the password; a sibling's are not in it.
func TestExportHoldsControls(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	fam := env.Family(env.Admin(), 2)
	kid, sibling, parent := fam.Children[0], fam.Children[1], fam.Parent
	type export struct {
		SleepMode *struct {
			ChildID     int64  `json:"child_id"`
			TimeZone    string `json:"time_zone"`
			Weekday     *struct{ Start, End int }
			Weekend     *struct{ Start, End int }
			AllowParent bool `json:"allow_parent_messages"`
		} `json:"sleep_mode"`
		LeakGuardHits []struct {
			ID             int64  `json:"id"`
			GameName       string `json:"game_name"`
			ConversationID *int64 `json:"conversation_id"`
			At             string `json:"at"`
		} `json:"leak_guard_hits"`
	}
	path := fmt.Sprintf("/children/%d/export", kid.UserID)
	var before export
	r := parent.Must(200, "GET", path, nil, &before)
	if before.SleepMode != nil || before.LeakGuardHits == nil || len(before.LeakGuardHits) != 0 ||
		!strings.Contains(string(r.Body), `"sleep_mode":null`) {
		t.Fatalf("export before any control: %s", r.Body)
	}

	parent.Must(200, "PUT", fmt.Sprintf("/children/%d/sleep-mode", kid.UserID), map[string]any{
		"time_zone": "Europe/Berlin", "weekday": map[string]string{"start": "21:00", "end": "07:00"},
		"weekend": nil, "allow_parent_messages": true}, nil)
	for _, c := range []*apitest.Client{kid, sibling} {
		parent.Must(201, "POST", fmt.Sprintf("/children/%d/game-credentials", c.UserID),
			map[string]string{"game_name": "Blockcraft", "username": "kid", "password": "Hunter2!"}, nil)
	}
	var conv struct{ ID int64 }
	kid.Must(201, "POST", "/conversations", map[string]any{"member_ids": []int64{parent.UserID}, "is_group": false}, &conv)
	var sconv struct{ ID int64 }
	sibling.Must(201, "POST", "/conversations", map[string]any{"member_ids": []int64{parent.UserID}, "is_group": false}, &sconv)
	for i, c := range []struct {
		who  *apitest.Client
		conv int64
	}{{kid, conv.ID}, {sibling, sconv.ID}, {sibling, sconv.ID}} {
		if r := c.who.Do("POST", fmt.Sprintf("/conversations/%d/messages", c.conv),
			map[string]string{"type": "text", "content": "my pass is HUNTER2!", "client_id": fmt.Sprintf("x-%d", i)}); r.Status != 422 {
			t.Fatalf("leak %d: %d %s", i, r.Status, r.Body)
		}
	}

	var after export
	r = parent.Must(200, "GET", path, nil, &after)
	s := after.SleepMode
	if s == nil || s.ChildID != kid.UserID || s.TimeZone != "Europe/Berlin" || s.Weekday == nil ||
		s.Weekday.Start != 21*60 || s.Weekday.End != 7*60 || s.Weekend != nil || !s.AllowParent {
		t.Fatalf("export sleep mode: %s", r.Body)
	}
	if len(after.LeakGuardHits) != 1 || after.LeakGuardHits[0].GameName != "Blockcraft" ||
		after.LeakGuardHits[0].ConversationID == nil || *after.LeakGuardHits[0].ConversationID != conv.ID ||
		after.LeakGuardHits[0].At == "" {
		t.Fatalf("export leak guard hits (the child's one only): %s", r.Body)
	}
	if strings.Contains(strings.ToLower(string(r.Body)), "hunter") {
		t.Fatalf("the export holds the password: %s", r.Body)
	}
}

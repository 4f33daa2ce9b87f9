package api_test

import (
	"testing"

	"pixelpals/internal/apitest"
)

// TestNotificationPrefs: the digest's time zone and the weekly summary
// are read and set with the kinds; a zone time.LoadLocation does not know,
// or a weekly_summary that is not a boolean, is a 400 naming the field and
// changes nothing, not even the valid kinds beside it.
func TestNotificationPrefs(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	fa := env.Family(env.Admin(), 1)
	var s map[string]any
	fa.Parent.Must(200, "GET", "/me/notification-settings", nil, &s)
	if s["time_zone"] != "UTC" || s["weekly_summary"] != true {
		t.Fatalf("defaults: %v", s)
	}
	fa.Parent.Must(200, "PUT", "/me/notification-settings", map[string]any{"time_zone": "Asia/Tokyo", "leak_guard": "daily"}, &s)
	if s["time_zone"] != "Asia/Tokyo" || s["weekly_summary"] != true || s["leak_guard"] != "daily" {
		t.Fatalf("after setting the zone: %v", s)
	}
	fa.Parent.Must(200, "PUT", "/me/notification-settings", map[string]any{"weekly_summary": false}, &s)
	if s["time_zone"] != "Asia/Tokyo" || s["weekly_summary"] != false {
		t.Fatalf("after switching the summary off: %v", s)
	}
	for _, bad := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"time_zone": "Mars/Olympus", "contact_request": "off"}, "time_zone"},
		{map[string]any{"time_zone": "Local"}, "time_zone"},
		{map[string]any{"time_zone": ""}, "time_zone"},
		{map[string]any{"time_zone": 9}, "time_zone"},
		{map[string]any{"weekly_summary": "yes", "contact_request": "off"}, "weekly_summary"},
	} {
		r := fa.Parent.Do("PUT", "/me/notification-settings", bad.body)
		if r.Status != 400 || r.ErrorCode() != "invalid" || r.ErrorField() != bad.field {
			t.Errorf("%v: %d %s, want 400 naming %s", bad.body, r.Status, r.Body, bad.field)
		}
	}
	fa.Parent.Must(200, "GET", "/me/notification-settings", nil, &s)
	if s["time_zone"] != "Asia/Tokyo" || s["weekly_summary"] != false || s["contact_request"] != "now" {
		t.Fatalf("a refused PUT changed something: %v", s)
	}
}

package config

import (
	"slices"
	"testing"
	"time"
)

func load(t *testing.T, env map[string]string) (Config, error) {
	t.Helper()
	c := Load(func(k string) string { return env[k] })
	return c, c.Finish()
}

func TestLiveSettings(t *testing.T) {
	c, err := load(t, nil)
	if err != nil || c.LiveReplayWindow != 7*24*time.Hour || c.ListenDatabaseURL != "" || c.AllowedOrigins != nil {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	c, err = load(t, map[string]string{
		"PIXELPALS_LIVE_REPLAY_WINDOW":  "48h",
		"PIXELPALS_ALLOWED_ORIGINS":     "https://app.example.org, http://localhost:3000/",
		"PIXELPALS_LISTEN_DATABASE_URL": "postgres://direct/db",
	})
	if err != nil || c.LiveReplayWindow != 48*time.Hour || c.ListenDatabaseURL != "postgres://direct/db" ||
		!slices.Equal(c.AllowedOrigins, []string{"https://app.example.org", "http://localhost:3000"}) {
		t.Fatalf("set: %+v %v", c, err)
	}
	for _, bad := range []map[string]string{
		{"PIXELPALS_LIVE_REPLAY_WINDOW": "7 days"},
		{"PIXELPALS_LIVE_REPLAY_WINDOW": "-1h"},
		{"PIXELPALS_ALLOWED_ORIGINS": "app.example.org"},
		{"PIXELPALS_ALLOWED_ORIGINS": "https://app.example.org/path"},
		{"PIXELPALS_ALLOWED_ORIGINS": "ftp://app.example.org"},
	} {
		if _, err := load(t, bad); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

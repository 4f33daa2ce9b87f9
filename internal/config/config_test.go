package config

import (
	"flag"
	"slices"
	"strings"
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

// TestHelpHidesPasswords: --help prints each flag's default, taken from
// the environment; a database password must never be part of it.
func TestHelpHidesPasswords(t *testing.T) {
	for _, conn := range []string{
		"postgres://app:s3cretpw@db.example:5432/pp",
		"postgres://app@db.example/pp?password=s3cretpw&sslmode=require",
		"host=db.example user=app password=s3cretpw dbname=pp",
		"host=db.example password='s3cret pw' dbname=pp",
	} {
		env := map[string]string{"DATABASE_URL": conn, "PIXELPALS_LISTEN_DATABASE_URL": conn}
		c := Load(func(k string) string { return env[k] })
		fs := flag.NewFlagSet("x", flag.ContinueOnError)
		var out strings.Builder
		fs.SetOutput(&out)
		c.Bind(fs)
		fs.PrintDefaults()
		if strings.Contains(out.String(), "s3cret") {
			t.Errorf("help for %q shows the password:\n%s", conn, out.String())
		}
		if !strings.Contains(out.String(), "db.example") {
			t.Errorf("help for %q lost the host:\n%s", conn, out.String())
		}
		if err := fs.Parse([]string{"-database-url", "postgres://x:y@h/d"}); err != nil || c.DatabaseURL != "postgres://x:y@h/d" {
			t.Errorf("the flag does not set the URL: %v %q", err, c.DatabaseURL)
		}
	}
}

func TestDBMaxConns(t *testing.T) {
	c, err := load(t, nil)
	if err != nil || c.DBMaxConns != 0 {
		t.Fatalf("default: %d %v", c.DBMaxConns, err)
	}
	if c, err = load(t, map[string]string{"PIXELPALS_DB_MAX_CONNS": "32"}); err != nil || c.DBMaxConns != 32 {
		t.Fatalf("32: %d %v", c.DBMaxConns, err)
	}
	if c, err = load(t, map[string]string{"PIXELPALS_DB_MAX_CONNS": "200", "DATABASE_URL": "postgres://db/x"}); err != nil || c.DBMaxConns != 200 {
		t.Fatalf("200 on a server of one's own: %d %v", c.DBMaxConns, err)
	}
	for _, bad := range []string{"0", "-1", "many", "81", "1.5"} {
		if _, err := load(t, map[string]string{"PIXELPALS_DB_MAX_CONNS": bad}); err == nil {
			t.Errorf("%q accepted for the embedded cluster", bad)
		}
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	c = Load(func(string) string { return "" })
	c.Bind(fs)
	if err := fs.Parse([]string{"--db-max-conns", "24"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Finish(); err != nil || c.DBMaxConns != 24 {
		t.Fatalf("--db-max-conns 24: %d %v", c.DBMaxConns, err)
	}
}

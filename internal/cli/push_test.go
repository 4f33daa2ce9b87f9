package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pixelpals/internal/notify"
	"pixelpals/internal/pgtest"
)

// waitExit waits for a serve that must refuse to start, and returns its
// exit code.
func (in *instance) waitExit(t *testing.T) int {
	t.Helper()
	select {
	case code := <-in.done:
		in.done <- 0 // for the cleanup's stop
		return code
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not stop:\n%s", in.logs)
		return 0
	}
}

// TestServeVAPIDKeys: with no keys given, serve generates a pair into the
// data directory (0600) and the next start keeps it; a pair given by
// environment is used instead; half a pair, or two halves that do not
// belong together, stop the start. The private key is never logged.
func TestServeVAPIDKeys(t *testing.T) {
	url := pgtest.EmptyURL(t)
	dir := t.TempDir()
	env := map[string]string{"DATABASE_URL": url, "PIXELPALS_VAULT_KEYS": keyLine(t, 1), "PIXELPALS_DATA_DIR": dir}

	first := serve(t, env)
	ready(t, first.addr(t))
	first.stop(t)
	file := filepath.Join(dir, "vapid.json")
	info, err := os.Stat(file)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("vapid.json: %v, mode %v; want 0600", err, info)
	}
	var kept notify.VAPID
	b, _ := os.ReadFile(file)
	if err := json.Unmarshal(b, &kept); err != nil || kept.Check() != nil {
		t.Fatalf("vapid.json does not hold a key pair: %v", err)
	}
	second := serve(t, env)
	ready(t, second.addr(t))
	second.stop(t)
	for _, in := range []*instance{first, second} {
		if !strings.Contains(in.logs.String(), `"msg":"web push keys loaded","source":"`+file+`","public_key":"`+kept.PublicKey+`"`) {
			t.Fatalf("the kept pair was not loaded:\n%s", in.logs)
		}
	}

	given, _ := notify.GenerateVAPID()
	env["PIXELPALS_VAPID_PUBLIC_KEY"], env["PIXELPALS_VAPID_PRIVATE_KEY"] = given.PublicKey, given.PrivateKey
	third := serve(t, env)
	ready(t, third.addr(t))
	third.stop(t)
	if !strings.Contains(third.logs.String(), `"source":"environment","public_key":"`+given.PublicKey+`"`) {
		t.Fatalf("the pair given by environment was not used:\n%s", third.logs)
	}

	other, _ := notify.GenerateVAPID()
	for name, pair := range map[string][2]string{
		"half a pair":    {given.PublicKey, ""},
		"foreign halves": {other.PublicKey, given.PrivateKey},
	} {
		env["PIXELPALS_VAPID_PUBLIC_KEY"], env["PIXELPALS_VAPID_PRIVATE_KEY"] = pair[0], pair[1]
		in := serve(t, env)
		if code := in.waitExit(t); code == 0 || !strings.Contains(in.logs.String(), "VAPID") && !strings.Contains(in.logs.String(), "vapid") {
			t.Errorf("%s: serve exited %d:\n%s", name, code, in.logs)
		}
		if strings.Contains(in.logs.String(), given.PrivateKey) {
			t.Errorf("%s: the private key was logged", name)
		}
	}
	for _, in := range []*instance{first, second, third} {
		if strings.Contains(in.logs.String(), kept.PrivateKey) || strings.Contains(in.logs.String(), given.PrivateKey) {
			t.Fatal("a private key was logged")
		}
	}
}

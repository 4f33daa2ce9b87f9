package cli_test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pixelpals/internal/pgtest"
)

// TestServeWritesMailsToDataDir: `serve` with no SMTP server runs the
// notification worker, which writes an approved parent's mail as an .eml
// file under <data dir>/mail/, says once in the log where, counts it in
// /metrics, and stops with serve (exit 0).
func TestServeWritesMailsToDataDir(t *testing.T) {
	dataDir := t.TempDir()
	env := map[string]string{"DATABASE_URL": pgtest.URL(t), "PIXELPALS_VAULT_KEYS": keyLine(t, 1), "PIXELPALS_DATA_DIR": dataDir}
	srv := serve(t, env)
	base := "http://" + srv.addr(t)
	createAdmin(t, env)
	anon := &client{t: t, base: base}
	family(anon, anon.login("admin@example.com", "admin-password"), 1)

	mailDir := filepath.Join(dataDir, "mail")
	var eml []byte
	deadline := time.Now().Add(time.Minute)
	for {
		files, _ := filepath.Glob(filepath.Join(mailDir, "notification-*.eml"))
		if len(files) == 2 { // the sign-up's verification link (issue 22.4), then the approval
			for _, f := range files {
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				eml = append(eml, b...)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no mail in %s after a minute (%d files):\n%s", mailDir, len(files), srv.logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(string(eml), "To: <parent1@example.com>") || !strings.Contains(string(eml), "Pixel Pals: Your account is approved") ||
		!strings.Contains(string(eml), "Pixel Pals: Confirm your email address") || !strings.Contains(string(eml), "/#/verify-email/") {
		t.Fatalf("mail:\n%s", eml)
	}
	if n := strings.Count(srv.logs.String(), `"dir":"`+mailDir+`"`); n != 1 {
		t.Fatalf("the log names the mail directory %d times, want once:\n%s", n, srv.logs)
	}
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(metrics), "pixelpals_notifications_sent_total 2") {
		t.Fatalf("metrics lack two sent notifications:\n%s", metrics)
	}
	srv.stop(t) // exit 0: the worker stopped with serve's context
}

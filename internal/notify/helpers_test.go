package notify_test

import (
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"pixelpals/internal/apitest"
)

func readFile(name string) ([]byte, error) { return os.ReadFile(name) }

// waitFor polls cond until it holds, failing the test after a minute.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func readAll(resp *http.Response) string {
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// settleSignups marks the sign-ups' verification mails sent, for the tests
// about the other kinds; recovery_test.go reads those mails.
func settleSignups(t *testing.T, env *apitest.Env) {
	t.Helper()
	_, err := env.DB.Pool.Exec(t.Context(), `UPDATE notifications SET state = 'sent', sent_at = CURRENT_TIMESTAMP, mailed_at = CURRENT_TIMESTAMP, pushed_at = CURRENT_TIMESTAMP WHERE kind = 'verify_email' AND state = 'pending'`)
	if err != nil {
		t.Fatal(err)
	}
}

package cli_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"pixelpals/internal/apitest"
	"pixelpals/internal/pgtest"
)

// startLiveInstance starts `pixelpals serve` as its own process (this test
// binary re-run as the command) and returns its base URL and process.
func startLiveInstance(t *testing.T, env map[string]string) (string, *os.Process) {
	t.Helper()
	args, _ := json.Marshal([]string{"serve", "--addr", "127.0.0.1:0"})
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), subprocessArgs+"="+string(args))
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var rec struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "pixelpals listening" {
				addr <- rec.Addr
			}

		}
	}()
	select {
	case a := <-addr:
		return "http://" + a, cmd.Process
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not come up")
	}
	return "", nil
}

func socket(t *testing.T, base string, c *client, since string) *apitest.Socket {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, _, err := apitest.DialSocket(ctx, base, c.token, since, nil)
	if err != nil {
		t.Fatalf("socket on %s: %v", base, err)
	}
	t.Cleanup(func() { s.Conn.CloseNow() })
	return s
}

// TestLiveAcrossInstances runs two `serve` processes on one database: a
// client on A receives a message sent through B, and after being away it
// reconnects (to B) with its cursor and receives exactly what it missed.
func TestLiveAcrossInstances(t *testing.T) {
	url := pgtest.URL(t)
	env := map[string]string{"DATABASE_URL": url, "PIXELPALS_VAULT_KEYS": keyLine(t, 1)}
	createAdmin(t, env)
	baseA, _ := startLiveInstance(t, env)
	baseB, procB := startLiveInstance(t, env)
	anonA := &client{t: t, base: baseA}
	admin := anonA.login("admin@example.com", "admin-password")
	pa, a, aID := family(anonA, admin, 1)
	pb, b, bID := family(anonA, admin, 2)
	convID := directChat(pa, a, aID, pb, b, bID)

	// b listens on A; a sends through B.
	onA := socket(t, baseA, b, "")
	aOnB := &client{t: t, base: baseB, token: a.token}
	var m idOnly
	aOnB.call("POST", fmt.Sprintf("/conversations/%d/messages", convID), map[string]any{"type": "text", "content": "via B", "client_id": "x1"}, 201, &m)
	f, err := onA.Next(10 * time.Second)
	if err != nil || f.Type != "message.created" {
		t.Fatalf("on A: %+v %v", f, err)
	}
	var got idOnly
	json.Unmarshal(f.Data, &got)
	if got.ID != m.ID {
		t.Fatalf("on A: message %d, want %d", got.ID, m.ID)
	}
	onA.Close()

	// Away: 6 messages (through both instances) and a deletion.
	var missed []string
	for i := range 6 {
		via := aOnB
		if i%2 == 0 {
			via = &client{t: t, base: baseA, token: a.token}
		}
		var sent idOnly
		via.call("POST", fmt.Sprintf("/conversations/%d/messages", convID), map[string]any{"type": "text", "content": fmt.Sprint("away ", i), "client_id": fmt.Sprint("y", i)}, 201, &sent)
		missed = append(missed, fmt.Sprintf("message.created %d", sent.ID))
	}
	aOnB.call("DELETE", fmt.Sprintf("/messages/%d", m.ID), nil, 204, nil)
	missed = append(missed, fmt.Sprintf("message.deleted %d", m.ID))

	onB := socket(t, baseB, b, f.ID)
	var replayed []string
	seen := map[string]bool{}
	for len(replayed) < len(missed) {
		fr, err := onB.Next(10 * time.Second)
		if err != nil {
			t.Fatalf("replay after %d of %d: %v", len(replayed), len(missed), err)
		}
		if seen[fr.ID] {
			t.Fatalf("duplicate event %s", fr.ID)
		}
		seen[fr.ID] = true
		var d idOnly
		json.Unmarshal(fr.Data, &d)
		replayed = append(replayed, fmt.Sprintf("%s %d", fr.Type, d.ID))
	}
	if strings.Join(replayed, ",") != strings.Join(missed, ",") {
		t.Fatalf("replayed %v, want %v", replayed, missed)
	}
	if fr, err := onB.Next(300 * time.Millisecond); err == nil {
		t.Fatalf("more than the %d missed events: %s", len(missed), fr.Type)
	}
	t.Logf("reconnect with since replayed exactly the %d missed events", len(missed))
	// And live on B for a send through A.
	(&client{t: t, base: baseA, token: a.token}).call("POST", fmt.Sprintf("/conversations/%d/messages", convID),
		map[string]any{"type": "text", "content": "live", "client_id": "z"}, 201, &m)
	fr, err := onB.Next(10 * time.Second)
	json.Unmarshal(fr.Data, &got)
	if err != nil || got.ID != m.ID {
		t.Fatalf("live on B: %+v %v", fr, err)
	}
	// B stops: its sockets are told to go away (and reconnect elsewhere).
	procB.Signal(os.Interrupt)
	if code, _ := onB.Closed(20 * time.Second); code != websocket.StatusGoingAway {
		t.Fatalf("on B's shutdown: close code %d, want 1001", code)
	}
}

func (c *client) userID(t *testing.T) int64 {
	t.Helper()
	var me struct{ User idOnly }
	c.call("GET", "/me", nil, 200, &me)
	return me.User.ID
}

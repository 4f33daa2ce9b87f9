package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"pixelpals/internal/pgtest"
	"pixelpals/internal/store"
)

// TestSendsSurviveAKill kills a real `serve` (SIGKILL) in the middle of a
// burst of concurrent sends, while batches are in flight, then has the
// clients retry every send that was not acknowledged, with the same
// client_id, through a second instance: every acknowledged message is
// stored exactly once with the id it was acknowledged with, and no send is
// stored twice.
func TestSendsSurviveAKill(t *testing.T) {
	url := pgtest.URL(t)
	env := map[string]string{"DATABASE_URL": url, "PIXELPALS_VAULT_KEYS": keyLine(t, 1)}
	createAdmin(t, env)
	base, proc := startLiveInstance(t, env)
	anon := &client{t: t, base: base}
	admin := anon.login("admin@example.com", "admin-password")
	pa, a, aID := family(anon, admin, 1)
	pb, b, bID := family(anon, admin, 2)
	convID := directChat(pa, a, aID, pb, b, bID)

	// 2 children x 15 sends (under the flood control's burst of 20), from
	// 8 goroutines; SIGKILL once a few are acknowledged.
	type send struct {
		from     *client
		clientID string
	}
	var sends []send
	for i := range 15 {
		sends = append(sends, send{a, fmt.Sprintf("a-%d", i)}, send{b, fmt.Sprintf("b-%d", i)})
	}
	post := func(base, token, clientID string) (id int64, status int, err error) {
		body, _ := json.Marshal(map[string]any{"type": "text", "content": "burst " + clientID, "client_id": clientID})
		req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/conversations/%d/messages", base, convID), bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := (&http.Client{Timeout: 20 * time.Second}).Do(req)
		if err != nil {
			return 0, 0, err
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var m idOnly
		if resp.StatusCode == 201 || resp.StatusCode == 200 {
			if err := json.Unmarshal(raw, &m); err != nil {
				return 0, resp.StatusCode, err
			}
		}
		return m.ID, resp.StatusCode, nil
	}
	var mu sync.Mutex
	acked := map[string]int64{} // client id -> message id
	work := make(chan send)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range work {
				id, status, err := post(base, s.from.token, s.clientID)
				if err != nil || status != 201 {
					continue // not acknowledged: the connection died, or the server was going
				}
				mu.Lock()
				acked[s.clientID] = id
				n := len(acked)
				mu.Unlock()
				if n == 6 {
					proc.Signal(syscall.SIGKILL)
				}
			}
		}()
	}
	for _, s := range sends {
		work <- s
	}
	close(work)
	wg.Wait()
	if st, err := proc.Wait(); err != nil || st.Success() {
		t.Fatalf("serve: %v %v; it was to be killed", st, err)
	}
	t.Logf("%d of %d sends acknowledged before the kill", len(acked), len(sends))
	if len(acked) < 6 || len(acked) == len(sends) {
		t.Fatalf("%d of %d acknowledged: the kill did not land mid-burst", len(acked), len(sends))
	}

	// A second instance; each unacknowledged send is retried with its
	// client_id (201 when it had not committed, 200 when it had), and one
	// acknowledged send is retried too (200, the same message).
	base2, _ := startLiveInstance(t, env)
	stored := map[string]int64{}
	committedUnacked := 0
	for _, s := range sends {
		if _, ok := acked[s.clientID]; ok {
			continue
		}
		id, status, err := post(base2, s.from.token, s.clientID)
		if err != nil || (status != 201 && status != 200) {
			t.Fatalf("retry of %s: %d %v", s.clientID, status, err)
		}
		stored[s.clientID] = id
		if status == 200 {
			committedUnacked++
		}
	}
	t.Logf("%d unacknowledged sends had committed before the kill (their retry answered 200)", committedUnacked)
	for cid, want := range acked {
		from := a
		if strings.HasPrefix(cid, "b-") {
			from = b
		}
		id, status, err := post(base2, from.token, cid)
		if err != nil || status != 200 || id != want {
			t.Fatalf("retry of acknowledged %s: %d, message %d (%v); want 200, message %d", cid, status, id, err, want)
		}
		break
	}

	db, err := store.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Pool.Query(context.Background(), `SELECT client_id, id FROM messages WHERE conversation_id = $1 AND type = 'text'`, convID)
	if err != nil {
		t.Fatal(err)
	}
	inDB := map[string][]int64{}
	var cid string
	var id int64
	for rows.Next() {
		if err := rows.Scan(&cid, &id); err != nil {
			t.Fatal(err)
		}
		inDB[cid] = append(inDB[cid], id)
	}
	if len(inDB) != len(sends) {
		t.Errorf("%d distinct client ids stored, want %d", len(inDB), len(sends))
	}
	for _, s := range sends {
		ids := inDB[s.clientID]
		want, ok := acked[s.clientID]
		if !ok {
			want = stored[s.clientID]
		}
		if len(ids) != 1 || ids[0] != want {
			t.Errorf("%s: stored as %v, want exactly message %d", s.clientID, ids, want)
		}
	}
}

package deploytest_test

import (
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"pixelpals/internal/deploytest"
)

// load is senders posting messages until stopped, remembering every
// message the service acknowledged with 201.
type load struct {
	mu       sync.Mutex
	acked    []string       // contents answered 201
	statuses map[string]int // answers other than 201 ("error" when none came)
	stop     chan struct{}
	wg       sync.WaitGroup
}

func (l *load) ackedCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

func (l *load) snapshot() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.acked...)
}

type sender struct {
	kid  *deploytest.Client
	conv int64
}

// startLoad has each sender post numbered messages as fast as the service
// lets it (the send rate limit answers 429 past a burst; those are simply
// not acknowledged).
func startLoad(senders []sender) *load {
	l := &load{statuses: map[string]int{}, stop: make(chan struct{})}
	for i, s := range senders {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for seq := 0; ; seq++ {
				select {
				case <-l.stop:
					return
				default:
				}
				content := fmt.Sprintf("sender %d message %d", i, seq)
				r, err := s.kid.Do("POST", fmt.Sprintf("/conversations/%d/messages", s.conv),
					map[string]string{"type": "text", "content": content, "client_id": fmt.Sprintf("s%d-%d", i, seq)})
				l.mu.Lock()
				switch {
				case err != nil:
					l.statuses["error"]++
				case r.Status == 201:
					l.acked = append(l.acked, content)
				default:
					l.statuses[fmt.Sprint(r.Status)]++
				}
				l.mu.Unlock()
				if err != nil || r.Status != 201 {
					time.Sleep(50 * time.Millisecond)
				}
			}
		}()
	}
	return l
}

func (l *load) halt() {
	close(l.stop)
	l.wg.Wait()
}

// waitAcked waits until at least n messages were acknowledged.
func waitAcked(t *testing.T, l *load, n int, srv *deploytest.Server) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for l.ackedCount() < n {
		if time.Now().After(deadline) {
			l.mu.Lock()
			defer l.mu.Unlock()
			t.Fatalf("only %d of %d messages acknowledged; other answers %v\n%s", len(l.acked), n, l.statuses, srv.Output)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestFailoverToSynchronousStandby runs the service on a primary with a
// synchronous standby (synchronous_standby_names) and an asynchronous one,
// both made with `pg_basebackup -R`, sends messages through the API from
// several children, stops the primary the hard way (immediate: no
// checkpoint, no goodbye) in the middle of the load, promotes the
// synchronous standby and lets the service find it: its DATABASE_URL names
// both servers with target_session_attrs=read-write, so new connections go
// to whichever accepts writes. Every message acknowledged with 201 must be
// on the new primary, and the service must answer again.
//
// The asynchronous standby's WAL receiver is paused half way through the
// load, as a standby that lags or is cut off from the primary would be;
// the test counts the acknowledged messages it would have lost had it
// been promoted instead (docs/replication.md).
func TestFailoverToSynchronousStandby(t *testing.T) {
	primary := deploytest.NewPostgres(t, "primary", true)
	primary.Exec(t, "postgres", "CREATE DATABASE pixelpals")
	standby := primary.Standby(t, "standby", "standby1")
	async := primary.Standby(t, "async", "async1")
	primary.Exec(t, "postgres", "ALTER SYSTEM SET synchronous_standby_names = 'FIRST 1 (standby1)'")
	primary.Exec(t, "postgres", "SELECT pg_reload_conf()")
	primary.WaitSyncStandby(t, "standby1", "sync")
	primary.WaitSyncStandby(t, "async1", "async")

	url := fmt.Sprintf("host=%s,%s port=5432,5432 user=postgres dbname=pixelpals sslmode=disable "+
		"target_session_attrs=read-write connect_timeout=5", primary.Dir(), standby.Dir())
	srv := deploytest.Serve(t, map[string]string{"DATABASE_URL": url, "PIXELPALS_VAULT_KEYS": deploytest.KeyLine(t)})
	deploytest.CreateAdmin(t, url, "admin@example.com", "admin-password")
	anon := deploytest.NewClient(t, srv.URL())
	admin := anon.Login("admin@example.com", "admin-password")

	// Four children, each chatting with their parent.
	var senders []sender
	for i := range 4 {
		email := fmt.Sprintf("parent%d@example.com", i)
		var signup struct{ User deploytest.ID }
		anon.Must(201, "POST", "/auth/signup", map[string]string{"email": email, "password": "parent-password", "display_name": "Parent"}, &signup)
		admin.Must(200, "POST", fmt.Sprintf("/admin/users/%d/approve", signup.User.ID), nil, nil)
		parent := anon.Login(email, "parent-password")
		parent.Must(201, "POST", "/children", map[string]string{"login": fmt.Sprintf("kid%d", i), "password": "kidpass", "display_name": "Kid"}, nil)
		kid := anon.Login(fmt.Sprintf("kid%d", i), "kidpass")
		var conv deploytest.ID
		kid.Must(201, "POST", "/conversations", map[string]any{"member_ids": []int64{parent.UserID}, "is_group": false}, &conv)
		senders = append(senders, sender{kid, conv.ID})
	}

	l := startLoad(senders)
	defer func() {
		select {
		case <-l.stop:
		default:
			l.halt()
		}
	}()
	waitAcked(t, l, 40, srv)

	// Cut the asynchronous standby off: its WAL receiver stops reading.
	var receiver int
	async.QueryRow(t, "postgres", "SELECT pid FROM pg_stat_wal_receiver", nil, &receiver)
	if err := syscall.Kill(receiver, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(receiver, syscall.SIGCONT) })
	pausedAt := l.ackedCount()
	waitAcked(t, l, pausedAt+40, srv)

	primary.Crash(t)
	crashed := time.Now()
	ackedAtCrash := l.snapshot()

	// What the asynchronous standby has of what was acknowledged, once it
	// has replayed what it received (as a promotion would).
	async.WaitReplayed(t)
	var onAsync int
	async.QueryRow(t, "pixelpals", "SELECT count(DISTINCT content) FROM messages WHERE content = ANY($1)", []any{ackedAtCrash}, &onAsync)

	standby.Promote(t)
	promoted := time.Now()
	waitAcked(t, l, len(ackedAtCrash)+len(senders), srv)
	answeredAgain := time.Now()
	l.halt()

	acked := l.snapshot()
	var onNew int
	standby.QueryRow(t, "pixelpals", "SELECT count(DISTINCT content) FROM messages WHERE content = ANY($1)", []any{acked}, &onNew)
	t.Logf("acknowledged %d messages (%d before the crash); other answers during the run: %v", len(acked), len(ackedAtCrash), l.statuses)
	t.Logf("crash to promotion %v, promotion to the first new 201 %v", promoted.Sub(crashed).Round(time.Millisecond), answeredAgain.Sub(promoted).Round(time.Millisecond))
	t.Logf("synchronous standby, promoted: %d of %d acknowledged messages lost", len(acked)-onNew, len(acked))
	t.Logf("asynchronous standby, WAL receiver paused after %d acknowledgements: would have lost %d of %d", pausedAt, len(ackedAtCrash)-onAsync, len(ackedAtCrash))
	if l.statuses["500"] > 0 {
		// A database that went away is "unavailable" (503, try again),
		// not a bug of ours.
		t.Errorf("%d answers of 500 during the failover, want 503:\n%s", l.statuses["500"], internalErrors(srv.Output.String()))
	}
	if onNew != len(acked) {
		t.Fatalf("%d of %d acknowledged messages are missing on the new primary", len(acked)-onNew, len(acked))
	}
	if lostAsync := len(ackedAtCrash) - onAsync; lostAsync < len(ackedAtCrash)-pausedAt-len(senders) {
		// Messages acknowledged after the pause (less those in flight
		// when it began) cannot have reached the paused standby.
		t.Errorf("the paused asynchronous standby lacks only %d messages, yet %d were acknowledged after its pause", lostAsync, len(ackedAtCrash)-pausedAt)
	}

	// The service answers again on the new primary: ready, and the whole
	// history of each child is there through the API.
	if !srv.Ready() {
		t.Fatalf("not ready after the failover:\n%s", srv.Output)
	}
	inHistory := map[string]bool{}
	for _, s := range senders {
		for _, c := range s.kid.History(s.conv) {
			inHistory[c] = true
		}
	}
	for _, c := range acked {
		if !inHistory[c] {
			t.Fatalf("acknowledged %q is not in its history through the API", c)
		}
	}
}

// internalErrors picks the "internal error" lines out of a server's log.
func internalErrors(log string) string {
	var out []string
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, `"msg":"internal error"`) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

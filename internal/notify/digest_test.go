package notify_test

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/apitest"
	"pixelpals/internal/notify"
)

// clock is a worker's settable clock: digests and summaries come when it
// says so, without sleeping.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// queue writes each note in a transaction of its own, as separate actions
// would.
func queue(t *testing.T, env *apitest.Env, notes ...notify.Note) {
	t.Helper()
	for _, n := range notes {
		err := env.DB.Transact(t.Context(), func(tx pgx.Tx) error { return notify.Queue(t.Context(), tx, n) })
		if err != nil {
			t.Fatal(err)
		}
	}
}

// mailsTo are the parsed mails to addr whose subject has subject.
func mailsTo(t *testing.T, mb *mailbox, addr, subject string) []parsedMail {
	t.Helper()
	var out []parsedMail
	for _, r := range mb.all() {
		p := parse(t, r)
		if slices.Contains(r.To, addr) && strings.Contains(p.Header.Get("Subject"), subject) {
			out = append(out, p)
		}
	}
	return out
}

// lastLocal is the last hour:00 in loc at or before now, worked out here
// independently of the worker.
func lastLocal(now time.Time, loc *time.Location, hour int) time.Time {
	l := now.In(loc)
	at := time.Date(l.Year(), l.Month(), l.Day(), hour, 0, 0, 0, loc)
	if at.After(now) {
		at = time.Date(l.Year(), l.Month(), l.Day()-1, hour, 0, 0, 0, loc)
	}
	return at
}

// TestDailyDigest: a parent who chose "daily" for two kinds (in Tokyo)
// gets nothing for them at once, then, once 18:00 Tokyo time has passed,
// one mail listing each kind and child (no content), with a one-click
// unsubscribe; the listed rows are sent with it and never listed again;
// a row that arrives after the day's digest waits for the next day's.
func TestDailyDigest(t *testing.T) {
	env := apitest.New(t)
	admin := env.Admin()
	fa, fb := env.Family(admin, 2), env.Family(admin, 1)
	fa.Parent.Must(200, "PUT", "/me/notification-settings", map[string]any{"leak_guard": "daily", "child_blocked": "daily",
		"time_zone": "Asia/Tokyo", "weekly_summary": false}, nil)
	fb.Parent.Must(200, "PUT", "/me/notification-settings", map[string]any{"weekly_summary": false}, nil)
	kid0, kid1 := fa.Children[0], fa.Children[1]
	queue(t, env,
		notify.Note{To: fa.Parent.UserID, Kind: notify.LeakGuard, Child: kid0.UserID},
		notify.Note{To: fa.Parent.UserID, Kind: notify.LeakGuard, Child: kid0.UserID},
		notify.Note{To: fa.Parent.UserID, Kind: notify.ChildBlocked, Child: kid1.UserID},
		notify.Note{To: fa.Parent.UserID, Kind: notify.ContactRequest, Child: kid0.UserID},
		notify.Note{To: fb.Parent.UserID, Kind: notify.LeakGuard, Child: fb.Child().UserID})

	mb := &mailbox{}
	port, _ := startSMTP(t, mb)
	w := smtpWorker(env, port)
	w.Unsubscribe = &notify.Unsubscribe{Ring: env.Vault}
	clk := &clock{t: time.Now()}
	w.Now = clk.now
	drain(t, w)
	if n := len(mailsTo(t, mb, fa.Parent.Login, "A friend request")); n != 1 {
		t.Fatalf("%d contact request mails to A, want 1 at once", n)
	}
	if n := len(mailsTo(t, mb, fb.Parent.Login, "password guard")); n != 1 {
		t.Fatalf("%d leak guard mails to B (who chose now), want 1", n)
	}
	if n := len(mailsTo(t, mb, fa.Parent.Login, "digest")) + len(mailsTo(t, mb, fa.Parent.Login, "password guard")); n != 0 {
		t.Fatalf("%d mails to A for daily kinds before 18:00 passed", n)
	}

	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	clk.set(time.Now().Add(25 * time.Hour))
	drain(t, w)
	digests := mailsTo(t, mb, fa.Parent.Login, "Your daily digest")
	if len(digests) != 1 {
		t.Fatalf("%d digests, want 1", len(digests))
	}
	d := digests[0]
	for _, want := range []string{"Kid " + kid0.Login + ": The password guard stopped a message (2 times)",
		"Kid " + kid1.Login + ": Your child blocked a contact"} {
		if !strings.Contains(d.Text, want) || !strings.Contains(d.HTML, want) {
			t.Errorf("digest lacks %q:\n%s\n%s", want, d.Text, d.HTML)
		}
	}
	if strings.Contains(d.Text, "friend request") || strings.Contains(d.Raw, smtpPassword) {
		t.Errorf("digest lists a kind sent at once, or a secret:\n%s", d.Raw)
	}
	checkUnsubscribeHeaders(t, env, d)
	checkDigestRows(t, env, fa.Parent.UserID, lastLocal(clk.now(), tokyo, 18))
	nextDayDigest(t, env, mb, w, clk, fa, kid0, kid1)
}

// checkDigestRows: the parent's three daily rows were sent in one digest,
// whose period is the local date of at.
func checkDigestRows(t *testing.T, env *apitest.Env, parentID int64, at time.Time) {
	t.Helper()
	var period time.Time
	var rows, digestIDs int
	err := env.DB.Pool.QueryRow(t.Context(), `
		SELECT (SELECT period FROM notifications WHERE kind = 'daily_digest' AND recipient_id = $1),
		       count(*), count(DISTINCT digest_id)
		FROM notifications WHERE recipient_id = $1 AND kind IN ('leak_guard', 'child_blocked') AND state = 'sent'`,
		parentID).Scan(&period, &rows, &digestIDs)
	if err != nil || rows != 3 || digestIDs != 1 {
		t.Fatalf("digest rows: %d sent in %d digests (%v), want 3 in 1", rows, digestIDs, err)
	}
	if want := at.Format(time.DateOnly); period.Format(time.DateOnly) != want {
		t.Fatalf("digest period %s, want the Tokyo date %s", period.Format(time.DateOnly), want)
	}
}

// nextDayDigest: the same day again, and a row after the day's digest,
// give nothing new; the next day's digest lists that row only.
func nextDayDigest(t *testing.T, env *apitest.Env, mb *mailbox, w *notify.Worker, clk *clock, fa *apitest.Family, kid0, kid1 *apitest.Client) {
	t.Helper()
	drain(t, w)
	queue(t, env, notify.Note{To: fa.Parent.UserID, Kind: notify.LeakGuard, Child: kid1.UserID})
	clk.set(clk.now().Add(2 * time.Minute))
	drain(t, w)
	if n := len(mailsTo(t, mb, fa.Parent.Login, "Your daily digest")); n != 1 {
		t.Fatalf("%d digests on one day, want 1", n)
	}
	clk.set(clk.now().Add(24 * time.Hour))
	drain(t, w)
	digests := mailsTo(t, mb, fa.Parent.Login, "Your daily digest")
	if len(digests) != 2 || !strings.Contains(strings.ReplaceAll(digests[1].Text, "\r\n", "\n"), "Kid "+kid1.Login+": The password guard stopped a message\n") ||
		strings.Contains(digests[1].Text, "Kid "+kid0.Login) {
		t.Fatalf("the next day's digest (%d digests):\n%s", len(digests), digests[len(digests)-1].Text)
	}
}

// checkUnsubscribeHeaders: the RFC 8058 pair, and a link under the
// service's address.
func checkUnsubscribeHeaders(t *testing.T, env *apitest.Env, m parsedMail) string {
	t.Helper()
	link := strings.TrimSuffix(strings.TrimPrefix(m.Header.Get("List-Unsubscribe"), "<"), ">")
	if !strings.HasPrefix(link, env.Server.URL+"/api/v1/unsubscribe?token=") {
		t.Fatalf("List-Unsubscribe %q", m.Header.Get("List-Unsubscribe"))
	}
	if got := m.Header.Get("List-Unsubscribe-Post"); got != "List-Unsubscribe=One-Click" {
		t.Fatalf("List-Unsubscribe-Post %q", got)
	}
	if !strings.Contains(m.Text, link) {
		t.Fatalf("the text does not carry the unsubscribe link %s:\n%s", link, m.Text)
	}
	return link
}

// TestDigestOncePerRowAcrossWorkers: two workers with the same clock, as
// two instances would be, start together when many parents' digests are
// due: each parent gets exactly one digest, and each row is in exactly
// one.
func TestDigestOncePerRowAcrossWorkers(t *testing.T) {
	env := apitest.New(t)
	admin := env.Admin()
	const parents, perParent = 6, 5
	var fams []*apitest.Family
	for range parents {
		f := env.Family(admin, 1)
		f.Parent.Must(200, "PUT", "/me/notification-settings", map[string]any{"leak_guard": "daily", "weekly_summary": false}, nil)
		for range perParent {
			queue(t, env, notify.Note{To: f.Parent.UserID, Kind: notify.LeakGuard, Child: f.Child().UserID})
		}
		fams = append(fams, f)
	}
	mb := &mailbox{}
	port, _ := startSMTP(t, mb)
	clk := &clock{t: time.Now().Add(25 * time.Hour)}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		w := smtpWorker(env, port)
		w.Batch, w.Now = 2, clk.now
		wg.Go(func() { <-start; drain(t, w) })
	}
	close(start)
	wg.Wait()
	for _, f := range fams {
		ds := mailsTo(t, mb, f.Parent.Login, "Your daily digest")
		if len(ds) != 1 || !strings.Contains(ds[0].Text, fmt.Sprintf("(%d times)", perParent)) {
			t.Fatalf("parent %d got %d digests: %v", f.Parent.UserID, len(ds), ds)
		}
	}
	var waiting, digests, carriers int
	err := env.DB.Pool.QueryRow(t.Context(), `
		SELECT count(*) FILTER (WHERE kind = 'leak_guard' AND state <> 'sent'),
		       count(*) FILTER (WHERE kind = 'daily_digest' AND state = 'sent'),
		       count(DISTINCT digest_id)
		FROM notifications`).Scan(&waiting, &digests, &carriers)
	if err != nil || waiting != 0 || digests != parents || carriers != parents {
		t.Fatalf("%d rows unsent, %d digests sent, %d digests carrying rows (%v); want 0, %d, %d",
			waiting, digests, carriers, err, parents, parents)
	}
}

// nextSunday is the first Sunday hour:00 in loc after t.
func nextSunday(t time.Time, loc *time.Location, hour int) time.Time {
	l := t.In(loc)
	for day := 0; ; day++ {
		at := time.Date(l.Year(), l.Month(), l.Day()+day, hour, 0, 0, 0, loc)
		if at.After(t) && at.Weekday() == time.Sunday {
			return at
		}
	}
}

// TestWeeklySummary: on Sunday at 18:00 in the parent's zone, one mail
// per parent counting each child's week (messages sent and received, new
// contacts), no content; a parent who opted out gets none; the one-click
// link switches it off for the next week.
func TestWeeklySummary(t *testing.T) {
	t0 := time.Now()
	// The week ends at the first Sunday 18:00 after t0 in the zone where
	// that is at least half an hour away, so that every message of the
	// test is in the week.
	zone := "UTC"
	loc := time.UTC
	if nextSunday(t0, loc, 18).Sub(t0) < 30*time.Minute {
		zone = "Asia/Tokyo"
		loc, _ = time.LoadLocation(zone)
	}
	end := nextSunday(t0, loc, 18)
	env := apitest.New(t)
	admin := env.Admin()
	fa, fb := env.Family(admin, 1), env.Family(admin, 1)
	fa.Parent.Must(200, "PUT", "/me/notification-settings", map[string]any{"time_zone": zone}, nil)
	fb.Parent.Must(200, "PUT", "/me/notification-settings", map[string]any{"weekly_summary": false}, nil)
	a := chatWeek(t, fa, fb)
	mb := &mailbox{}
	port, _ := startSMTP(t, mb)
	w := smtpWorker(env, port)
	w.Unsubscribe = &notify.Unsubscribe{Ring: env.Vault}
	clk := &clock{t: end.Add(-time.Minute)}
	w.Now = clk.now
	drain(t, w)
	if n := len(mailsTo(t, mb, fa.Parent.Login, "weekly")); n != 0 {
		t.Fatalf("%d summaries before the week ended", n)
	}
	clk.set(end.Add(time.Minute))
	drain(t, w)
	clk.set(end.Add(2 * time.Hour))
	drain(t, w)
	sums := mailsTo(t, mb, fa.Parent.Login, "Your weekly summary")
	if len(sums) != 1 {
		t.Fatalf("%d summaries to A, want 1", len(sums))
	}
	want := "Kid " + a.Login + ": 2 messages sent, 1 received, 1 new contact" // one: the plural forms of internal/locale
	if !strings.Contains(sums[0].Text, want) || !strings.Contains(sums[0].HTML, want) || strings.Contains(sums[0].Raw, "secret words") {
		t.Fatalf("summary lacks %q or has content:\n%s", want, sums[0].Raw)
	}
	if n := len(mailsTo(t, mb, fb.Parent.Login, "weekly")); n != 0 {
		t.Fatalf("%d summaries to B, who opted out", n)
	}
	unsub := checkUnsubscribeHeaders(t, env, sums[0])
	oneClick(t, unsub, 200)
	var s map[string]any
	fa.Parent.Must(200, "GET", "/me/notification-settings", nil, &s)
	if s["weekly_summary"] != false {
		t.Fatalf("after the one click: %v", s)
	}
	clk.set(end.Add(7*24*time.Hour + time.Minute))
	drain(t, w)
	if n := len(mailsTo(t, mb, fa.Parent.Login, "weekly")); n != 1 {
		t.Fatalf("%d summaries after unsubscribing, want the first only", n)
	}
}

// chatWeek links family A's and B's children (both parents approve) and
// has A's child send 2 messages to B's and B's send 1; it returns A's.
func chatWeek(t *testing.T, fa, fb *apitest.Family) *apitest.Client {
	t.Helper()
	a, b := fa.Child(), fb.Child()
	var code struct {
		FriendCode string `json:"friend_code"`
	}
	b.Must(200, "GET", "/me/friend-code", nil, &code)
	var link struct{ ID int64 }
	a.Must(201, "POST", "/contacts", map[string]any{"friend_code": code.FriendCode}, &link)
	fa.Parent.Must(200, "POST", fmt.Sprintf("/contacts/%d/approve", link.ID), nil, nil)
	fb.Parent.Must(200, "POST", fmt.Sprintf("/contacts/%d/approve", link.ID), nil, nil)
	var conv struct{ ID int64 }
	a.Must(201, "POST", "/conversations", map[string]any{"member_ids": []int64{b.UserID}, "is_group": false}, &conv)
	for i, c := range []*apitest.Client{a, a, b} {
		c.Must(201, "POST", fmt.Sprintf("/conversations/%d/messages", conv.ID),
			map[string]string{"type": "text", "content": "secret words", "client_id": fmt.Sprint("m", i)}, nil)
	}

	return a
}

// oneClick POSTs as a mail client does (RFC 8058): no session, no cookie.
func oneClick(t *testing.T, link string, want int) string {
	t.Helper()
	resp, err := http.Post(link, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	_, _ = fmt.Fprint(&b, readAll(resp))
	if resp.StatusCode != want {
		t.Fatalf("POST %s: %d, want %d: %s", link, resp.StatusCode, want, b.String())
	}
	return b.String()
}

var tokenRE = regexp.MustCompile(`token=([^&\s>]+)`)

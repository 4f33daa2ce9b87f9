package notify_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"net/mail"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"

	"pixelpals/internal/apitest"
	"pixelpals/internal/notify"
	"pixelpals/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const from = "Pixel Pals <pals@example.org>"

func smtpWorker(env *apitest.Env, port int) *notify.Worker {
	sender := notify.NewSMTP(notify.SMTPServer{Host: "127.0.0.1", Port: port, Username: smtpUser, Password: smtpPassword,
		Timeout: 10 * time.Second, TLSConfig: clientTLS}, notify.Envelope{From: from, PublicURL: env.Server.URL})
	return &notify.Worker{Pool: env.DB.Pool, Sender: sender, PublicURL: env.Server.URL, Metrics: notify.NewMetrics(),
		Logger: slog.New(slog.DiscardHandler)}
}

// mailDigestsADayLater sends every due mail through a real SMTP server
// with the worker's clock 25 hours ahead, so that the daily digests are
// due too, and returns what the server received.
func mailDigestsADayLater(t *testing.T, env *apitest.Env) *mailbox {
	t.Helper()
	mb := &mailbox{}
	port, _ := startSMTP(t, mb)
	w := smtpWorker(env, port)
	clk := &clock{t: time.Now().Add(25 * time.Hour)}
	w.Now = clk.now
	drain(t, w)
	return mb
}

// drain runs w until it finds no due row.
func drain(t *testing.T, w *notify.Worker) {
	t.Helper()
	for {
		n, err := w.RunOnce(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

// parsedMail is a received mail's headers and decoded parts.
type parsedMail struct {
	Header      mail.Header
	Text, HTML  string
	Raw         string
	Envelope    received
	LinkInText  string
	LinkInHTML  string
	ContentType string
}

var linkRE = regexp.MustCompile(`https?://[^\s"<>]+`)

func parse(t *testing.T, r received) parsedMail {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(r.Data))
	if err != nil {
		t.Fatalf("mail does not parse: %v\n%s", err, r.Data)
	}
	p := parsedMail{Header: m.Header, Raw: string(r.Data), Envelope: r}
	mediaType, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" {
		t.Fatalf("content type %q (%v), want multipart/alternative", m.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(part) // quoted-printable is decoded by the reader
		switch ct, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type")); ct {
		case "text/plain":
			p.Text = string(b)
		case "text/html":
			p.HTML = string(b)
		}
	}
	p.LinkInText = linkRE.FindString(p.Text)
	p.LinkInHTML = linkRE.FindString(p.HTML)
	return p
}

// TestMailsThroughSMTP performs actions through the API, runs the worker
// against a real SMTP server and reads what arrived: one mail per
// notification, to the right parent only, from the configured sender, with
// the product's name, the child's display name, a text and an HTML part,
// and a link to a page the web UI has; no password, token or message text.
func TestMailsThroughSMTP(t *testing.T) {
	env := apitest.New(t)
	admin := env.Admin()
	fa, fb := env.Family(admin, 1), env.Family(admin, 1)
	bystander := env.Family(admin, 1)
	settleSignups(t, env)
	a, b := fa.Child(), fb.Child()
	var link struct{ ID int64 }
	var code struct {
		FriendCode string `json:"friend_code"`
	}
	b.Must(200, "GET", "/me/friend-code", nil, &code)
	a.Must(201, "POST", "/contacts", map[string]any{"friend_code": code.FriendCode}, &link)
	fa.Parent.Must(201, "POST", fmt.Sprintf("/children/%d/game-credentials", a.UserID),
		map[string]string{"game_name": "Blockcraft", "username": "kid", "password": "Hunter2!"}, nil)
	var conv struct{ ID int64 }
	a.Must(201, "POST", "/conversations", map[string]any{"member_ids": []int64{fa.Parent.UserID}, "is_group": false}, &conv)
	a.Must(422, "POST", fmt.Sprintf("/conversations/%d/messages", conv.ID),
		map[string]string{"type": "text", "content": "my pass is Hunter2!", "client_id": "leak-1"}, nil)

	mb := &mailbox{}
	port, _ := startSMTP(t, mb)
	w := smtpWorker(env, port)
	drain(t, w)

	type want struct {
		to, subject, sentence, route string
	}
	kidName := func(c *apitest.Client) string { return "Kid " + c.Login }
	wants := []want{
		{fa.Parent.Login, "Your account is approved", "Your parent account was approved", "#/"},
		{fb.Parent.Login, "Your account is approved", "Your parent account was approved", "#/"},
		{bystander.Parent.Login, "Your account is approved", "Your parent account was approved", "#/"},
		{fa.Parent.Login, "A friend request waits for your approval", kidName(a) + " has a new friend request", fmt.Sprintf("#/child/%d", a.UserID)},
		{fb.Parent.Login, "A friend request waits for your approval", kidName(b) + " has a new friend request", fmt.Sprintf("#/child/%d", b.UserID)},
		{fa.Parent.Login, "The password guard stopped a message", kidName(a) + " tried to send", fmt.Sprintf("#/child/%d", a.UserID)},
	}
	got := mb.all()
	if len(got) != len(wants) {
		t.Fatalf("%d mails arrived, want %d", len(got), len(wants))
	}
	secrets := []string{a.Password, b.Password, fa.Parent.Password, a.Token, b.Token, fa.Parent.Token, fb.Parent.Token,
		"hunter2", "my pass is", code.FriendCode, smtpPassword}
	for _, r := range got {
		m := parse(t, r)
		subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
		i := slices.IndexFunc(wants, func(w want) bool {
			return len(r.To) == 1 && r.To[0] == w.to && subject == "Pixel Pals: "+w.subject && strings.Contains(m.Text, w.sentence)
		})
		if i < 0 {
			t.Fatalf("unexpected mail to %v, subject %q:\n%s", r.To, subject, m.Text)
		}
		w := wants[i]
		wants = slices.Delete(wants, i, i+1)
		if to := m.Header.Get("To"); to != "<"+w.to+">" && to != w.to {
			t.Errorf("To header %q, want %s", to, w.to)
		}
		if f, err := mail.ParseAddress(m.Header.Get("From")); err != nil || f.Name != "Pixel Pals" || f.Address != "pals@example.org" || r.From != "pals@example.org" {
			t.Errorf("From header %q, envelope %q", m.Header.Get("From"), r.From)
		}
		if !strings.Contains(m.HTML, "Pixel Pals") || !strings.Contains(m.HTML, strings.SplitN(w.sentence, " ", 2)[1]) {
			t.Errorf("HTML part lacks the product or the sentence:\n%s", m.HTML)
		}
		wantLink := env.Server.URL + "/" + w.route
		if m.LinkInText != wantLink || m.LinkInHTML != wantLink {
			t.Errorf("links %q, %q; want %q", m.LinkInText, m.LinkInHTML, wantLink)
		}
		for _, s := range secrets {
			if strings.Contains(strings.ToLower(m.Raw+m.Text+m.HTML), strings.ToLower(s)) {
				t.Errorf("mail to %s holds a secret %q", w.to, s)
			}
		}
	}
	checkRoutesExist(t, env, "#/", fmt.Sprintf("#/child/%d", a.UserID))

	var unsent int
	if err := env.DB.Pool.QueryRow(t.Context(), `SELECT count(*) FROM notifications WHERE state <> 'sent' OR sent_at IS NULL`).Scan(&unsent); err != nil || unsent != 0 {
		t.Fatalf("%d rows not sent (%v)", unsent, err)
	}
	if c := counters(t, w.Metrics); c["sent"] != 6 || c["failed"] != 0 || c["dead"] != 0 {
		t.Fatalf("metrics %v", c)
	}
}

// checkRoutesExist loads the page a link opens, its app.js and the module
// app.js loads for a parent's pages (by import(), web docs "Where things
// are"), and checks that they route each fragment: "#/" is the parent's
// home, and "#/child/<id>" a child's page.
func checkRoutesExist(t *testing.T, env *apitest.Env, fragments ...string) {
	t.Helper()
	page := httpGet(t, env.Server.URL+"/")
	src := regexp.MustCompile(`src="(/assets/[^"]+/)app\.js"`).FindStringSubmatch(page)
	if src == nil {
		t.Fatalf("the page loads no app.js:\n%s", page)
	}
	app := httpGet(t, env.Server.URL+src[1]+"app.js")
	if !strings.Contains(app, `role === "PARENT" ? await import("./parent-pages.js")`) {
		t.Fatalf("app.js does not load parent-pages.js for a parent")
	}
	parent := httpGet(t, env.Server.URL+src[1]+"parent-pages.js")
	for _, f := range fragments {
		switch {
		case f == "#/":
			if !strings.Contains(parent, "return parentHome(ctx)") {
				t.Errorf("parent-pages.js has no parent home for %s", f)
			}
		case strings.HasPrefix(f, "#/child/"):
			if !strings.Contains(parent, `if (parts[0] === "child") return childPage(ctx, Number(parts[1]))`) {
				t.Errorf("parent-pages.js does not route %s to a child's page", f)
			}
		}
	}
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	return string(b)
}

// counters reads the worker's metrics.
func counters(t *testing.T, m *notify.Metrics) map[string]float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(m.Collectors()...)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		name := strings.TrimSuffix(strings.TrimPrefix(f.GetName(), "pixelpals_notifications_"), "_total")
		out[name] = f.GetMetric()[0].GetCounter().GetValue()
	}
	return out
}

type rowState struct {
	State     string
	Attempts  int
	Wait      float64 // seconds from now to next_attempt_at
	LastError string
	Email     *string
}

func stateOf(t *testing.T, env *apitest.Env, id int64) rowState {
	t.Helper()
	rows, err := env.DB.Pool.Query(t.Context(), `
		SELECT state, attempts, extract(epoch FROM next_attempt_at - CURRENT_TIMESTAMP::timestamp)::float8,
		       coalesce(last_error, ''), recipient_email
		FROM notifications WHERE id = $1`, id)
	if err != nil {
		t.Fatal(err)
	}
	s, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[rowState])
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// letTimePass makes every pending row due now, as if its backoff had passed.
func letTimePass(t *testing.T, env *apitest.Env) {
	t.Helper()
	if _, err := env.DB.Pool.Exec(t.Context(), `UPDATE notifications SET next_attempt_at = CURRENT_TIMESTAMP WHERE state = 'pending'`); err != nil {
		t.Fatal(err)
	}
}

// TestSMTPRefusingOrDown: a server that answers 554, then one that is not
// there. The API's actions succeed regardless; each failed row waits its
// backoff (not claimed again before), keeps an error without the
// password, goes dead after MaxAttempts; the others are delivered once a
// server answers again: nothing is lost.
func TestSMTPRefusingOrDown(t *testing.T) {
	env := apitest.New(t)
	admin := env.Admin()
	mb := &mailbox{refuse: true}
	port, stop := startSMTP(t, mb)
	fa := env.Family(admin, 1) // its parent's account_approved: the first row
	settleSignups(t, env)
	w := smtpWorker(env, port)
	w.MaxAttempts = 3
	first := lastNote(t, env)

	if n, err := w.RunOnce(t.Context()); n != 1 || err != nil {
		t.Fatalf("claimed %d (%v), want 1", n, err)
	}
	s := stateOf(t, env, first)
	if s.State != "pending" || s.Attempts != 1 || s.Wait < 20 || s.Wait > 31 || !strings.Contains(s.LastError, "554") {
		t.Fatalf("after a refusal: %+v, want pending, 1 attempt, about 30 s to wait, the 554", s)
	}
	if n, _ := w.RunOnce(t.Context()); n != 0 {
		t.Fatalf("a row waiting its backoff was claimed again")
	}

	// The server goes away; actions still succeed.
	stop()
	fb := env.Family(admin, 1)
	settleSignups(t, env)
	var code struct {
		FriendCode string `json:"friend_code"`
	}
	fb.Child().Must(200, "GET", "/me/friend-code", nil, &code)
	fa.Child().Must(201, "POST", "/contacts", map[string]any{"friend_code": code.FriendCode}, nil)
	for range 2 {
		letTimePass(t, env)
		if _, err := w.RunOnce(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	s = stateOf(t, env, first)
	if s.State != "dead" || s.Attempts != 3 || s.LastError == "" || strings.Contains(s.LastError, smtpPassword) {
		t.Fatalf("after 3 failures: %+v, want dead with an error and no password", s)
	}
	if c := counters(t, w.Metrics); c["failed"] != 8 || c["dead"] != 1 || c["sent"] != 0 {
		// Refused: the first row. Down, twice: it and three new rows (the
		// second family's approval, the contact request's two parents),
		// the first row dying at the second.
		t.Fatalf("metrics %v, want 8 failed (1 refused, 4+3 down), 1 dead", c)
	}

	// A server again: the three rows still pending arrive, once each.
	mb2 := &mailbox{}
	port2, _ := startSMTP(t, mb2)
	letTimePass(t, env)
	drain(t, smtpWorker(env, port2))
	var tos []string
	for _, r := range mb2.all() {
		tos = append(tos, r.To...)
	}
	slices.Sort(tos)
	want := []string{fa.Parent.Login, fb.Parent.Login, fb.Parent.Login}
	slices.Sort(want)
	if !slices.Equal(tos, want) {
		t.Fatalf("delivered to %v, want %v", tos, want)
	}
	if s := stateOf(t, env, first); s.State != "dead" {
		t.Fatalf("a dead row was sent: %+v", s)
	}
}

func lastNote(t *testing.T, env *apitest.Env) int64 {
	t.Helper()
	var id int64
	if err := env.DB.Pool.QueryRow(t.Context(), `SELECT max(id) FROM notifications`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestTwoWorkersDeliverEachRowOnce: two workers on one database (as two
// instances would), small batches, one SMTP server: every row arrives
// exactly once.
func TestTwoWorkersDeliverEachRowOnce(t *testing.T) {
	env := apitest.New(t)
	fam := env.Family(env.Admin(), 1)
	settleSignups(t, env)
	const n = 60
	err := env.DB.Transact(t.Context(), func(tx pgx.Tx) error {
		var notes []notify.Note
		for i := range n {
			notes = append(notes, notify.Note{To: fam.Parent.UserID, Kind: notify.LeakGuard, Child: int64(1000 + i)})
		}
		return notify.Queue(t.Context(), tx, notes...)
	})
	if err != nil {
		t.Fatal(err)
	}
	mb := &mailbox{}
	port, _ := startSMTP(t, mb)
	var wg sync.WaitGroup
	for range 2 {
		w := smtpWorker(env, port)
		w.Batch = 4
		wg.Go(func() { drain(t, w) })
	}
	wg.Wait()
	ids := map[string]int{}
	for _, r := range mb.all() {
		m, err := mail.ReadMessage(bytes.NewReader(r.Data))
		if err != nil {
			t.Fatal(err)
		}
		ids[m.Header.Get("Message-Id")]++
	}
	if len(ids) != n+1 {
		t.Fatalf("%d distinct mails, want %d", len(ids), n+1)
	}
	for id, k := range ids {
		if k != 1 {
			t.Fatalf("%s arrived %d times", id, k)
		}
	}
}

// TestMailDirectory: with no SMTP server, Run writes each mail as an .eml
// file and stops when its context ends.
func TestMailDirectory(t *testing.T) {
	env := apitest.New(t)
	fam := env.Family(env.Admin(), 1)
	dir := t.TempDir()
	w := &notify.Worker{Pool: env.DB.Pool, PublicURL: env.Server.URL, Poll: 10 * time.Millisecond,
		Sender: &notify.DirSender{Envelope: notify.Envelope{From: from, PublicURL: env.Server.URL}, Dir: dir}}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	name := fmt.Sprintf("%s/notification-%d.eml", dir, lastNote(t, env))
	var raw []byte
	waitFor(t, "the .eml file", func() bool {
		var err error
		raw, err = readFile(name)
		return err == nil
	})
	cancel()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not stop with its context")
	}
	m := parse(t, received{Data: raw})
	if m.Header.Get("To") != "<"+fam.Parent.Login+">" || !strings.HasPrefix(m.Header.Get("Subject"), "Pixel Pals: ") {
		t.Fatalf("eml headers: %v", m.Header)
	}
}

// TestRecipientGone: a parent deleted before their mail went out; the row
// (its users row gone) goes dead at once, and no mail is written.
func TestRecipientGone(t *testing.T) {
	env := apitest.New(t)
	admin := env.Admin()
	p := env.PendingParent()
	admin.Must(200, "POST", fmt.Sprintf("/admin/users/%d/approve", p.UserID), nil, nil)
	settleSignups(t, env)
	admin.Must(204, "DELETE", fmt.Sprintf("/admin/users/%d", p.UserID), nil, nil)
	dir := t.TempDir()
	w := &notify.Worker{Pool: env.DB.Pool, PublicURL: env.Server.URL, Metrics: notify.NewMetrics(), Logger: slog.New(slog.DiscardHandler),
		Sender: &notify.DirSender{Envelope: notify.Envelope{From: from, PublicURL: env.Server.URL}, Dir: dir}}
	drain(t, w)
	if s := stateOf(t, env, lastNote(t, env)); s.State != "dead" || s.Attempts != 1 || s.LastError != "recipient gone" {
		t.Fatalf("row: %+v, want dead, recipient gone", s)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "*")); len(files) != 0 {
		t.Fatalf("mails written: %v", files)
	}
	if c := counters(t, w.Metrics); c["dead"] != 1 || c["sent"] != 0 {
		t.Fatalf("metrics %v", c)
	}
}

// Package apitest runs the real HTTP stack (server middleware and API) on a
// fresh PostgreSQL database for tests, and gives them clients for each
// role: admins, approved/pending/suspended parents and their children.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"pixelpals/internal/api"
	"pixelpals/internal/auth"
	"pixelpals/internal/config"
	"pixelpals/internal/live"
	"pixelpals/internal/media"
	"pixelpals/internal/notify"
	"pixelpals/internal/password"
	"pixelpals/internal/pgtest"
	"pixelpals/internal/ratelimit"
	"pixelpals/internal/server"
	"pixelpals/internal/store"
	"pixelpals/internal/vault"
	"pixelpals/internal/web"
)

// FastParams make test logins cheap; the real parameters are measured by
// the password package's benchmarks.
var FastParams = password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// Env is one running service on its own database.
type Env struct {
	t      testing.TB
	DB     *store.DB
	Server *httptest.Server
	// Vault is the service's key ring: one random key, version 1, unless
	// Options.Vault gives another.
	Vault *vault.Ring
	// Hub serves the event sockets (GET /ws).
	Hub *live.Hub
	// VAPID is the service's Web Push key pair, new for each Env.
	VAPID notify.VAPID
	Logs  *Buffer
	seq   atomic.Int64
}

// Options adjust an Env.
type Options struct {
	Limits   *auth.Limits    // login throttling; default: effectively off
	Vault    *vault.Ring     // the game-login keeper's key ring; default: one new key
	SendRate *ratelimit.Rate // message flood control; default: effectively off
	// UploadRate is the upload flood control; default: effectively off.
	UploadRate *ratelimit.Rate
	// SignupRate is the sign-ups' limit per client address; default:
	// effectively off.
	SignupRate *ratelimit.Rate
	// Media checks uploads; default: media.DefaultLimits.
	Media *media.Processor
	// UploadPace is the slowest an upload's body may arrive; default:
	// api.DefaultUploadPace.
	UploadPace api.UploadPace
	// RealHashing uses the production Argon2id parameters instead of
	// FastParams, for tests about login timing.
	RealHashing bool
	// Live tunes the event hub (queue size, replay window, origins).
	Live live.Config
	// DatabaseURL runs the service on this migrated database (e.g. through
	// PgBouncer) instead of a fresh one.
	DatabaseURL string
	// Now is the clock of sleep mode, for the API and the hub (unless
	// Live.Now is set); nil means time.Now.
	Now func() time.Time
	// DB is the (migrated) database to serve from instead of a fresh one,
	// e.g. on a pgtest.Cluster that the test stops and starts.
	DB *store.DB
}

// New starts the service for t. The package's TestMain must call
// pgtest.Main.
func New(t testing.TB, opts ...Options) *Env {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	limits := auth.Limits{AccountFailures: 1000, IPFailures: 100000, Window: auth.DefaultLimits.Window, Lockout: auth.DefaultLimits.Lockout}
	if o.Limits != nil {
		limits = *o.Limits
	}
	e := &Env{t: t, DB: o.DB, Logs: &Buffer{}}
	if e.DB == nil && o.DatabaseURL != "" {
		e.DB = pgtest.Open(t, o.DatabaseURL)
	} else if e.DB == nil {
		e.DB = pgtest.DB(t)
	}
	logger := slog.New(slog.NewJSONHandler(e.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := config.Load(func(string) string { return "" })
	if err := cfg.Finish(); err != nil {
		t.Fatal(err)
	}
	e.Vault = o.Vault
	if e.Vault == nil {
		e.Vault = NewRing(t, 1)
	}
	params := FastParams
	if o.RealHashing {
		params = password.DefaultParams
	}
	authn := auth.New(e.DB, params, limits)
	// Off, but kept in the database as in production: every send and
	// upload still takes its token.
	unlimited := &ratelimit.Rate{PerSecond: 1e6, Burst: 1e6}
	sendRate := o.SendRate
	if sendRate == nil {
		sendRate = unlimited
	}
	uploadRate := o.UploadRate
	if uploadRate == nil {
		uploadRate = unlimited
	}
	signupRate := o.SignupRate
	if signupRate == nil {
		signupRate = unlimited
	}
	if o.Live.Now == nil {
		o.Live.Now = o.Now
	}
	e.Hub = live.New(e.DB, logger, o.Live)
	ctx, stop := context.WithCancel(context.Background())
	hubDone := make(chan struct{})
	go func() { defer close(hubDone); e.Hub.Run(ctx) }()
	e.VAPID = newVAPID(t)
	a := api.New(api.Deps{DB: e.DB, Auth: authn, Logger: logger, Vault: e.Vault, SendRate: sendRate, UploadRate: uploadRate, SignupRate: signupRate, Media: o.Media, Live: e.Hub, Now: o.Now,
		UploadPace: o.UploadPace, PushPublicKey: e.VAPID.PublicKey})
	e.Server = httptest.NewServer(server.New(cfg, logger, e.DB, a.Register, web.Register).Handler())
	t.Cleanup(func() {
		stop() // closes the sockets first: the server's Close waits for none of them
		<-hubDone
		e.Server.Close()
	})
	return e
}

// newVAPID makes a Web Push key pair for one Env.
func newVAPID(t testing.TB) notify.VAPID {
	v, err := notify.GenerateVAPID()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// NewRing makes a key ring with one fresh random key per version given.
func NewRing(t testing.TB, versions ...uint32) *vault.Ring {
	t.Helper()
	var lines []string
	for _, v := range versions {
		line, err := vault.GenerateKeyLine(v)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, line)
	}
	r, err := vault.ParseRing(strings.Join(lines, ","))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Buffer is a concurrency-safe log sink.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Client calls the API as one user (or anonymously when Token is empty).
type Client struct {
	env      *Env
	Token    string
	UserID   int64
	Login    string
	Password string
}

// Anonymous is a client without a session.
func (e *Env) Anonymous() *Client { return &Client{env: e} }

// Response is an API answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends a request to path under /api/v1 (e.g. "/me") with body as JSON
// (a string or []byte is sent as is; nil sends none).
func (c *Client) Do(method, path string, body any) *Response {
	c.env.t.Helper()
	var rd io.Reader
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.env.t.Fatal(err)
		}
		raw = j
	}
	if body != nil {
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.env.Server.URL+"/api/v1"+path, rd)
	if err != nil {
		c.env.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.env.Server.Client().Do(req)
	if err != nil {
		c.env.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.env.t.Fatal(err)
	}
	r := &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
	if _, bench := c.env.t.(*testing.B); bench {
		// Benchmarks measure the service; validating every exchange
		// against the OpenAPI document (what tests are for) would spend
		// the load generator's CPU on the same cores.
		return r
	}
	ct, err := loadContract()
	if err != nil {
		c.env.t.Fatal(err)
	}
	if diff := ct.check(req, raw, r); diff != "" {
		c.env.t.Errorf("%s %s: %s\n\tbody: %s", method, path, diff, truncate(r.Body))
	}
	return r
}

func truncate(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(b)
}

var jsonUnmarshal = json.Unmarshal

// Must sends a request and fails the test unless the status is want; it
// decodes the body into out when out is not nil.
func (c *Client) Must(want int, method, path string, body, out any) *Response {
	c.env.t.Helper()
	r := c.Do(method, path, body)
	if r.Status != want {
		c.env.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.Status, want, r.Body)
	}
	if out != nil {
		if err := json.Unmarshal(r.Body, out); err != nil {
			c.env.t.Fatalf("%s %s: decode %s: %v", method, path, r.Body, err)
		}
	}
	return r
}

// ErrorCode is the "code" of a JSON error body, or "".
func (r *Response) ErrorCode() string {
	var e struct {
		Error struct{ Code, Field string }
	}
	if err := json.Unmarshal(r.Body, &e); err != nil {
		return "" // not a JSON error body: no code, which no caller wants
	}
	return e.Error.Code
}

// ErrorField is the "field" of a JSON error body, or "".
func (r *Response) ErrorField() string {
	var e struct {
		Error struct{ Code, Field string }
	}
	if err := json.Unmarshal(r.Body, &e); err != nil {
		return ""
	}
	return e.Error.Field
}

func (e *Env) next(prefix string) string {
	return fmt.Sprintf("%s%d", prefix, e.seq.Add(1))
}

// login opens a session for c with its login and password.
func (c *Client) login() *Client {
	c.env.t.Helper()
	var out struct {
		Token string
		User  struct{ ID int64 }
	}
	c.env.Anonymous().Must(200, "POST", "/auth/login", map[string]string{"login": c.Login, "password": c.Password}, &out)
	c.Token, c.UserID = out.Token, out.User.ID
	return c
}

// Admin creates an admin account (as the CLI does) and logs it in.
func (e *Env) Admin() *Client {
	e.t.Helper()
	c := &Client{env: e, Login: e.next("admin") + "@example.com", Password: "admin-password"}
	hash, err := password.NewHasher(FastParams, 1).Hash(context.Background(), c.Password)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.DB.CreateAdmin(context.Background(), nil, c.Login, hash, "Admin"); err != nil {
		e.t.Fatal(err)
	}
	return c.login()
}

// PendingParent signs a parent up and logs them in, unapproved.
func (e *Env) PendingParent() *Client {
	e.t.Helper()
	c := &Client{env: e, Login: e.next("parent") + "@example.com", Password: "parent-password"}
	e.Anonymous().Must(201, "POST", "/auth/signup", map[string]string{
		"email": c.Login, "password": c.Password, "display_name": "Parent " + c.Login}, nil)
	return c.login()
}

// Family is an approved parent with their children.
type Family struct {
	Parent   *Client
	Children []*Client
}

// Child is the family's first child.
func (f *Family) Child() *Client { return f.Children[0] }

// Family signs up a parent, has admin approve them, and creates n children
// (logged in).
func (e *Env) Family(admin *Client, n int) *Family {
	e.t.Helper()
	f := &Family{Parent: e.PendingParent()}
	admin.Must(200, "POST", fmt.Sprintf("/admin/users/%d/approve", f.Parent.UserID), nil, nil)
	for range n {
		f.Children = append(f.Children, f.AddChild())
	}
	return f
}

// AddChild creates one more child in the family and logs them in.
func (f *Family) AddChild() *Client {
	e := f.Parent.env
	e.t.Helper()
	c := &Client{env: e, Login: e.next("kid"), Password: "kidpass"}
	f.Parent.Must(201, "POST", "/children", map[string]string{
		"login": c.Login, "password": c.Password, "display_name": "Kid " + c.Login}, nil)
	return c.login()
}

// Upload posts data to /media as the multipart field "file", labelled
// with filename and contentType (which the service must not believe).
func (c *Client) Upload(filename, contentType string, data []byte) *Response {
	c.env.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, filename))
	h.Set("Content-Type", contentType)
	part, err := mw.CreatePart(h)
	if err != nil {
		c.env.t.Fatal(err)
	}
	part.Write(data)
	mw.Close()
	return c.Raw("POST", "/media", &body, http.Header{"Content-Type": {mw.FormDataContentType()}})
}

// Raw sends a request with the given body and headers as they are.
func (c *Client) Raw(method, path string, body io.Reader, header http.Header) *Response {
	c.env.t.Helper()
	req, err := http.NewRequest(method, c.env.Server.URL+"/api/v1"+path, body)
	if err != nil {
		c.env.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.env.Server.Client().Do(req)
	if err != nil {
		c.env.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.env.t.Fatal(err)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// Invite has guardian c invite another adult to guard childID and returns
// the code (issue 21).
func (c *Client) Invite(childID int64) string {
	c.env.t.Helper()
	var out struct{ Code string }
	c.Must(201, "POST", fmt.Sprintf("/children/%d/guardian-invites", childID), nil, &out)
	return out.Code
}

// Guardian makes a new approved parent a further guardian of childID,
// invited by the child's guardian inviter.
func (e *Env) Guardian(admin, inviter *Client, childID int64) *Client {
	e.t.Helper()
	g := e.Family(admin, 0).Parent
	g.Must(200, "POST", "/guardian-invites/accept", map[string]string{"code": inviter.Invite(childID)}, nil)
	return g
}

package deploytest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"testing"
	"time"
)

// Client speaks the JSON API under /api/v1 of a server or balancer, with a
// bearer token (apps) or with cookies and the CSRF header (the web UI).
type Client struct {
	t    testing.TB
	Base string
	HTTP *http.Client
	// Token is sent as a bearer token when set.
	Token string
	// CSRF is echoed in X-CSRF-Token on unsafe requests when set.
	CSRF   string
	UserID int64
}

// NewClient is an anonymous client of base (e.g. http://127.0.0.1:1234).
func NewClient(t testing.TB, base string) *Client {
	return &Client{t: t, Base: base, HTTP: &http.Client{Timeout: 60 * time.Second}}
}

// Browser is an anonymous client that keeps cookies, as a browser does.
func Browser(t testing.TB, base string) *Client {
	c := NewClient(t, base)
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c.HTTP.Jar = jar
	return c
}

// Response is one answer of the API.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// ServedBy is the backend that answered through HAProxy.
func (r *Response) ServedBy() string { return r.Header.Get(ServedByHeader) }

// Do sends body as JSON (nil sends none) and returns the answer, or an
// error when there was none (connection refused, reset, timeout).
func (c *Client) Do(method, path string, body any) (*Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.Base+"/api/v1"+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if c.CSRF != "" && method != http.MethodGet {
		req.Header.Set("X-CSRF-Token", c.CSRF)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: raw}, nil
}

// Must sends a request and fails the test unless the status is want; it
// decodes the answer into out when out is not nil.
func (c *Client) Must(want int, method, path string, body, out any) *Response {
	c.t.Helper()
	r, err := c.Do(method, path, body)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	if r.Status != want {
		c.t.Fatalf("%s %s: %d, want %d: %s", method, path, r.Status, want, r.Body)
	}
	if out != nil {
		if err := json.Unmarshal(r.Body, out); err != nil {
			c.t.Fatalf("%s %s: %v in %s", method, path, err, r.Body)
		}
	}
	return r
}

type loginAnswer struct {
	Token     string `json:"token"`
	CSRFToken string `json:"csrf_token"`
	User      struct {
		ID int64 `json:"id"`
	} `json:"user"`
}

// Login opens a session as an app does: a new client with the bearer token.
func (c *Client) Login(login, password string) *Client {
	c.t.Helper()
	var out loginAnswer
	NewClient(c.t, c.Base).Must(200, "POST", "/auth/login", map[string]string{"login": login, "password": password}, &out)
	return &Client{t: c.t, Base: c.Base, HTTP: c.HTTP, Token: out.Token, UserID: out.User.ID}
}

// BrowserLogin opens a session as the web UI does: a new cookie-keeping
// client holding the session cookie, which echoes the CSRF token the
// server set in its readable cookie.
func (c *Client) BrowserLogin(login, password string) *Client {
	c.t.Helper()
	b := Browser(c.t, c.Base)
	var out loginAnswer
	b.Must(200, "POST", "/auth/login", map[string]string{"login": login, "password": password}, &out)
	u, _ := url.Parse(c.Base)
	for _, ck := range b.HTTP.Jar.Cookies(u) {
		if ck.Name == "pixelpals_csrf" {
			b.CSRF = ck.Value
		}
	}
	if b.CSRF == "" || b.CSRF != out.CSRFToken {
		c.t.Fatalf("login set CSRF cookie %q, answered csrf_token %q", b.CSRF, out.CSRFToken)
	}
	b.UserID = out.User.ID
	return b
}

// ID is the "id" field of a created object.
type ID struct {
	ID int64 `json:"id"`
}

// World is what the main flows build: an admin, two approved parents with a
// child each, the children approved as contacts, and their conversation.
type World struct {
	Admin            *Client
	ParentA, ParentB *Client
	KidA, KidB       *Client
	KidAID, KidBID   int64
	Conversation     int64
}

// BuildWorld drives the API's main flows through base as clients would:
// sign-up, admin approval, a child account, a contact request by friend
// code approved by both parents, a conversation. adminEmail/adminPassword
// is an admin created with `pixelpals admin create`; tag keeps emails and
// logins unique when called more than once on one database.
func BuildWorld(t testing.TB, base, adminEmail, adminPassword, tag string) *World {
	t.Helper()
	anon := NewClient(t, base)
	w := &World{Admin: anon.Login(adminEmail, adminPassword)}
	family := func(n string) (parent, kid *Client, kidID int64) {
		email := fmt.Sprintf("parent-%s-%s@example.com", tag, n)
		var signup struct{ User ID }
		anon.Must(201, "POST", "/auth/signup", map[string]string{"email": email, "password": "parent-password", "display_name": "Parent " + n}, &signup)
		w.Admin.Must(200, "POST", fmt.Sprintf("/admin/users/%d/approve", signup.User.ID), nil, nil)
		parent = anon.Login(email, "parent-password")
		login := fmt.Sprintf("kid%s%s", tag, n)
		var kidOut struct{ User ID }
		parent.Must(201, "POST", "/children", map[string]string{"login": login, "password": "kidpass", "display_name": "Kid " + n}, &kidOut)
		return parent, anon.Login(login, "kidpass"), kidOut.User.ID
	}
	w.ParentA, w.KidA, w.KidAID = family("a")
	w.ParentB, w.KidB, w.KidBID = family("b")

	var fc struct {
		FriendCode string `json:"friend_code"`
	}
	w.KidB.Must(200, "GET", "/me/friend-code", nil, &fc)
	var link ID
	w.KidA.Must(201, "POST", "/contacts", map[string]string{"friend_code": fc.FriendCode}, &link)
	w.ParentA.Must(200, "POST", fmt.Sprintf("/contacts/%d/approve", link.ID), nil, nil)
	w.ParentB.Must(200, "POST", fmt.Sprintf("/contacts/%d/approve", link.ID), nil, nil)
	var conv ID
	w.KidA.Must(201, "POST", "/conversations", map[string]any{"member_ids": []int64{w.KidBID}, "is_group": false}, &conv)
	w.Conversation = conv.ID
	return w
}

// Page is one page of a conversation's history.
type Page struct {
	Items []struct {
		ID       int64   `json:"id"`
		SenderID int64   `json:"sender_id"`
		Content  *string `json:"content"`
	} `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// History reads a conversation's whole history, newest first, page by page.
func (c *Client) History(conv int64) []string {
	c.t.Helper()
	var out []string
	path := fmt.Sprintf("/conversations/%d/messages?limit=50", conv)
	for next := path; ; {
		var p Page
		c.Must(200, "GET", next, nil, &p)
		for _, m := range p.Items {
			if m.Content != nil {
				out = append(out, *m.Content)
			}
		}
		if p.NextCursor == nil {
			return out
		}
		next = path + "&cursor=" + url.QueryEscape(*p.NextCursor)
	}
}

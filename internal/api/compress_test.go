package api_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"pixelpals/internal/apitest"
)

// gunzip decodes a gzipped answer's body.
func gunzip(t *testing.T, r *apitest.Response) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatalf("gzip header: %v", err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gzip body: %v", err)
	}
	return b
}

func acceptGzip(coding string) http.Header { return http.Header{"Accept-Encoding": {coding}} }

// TestHistoryGzipped: a chat's history, asked with gzip, comes gzipped and
// decodes to exactly the JSON sent to a client that does not ask; with
// gzip;q=0 (or no Accept-Encoding) it comes as is. Either way the answer
// varies on Accept-Encoding, so a cache keeps the two apart.
func TestHistoryGzipped(t *testing.T) {
	env := apitest.New(t)
	admin := env.Admin()
	fam := env.Family(admin, 2)
	a, b := fam.Children[0], fam.Children[1]
	approveLink(fam, a, fam, b)
	conv := createDirect(a, b.UserID)
	for i := range 30 {
		mustSend(t, a, conv.ID, fmt.Sprintf("Message %d: what are we having for dinner tonight?", i))
	}
	path := fmt.Sprintf("/conversations/%d/messages?limit=50", conv.ID)

	plain := a.Raw("GET", path, nil, nil)
	zipped := a.Raw("GET", path, nil, acceptGzip("br;q=1.0, gzip;q=0.8"))
	refused := a.Raw("GET", path, nil, acceptGzip("gzip;q=0"))
	for name, r := range map[string]*apitest.Response{"plain": plain, "gzip": zipped, "gzip;q=0": refused} {
		if r.Status != 200 {
			t.Fatalf("%s: status %d: %s", name, r.Status, r.Body)
		}
		if !strings.Contains(strings.Join(r.Header.Values("Vary"), ","), "Accept-Encoding") {
			t.Errorf("%s: Vary %q, want Accept-Encoding", name, r.Header.Values("Vary"))
		}
	}
	if len(plain.Body) < 2048 {
		t.Fatalf("history of 30 messages is %d bytes: too small to tell", len(plain.Body))
	}
	if plain.Header.Get("Content-Encoding") != "" || refused.Header.Get("Content-Encoding") != "" {
		t.Fatalf("compressed without asking: %q, %q", plain.Header.Get("Content-Encoding"), refused.Header.Get("Content-Encoding"))
	}
	if zipped.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding %q, want gzip", zipped.Header.Get("Content-Encoding"))
	}
	if got := zipped.Header.Get("Content-Length"); got != fmt.Sprint(len(zipped.Body)) {
		t.Errorf("Content-Length %s, body %d bytes", got, len(zipped.Body))
	}
	if !bytes.Equal(gunzip(t, zipped), plain.Body) {
		t.Fatalf("gzipped history decodes to\n%s\nwant\n%s", gunzip(t, zipped), plain.Body)
	}
	if len(zipped.Body)*3 > len(plain.Body) {
		t.Errorf("gzip: %d bytes for %d", len(zipped.Body), len(plain.Body))
	}
	// The client's own decoding (Go's transport asks for gzip itself)
	// reads the same history as before.
	got := history(a, conv.ID)
	if len(got) != 30 {
		t.Fatalf("history through a gzip-aware client: %d messages, want 30", len(got))
	}
	for _, m := range got {
		if m.Content == nil || !strings.HasSuffix(*m.Content, ": what are we having for dinner tonight?") {
			t.Fatalf("history through a gzip-aware client: message %+v", m)
		}
	}
}

// TestSecretsNeverGzipped: the keeper's reveal (a game password) is never
// compressed, even when the client asks; nor is a route that is not on
// the list, however long its answer (a child's list of game logins, over
// 1 KiB here), so it is the list, not the size, that keeps them plain.
func TestSecretsNeverGzipped(t *testing.T) {
	env := apitest.New(t)
	admin := env.Admin()
	fam := env.Family(admin, 1)
	kid := fam.Child()
	var c credential
	for i := range 12 {
		c = addCredential(t, fam, kid, fmt.Sprintf("Block Builders %02d", i), fmt.Sprintf("ada-the-builder-%02d", i), "correct-horse-battery-staple-1")
	}

	r := kid.Raw("POST", fmt.Sprintf("/game-credentials/%d/reveal", c.ID), nil, acceptGzip("gzip"))
	if r.Status != 200 || r.Header.Get("Content-Encoding") != "" || !bytes.Contains(r.Body, []byte("correct-horse-battery-staple-1")) {
		t.Fatalf("reveal: status %d, Content-Encoding %q, body %q", r.Status, r.Header.Get("Content-Encoding"), r.Body)
	}
	list := kid.Raw("GET", "/me/game-credentials", nil, acceptGzip("gzip"))
	if list.Header.Get("Content-Encoding") != "" {
		t.Fatalf("a route not on the list was compressed: %q", list.Header.Get("Content-Encoding"))
	}
	if list.Status != 200 || len(list.Body) < 1024 {
		t.Fatalf("list: status %d, %d bytes: too small to tell", list.Status, len(list.Body))
	}
	code := kid.Raw("GET", "/me/friend-code", nil, acceptGzip("gzip"))
	if code.Status != 200 || code.Header.Get("Content-Encoding") != "" {
		t.Fatalf("friend code: status %d, Content-Encoding %q", code.Status, code.Header.Get("Content-Encoding"))
	}
}

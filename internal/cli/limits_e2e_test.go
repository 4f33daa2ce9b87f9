package cli_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"pixelpals/internal/media/mediatest"
	"pixelpals/internal/pgtest"
)

// do sends one request for c to base (an instance's URL) and returns its
// status and Retry-After header; body is JSON unless it is a
// *multipartBody.
func (c *client) do(base, method, path string, body any) (int, string) {
	c.t.Helper()
	var rd io.Reader
	contentType := "application/json"
	switch b := body.(type) {
	case nil:
	case *multipartBody:
		rd, contentType = bytes.NewReader(b.data), b.contentType
	default:
		raw, _ := json.Marshal(b)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, base+"/api/v1"+path, rd)
	req.Header.Set("Content-Type", contentType)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Error(err)
		return 0, ""
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("Retry-After")
}

type multipartBody struct {
	data        []byte
	contentType string
}

// pngUpload is a multipart upload of an 8×8 PNG of one colour: each n
// its own bytes, so that no upload is the same as another.
func pngUpload(n int) *multipartBody {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range img.Pix {
		img.Pix[i] = byte(n * (i%4 + 1))
	}
	img.Set(0, 0, color.RGBA{byte(n), byte(n >> 8), 7, 255})
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, _ := mw.CreateFormFile("file", "pic.png")
	part.Write(mediatest.PNG(img))
	mw.Close()
	return &multipartBody{data: body.Bytes(), contentType: mw.FormDataContentType()}
}

// burst sends n requests through instances A and B in turn, up to 8 at
// once, and counts them by status. elapsed runs from before the first was
// sent to after the last was answered, so no more than that much refill
// can have happened in between.
func burst(t *testing.T, bases [2]string, n int, send func(base string, i int) (int, string)) (counts map[int]int, elapsed time.Duration) {
	t.Helper()
	counts = map[int]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	slots := make(chan struct{}, 8)
	start := time.Now()
	for i := range n {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			status, retry := send(bases[i%2], i)
			if status == http.StatusTooManyRequests {
				if s, err := strconv.Atoi(retry); err != nil || s < 1 {
					t.Errorf("429 with Retry-After %q", retry)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			counts[status]++
		})
	}
	wg.Wait()
	return counts, time.Since(start)
}

// TestLimitsAcrossInstances runs two `serve` processes on one database
// and sends each limited kind of request through both in turn: every
// limit holds at its single-instance number (issue 19), where each
// instance used to keep its own count.
func TestLimitsAcrossInstances(t *testing.T) {
	url := pgtest.URL(t)
	env := map[string]string{"DATABASE_URL": url, "PIXELPALS_VAULT_KEYS": keyLine(t, 1)}
	createAdmin(t, env)
	baseA, _ := startLiveInstance(t, env)
	baseB, _ := startLiveInstance(t, env)
	bases := [2]string{baseA, baseB}
	anon := &client{t: t, base: baseA}
	admin := anon.login("admin@example.com", "admin-password")
	p1, kid1, kid1ID := family(anon, admin, 1)
	p2, kid2, kid2ID := family(anon, admin, 2)
	conv := directChat(p1, kid1, kid1ID, p2, kid2, kid2ID)

	// Sends: 5 a second per child in bursts of 20.
	counts, elapsed := burst(t, bases, 60, func(base string, i int) (int, string) {
		return kid1.do(base, "POST", fmt.Sprintf("/conversations/%d/messages", conv),
			map[string]any{"type": "text", "content": "hi", "client_id": fmt.Sprint("flood", i)})
	})
	t.Logf("sends through both instances: %v in %v", counts, elapsed)
	if most := 20 + int(5*elapsed.Seconds()); counts[201] < 20 || counts[201] > most || counts[201]+counts[429] != 60 {
		t.Errorf("sends: %v in %v, want 20 to %d sent (a burst of 20 and 5/s), the rest 429", counts, elapsed, most)
	}

	// Unknown friend codes: 10, then locked out.
	for i := range 11 {
		want := http.StatusNotFound
		if i == 10 {
			want = http.StatusTooManyRequests
		}
		if status, _ := kid1.do(bases[i%2], "POST", "/contacts", map[string]any{"friend_code": "ZZZZZZZZZ" + string("23456789ABC"[i])}); status != want {
			t.Errorf("unknown friend code %d: %d, want %d", i+1, status, want)
		}
	}

	// Uploads: one every 5 seconds per user in bursts of 10.
	counts, elapsed = burst(t, bases, 16, func(base string, i int) (int, string) {
		return kid1.do(base, "POST", "/media", pngUpload(i+1))
	})
	t.Logf("uploads through both instances: %v in %v", counts, elapsed)
	if most := 10 + int(elapsed.Seconds()/5); counts[201] < 10 || counts[201] > most || counts[201]+counts[429] != 16 {
		t.Errorf("uploads: %v in %v, want 10 to %d stored, the rest 429", counts, elapsed, most)
	}

	// Logins last: the address's lockout ends every login from here.
	// Per account: 5 failures, then locked out.
	for i := range 6 {
		want := http.StatusUnauthorized
		if i == 5 {
			want = http.StatusTooManyRequests
		}
		if status, _ := anon.do(bases[i%2], "POST", "/auth/login", map[string]string{"login": "parent1@example.com", "password": "wrong-password"}); status != want {
			t.Errorf("wrong password %d for one account: %d, want %d", i+1, status, want)
		}
	}
	// Per address: 30 failures in all (5 above), then locked out, on
	// accounts each failed once.
	for i := range 26 {
		want := http.StatusUnauthorized
		if i == 25 {
			want = http.StatusTooManyRequests
		}
		if status, _ := anon.do(bases[i%2], "POST", "/auth/login", map[string]string{"login": fmt.Sprint("nobody", i), "password": "wrong-password"}); status != want {
			t.Errorf("failed login %d from one address: %d, want %d", 6+i, status, want)
		}
	}
}

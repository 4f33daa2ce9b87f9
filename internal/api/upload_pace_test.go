package api_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"pixelpals/internal/api"
	"pixelpals/internal/apitest"
	"pixelpals/internal/media"
	"pixelpals/internal/media/mediatest"
)

// These tests are issue 19's "two slow uploads block every upload": a
// decode slot is taken only once the whole body has arrived, a body slower
// than the upload pace is cut off, and an upload whose client left stops
// waiting for a slot.

const boundary = "pacedboundary"

// slowUpload is a POST /media over a raw connection whose body the test
// sends by hand, as slowly as it likes.
type slowUpload struct {
	t    *testing.T
	conn net.Conn
	br   *bufio.Reader
	// sent is when the request's headers went out: the server's clock for
	// the body starts after it.
	sent time.Time
}

// startSlowUpload sends the headers of an upload of length bytes, with
// Expect: 100-continue, and returns once the server has answered 100
// Continue: Go's server sends it when the handler first reads the body,
// so from then on the upload is inside the handler.
func startSlowUpload(t *testing.T, env *apitest.Env, c *apitest.Client, length int) *slowUpload {
	t.Helper()
	conn, err := net.Dial("tcp", env.Server.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	u := &slowUpload{t: t, conn: conn, br: bufio.NewReader(conn), sent: time.Now()}
	fmt.Fprintf(conn, "POST /api/v1/media HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: multipart/form-data; boundary=%s\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n",
		conn.RemoteAddr(), c.Token, boundary, length)
	resp := u.response(10 * time.Second)
	if resp.StatusCode != http.StatusContinue {
		t.Fatalf("waiting for 100 Continue: %d", resp.StatusCode)
	}
	return u
}

// response reads the server's next answer, failing the test when none
// comes within wait.
func (u *slowUpload) response(wait time.Duration) *http.Response {
	u.t.Helper()
	u.conn.SetReadDeadline(time.Now().Add(wait))
	defer u.conn.SetReadDeadline(time.Time{})
	resp, err := http.ReadResponse(u.br, nil)
	if err != nil {
		u.t.Fatalf("no answer within %s: %v", wait, err)
	}
	return resp
}

// trickle sends body a byte at a time, one every interval, until it is all
// sent, the connection fails or stop is called.
func (u *slowUpload) trickle(body []byte, interval time.Duration) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for i := range body {
			if _, err := u.conn.Write(body[i : i+1]); err != nil {
				return
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	var once sync.Once
	stop = func() { once.Do(func() { close(done); wg.Wait() }) }
	u.t.Cleanup(stop)
	return stop
}

// fileBody is a multipart body of data as the field "file", of exactly
// length bytes when length is larger (padded after the file's part).
func fileBody(data []byte, length int) []byte {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.SetBoundary(boundary)
	part, _ := mw.CreateFormFile("file", "pic.png")
	part.Write(data)
	mw.Close()
	if pad := length - b.Len(); pad > 0 {
		b.Write(bytes.Repeat([]byte{'\n'}, pad))
	}
	return b.Bytes()
}

// uploadWithin posts data as c, giving up after wait.
func uploadWithin(t *testing.T, env *apitest.Env, c *apitest.Client, data []byte, wait time.Duration) (int, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	body := fileBody(data, 0)
	req, err := http.NewRequestWithContext(ctx, "POST", env.Server.URL+"/api/v1/media", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "multipart/form-data; boundary="+boundary)
	req.Header.Set("Authorization", "Bearer "+c.Token)
	resp, err := env.Server.Client().Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

func processorWith(slots int) *media.Processor {
	l := media.DefaultLimits
	l.MaxConcurrent = slots
	return media.NewProcessor(l)
}

// TestSlowUploadsDoNotBlockOthers: two uploads trickling a byte a second,
// as many as there are decode slots, and another user's 8×8 PNG is stored
// at once.
func TestSlowUploadsDoNotBlockOthers(t *testing.T) {
	env := apitest.New(t, apitest.Options{Media: processorWith(2)})
	fam := env.Family(env.Admin(), 3)
	const length = 1 << 20
	for _, kid := range fam.Children[:2] {
		slow := startSlowUpload(t, env, kid, length)
		slow.trickle(fileBody(mediatest.PNG(mediatest.Quadrants(8, 8)), length), time.Second)
	}
	start := time.Now()
	status, body, err := uploadWithin(t, env, fam.Children[2], mediatest.PNG(mediatest.Quadrants(8, 8)), 5*time.Second)
	took := time.Since(start)
	if err != nil {
		t.Fatalf("an 8×8 PNG beside two trickling uploads: %v after %s", err, took.Round(time.Millisecond))
	}
	if status != http.StatusCreated {
		t.Fatalf("an 8×8 PNG beside two trickling uploads: %d %s", status, body)
	}
	if took > time.Second {
		t.Errorf("an 8×8 PNG beside two trickling uploads took %s", took.Round(time.Millisecond))
	}
	t.Logf("an 8×8 PNG beside two trickling uploads: stored in %s", took.Round(time.Millisecond))
}

// TestTricklingUploadIsCutOff: a body slower than the pace gets 408
// request_timeout once it falls behind, and nothing is stored; a body
// within the pace that takes longer than the grace is stored.
func TestTricklingUploadIsCutOff(t *testing.T) {
	pace := api.UploadPace{Grace: time.Second, BytesPerSecond: 1 << 10}
	env := apitest.New(t, apitest.Options{UploadPace: pace})
	fam := env.Family(env.Admin(), 2)
	kid := fam.Children[0]

	const length = 64 << 10
	slow := startSlowUpload(t, env, kid, length)
	stop := slow.trickle(fileBody(mediatest.PNG(mediatest.Quadrants(8, 8)), length), time.Second)
	resp := slow.response(10 * time.Second)
	took := time.Since(slow.sent)
	stop()
	var e struct {
		Error struct{ Code, Message string }
	}
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &e); err != nil || resp.StatusCode != http.StatusRequestTimeout || e.Error.Code != "request_timeout" {
		t.Fatalf("a trickling upload: %d %s", resp.StatusCode, b)
	}
	if took < pace.Grace {
		t.Errorf("cut off after %s, before the grace of %s", took, pace.Grace)
	}
	t.Logf("a body at 1 byte/s, pace %s + %d B/s: %d %s after %s", pace.Grace, pace.BytesPerSecond, resp.StatusCode, e.Error.Message, took.Round(time.Millisecond))
	if n := rowCount(t, env, `SELECT count(*) FROM media`); n != 0 {
		t.Errorf("%d uploads stored", n)
	}

	// 4 KiB a second where the pace asks for 1: stored, though it takes
	// twice the grace.
	png := mediatest.PNG(mediatest.Quadrants(8, 8))
	const steady = 8 << 10
	ok := startSlowUpload(t, env, fam.Children[1], steady)
	body := fileBody(png, steady)
	for i := 0; i < len(body); i += 1 << 10 {
		if _, err := ok.conn.Write(body[i:min(i+1<<10, len(body))]); err != nil {
			t.Fatal(err)
		}
		time.Sleep(250 * time.Millisecond)
	}
	if resp := ok.response(10 * time.Second); resp.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(resp.Body)
		t.Errorf("a body within the pace: %d %s", resp.StatusCode, b)
	}
}

// TestLeavingClientFreesItsPlace: an upload waiting for the one decode
// slot whose client gives up stops waiting at once, stores nothing, and
// the slot serves the next upload.
func TestLeavingClientFreesItsPlace(t *testing.T) {
	proc := processorWith(1)
	env := apitest.New(t, apitest.Options{Media: proc})
	fam := env.Family(env.Admin(), 2)
	png := mediatest.PNG(mediatest.Quadrants(8, 8))

	// The test holds the only slot: ProcessFrom's read runs inside it.
	held, release, done := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		proc.ProcessFrom(context.Background(), func() ([]byte, error) { close(held); <-release; return png, nil })
	}()
	<-held
	releaseOnce := sync.OnceFunc(func() { close(release); <-done })
	t.Cleanup(releaseOnce)

	ctx, giveUp := context.WithCancel(context.Background())
	left := make(chan error, 1)
	go func() {
		body := fileBody(png, 0)
		req, _ := http.NewRequestWithContext(ctx, "POST", env.Server.URL+"/api/v1/media", bytes.NewReader(body))
		req.Header.Set("Content-Type", "multipart/form-data; boundary="+boundary)
		req.Header.Set("Authorization", "Bearer "+fam.Children[0].Token)
		resp, err := env.Server.Client().Do(req)
		if err == nil {
			resp.Body.Close()
		}
		left <- err
	}()
	waitUntil(t, "the upload to wait for the slot", func() bool { return proc.Waiting() == 1 })
	giveUp()
	if err := <-left; err == nil {
		t.Fatal("the request was answered while the slot was held")
	}
	waitUntil(t, "the server to stop waiting for a client that left", func() bool { return proc.Waiting() == 0 })

	releaseOnce()
	upload(t, fam.Children[1], "next.png", "image/png", png)
	if n := rowCount(t, env, `SELECT count(*) FROM media WHERE uploader_id = $1`, fam.Children[0].UserID); n != 0 {
		t.Errorf("the upload of a client that left was stored (%d)", n)
	}
}

// TestSpooledUploadsLeaveNoFiles: an upload larger than what a spool keeps
// in memory goes to an unlinked temporary file, closed however the upload
// ends: stored, too large, or its client gone mid-body.
func TestSpooledUploadsLeaveNoFiles(t *testing.T) {
	dir := t.TempDir()
	mediatest.OpenFilesUnder(t, dir) // skips where open files cannot be listed
	// A lost *os.File is closed by its finalizer at the next collection:
	// with the collector off, a spool left open stays open to be seen.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	t.Setenv("TMPDIR", dir)
	l := media.DefaultLimits
	l.MaxImageBytes, l.MaxAudioBytes = 400<<10, 200<<10
	env := apitest.New(t, apitest.Options{Media: media.NewProcessor(l)})
	kid := env.Family(env.Admin(), 1).Child()

	wav := mediatest.WAV(6) // 96 KB: more than a spool keeps in memory
	if len(wav) <= media.SpoolMemory {
		t.Fatalf("the WAV is %d bytes, not past the spool's memory", len(wav))
	}
	// The handler closes the spool before it answers.
	upload(t, kid, "voice.wav", "audio/wav", wav)
	if open := mediatest.OpenFilesUnder(t, dir); len(open) != 0 {
		t.Errorf("open after a stored upload: %v", open)
	}
	// Refused once read, past the audio limit; and while read, past the
	// larger (image) limit.
	for _, seconds := range []int{20, 30} {
		if r := kid.Upload("long.wav", "audio/wav", mediatest.WAV(seconds)); r.Status != http.StatusRequestEntityTooLarge {
			t.Errorf("a %d s clip: %d %s", seconds, r.Status, r.Body)
		}
		if open := mediatest.OpenFilesUnder(t, dir); len(open) != 0 {
			t.Errorf("open after a %d s clip was refused: %v", seconds, open)
		}
	}
	// The client sends 100 KiB of 300 and leaves, inside the file part and
	// after it: the server reads the end of the stream and answers 400 (to
	// no one).
	for i, wav := range [][]byte{mediatest.WAV(12), wav} {
		slow := startSlowUpload(t, env, kid, 300<<10)
		if _, err := slow.conn.Write(fileBody(wav, 300<<10)[:100<<10]); err != nil {
			t.Fatal(err)
		}
		slow.conn.Close()
		waitUntil(t, "the upload cut short to end", func() bool { return strings.Count(env.Logs.String(), `"status":400`) == i+1 })
		if open := mediatest.OpenFilesUnder(t, dir); len(open) != 0 {
			t.Errorf("open after the client left %d bytes into a %d-byte file: %v", 100<<10, len(wav), open)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files left in the spool directory: %v", entries)
	}
}

// waitUntil polls cond until it holds, failing the test after 10 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10 s for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestUploadsArrivingAtOncePerUser: a user with two uploads still arriving
// gets 429 for a third, before any of its body is spooled, while another
// user's upload goes through; once one of the two is cut off, the next is
// taken. Slow bodies are spooled to disk, so without this cap one account
// could keep gigabytes of them.
func TestUploadsArrivingAtOncePerUser(t *testing.T) {
	env := apitest.New(t, apitest.Options{Media: processorWith(2)})
	fam := env.Family(env.Admin(), 2)
	kid, other := fam.Children[0], fam.Children[1]
	png := mediatest.PNG(mediatest.Quadrants(8, 8))
	const length = 1 << 20
	for range 2 {
		slow := startSlowUpload(t, env, kid, length)
		slow.trickle(fileBody(png, length), time.Second)
	}
	status, body, err := uploadWithin(t, env, kid, png, 5*time.Second)
	if err != nil || status != http.StatusTooManyRequests || !strings.Contains(body, `"rate_limited"`) {
		t.Fatalf("a third upload while two are arriving: %d %s %v, want 429 rate_limited", status, body, err)
	}
	if status, body, err := uploadWithin(t, env, other, png, 5*time.Second); err != nil || status != http.StatusCreated {
		t.Fatalf("another child's upload beside them: %d %s %v, want 201", status, body, err)
	}
}

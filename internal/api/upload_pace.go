package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"pixelpals/internal/domain"
)

// UploadPace is the slowest an upload's body may arrive: Grace for the
// first byte, then BytesPerSecond on average from the start. A body that
// falls behind is cut off with 408 request_timeout and nothing is stored,
// so that a connection trickling a byte a second holds no more than a
// goroutine and a spool for long.
type UploadPace struct {
	Grace          time.Duration
	BytesPerSecond int64
}

// DefaultUploadPace allows 10 s, then 1 s per 16 KiB (128 kbit/s, a poor
// mobile link): a 10 MiB photo may take up to 11 minutes, a body trickling
// a byte a second is cut off after about 10 s.
var DefaultUploadPace = UploadPace{Grace: 10 * time.Second, BytesPerSecond: 16 << 10}

// due is when byte n (counted from 1) of a body begun at start must have
// arrived.
func (p UploadPace) due(start time.Time, n int64) time.Time {
	return start.Add(p.Grace + time.Duration(float64(n)/float64(p.BytesPerSecond)*float64(time.Second)))
}

// pacedBody is an upload's body held to its UploadPace: before each read
// it moves the connection's read deadline to when the next byte is due,
// so the server waits for a slow sender no longer than the pace allows.
type pacedBody struct {
	io.ReadCloser
	rc    *http.ResponseController
	pace  UploadPace
	start time.Time
	n     int64 // bytes read so far
}

func newPacedBody(w http.ResponseWriter, body io.ReadCloser, pace UploadPace) *pacedBody {
	return &pacedBody{ReadCloser: body, rc: http.NewResponseController(w), pace: pace, start: time.Now()}
}

func (b *pacedBody) Read(p []byte) (int, error) {
	// A server that cannot set deadlines (none does today) leaves the body
	// to its ReadTimeout.
	if err := b.rc.SetReadDeadline(b.pace.due(b.start, b.n+1)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return 0, fmt.Errorf("set the upload's read deadline: %w", err)
	}
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return n, domain.Errorf(domain.CodeRequestTimeout,
			"the upload arrived too slowly: after its first %s, an upload must arrive at %d bytes a second or faster",
			b.pace.Grace, b.pace.BytesPerSecond)
	}
	return n, err
}

// done lifts the deadline once the body is read: the connection is then
// only watched for the client leaving, and a deadline passing while the
// upload waits for a decode slot would cancel the request.
func (b *pacedBody) done() {
	// An error means the connection is gone, which the request's context
	// tells whoever waits next.
	_ = b.rc.SetReadDeadline(time.Time{})
}

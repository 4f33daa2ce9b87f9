package apitest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// Frame is one event a socket received.
type Frame struct {
	ID   string          `json:"id"`
	Type string          `json:"type"`
	At   time.Time       `json:"at"`
	Data json.RawMessage `json:"data"`
}

// Socket is a real WebSocket client of GET /api/v1/ws that reads every
// frame into a buffer as it arrives.
type Socket struct {
	Conn   *websocket.Conn
	signal chan struct{} // a frame was buffered
	done   chan struct{}
	mu     sync.Mutex
	buf    []Frame
	err    error
}

// DialSocket opens the event socket of the service at base
// ("http://host:port"), with token as Bearer (when not empty), since as
// the cursor (when not empty) and any extra headers.
func DialSocket(ctx context.Context, base, token, since string, header http.Header) (*Socket, *http.Response, error) {
	u := "ws" + strings.TrimPrefix(base, "http") + "/api/v1/ws"
	if since != "" {
		u += "?since=" + url.QueryEscape(since)
	}
	h := http.Header{}
	for k, v := range header {
		h[k] = v
	}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	conn, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		return nil, resp, err
	}
	conn.SetReadLimit(1 << 20)
	s := &Socket{Conn: conn, signal: make(chan struct{}, 1), done: make(chan struct{})}
	go s.read()
	return s, resp, nil
}

func (s *Socket) read() {
	defer close(s.done)
	for {
		_, b, err := s.Conn.Read(context.Background())
		if err != nil {
			s.mu.Lock()
			s.err = err
			s.mu.Unlock()
			return
		}
		var f Frame
		if err := json.Unmarshal(b, &f); err != nil {
			s.mu.Lock()
			s.err = err
			s.mu.Unlock()
			s.Conn.CloseNow()
			return
		}
		s.mu.Lock()
		s.buf = append(s.buf, f)
		s.mu.Unlock()
		select {
		case s.signal <- struct{}{}:
		default:
		}
	}
}

func (s *Socket) pop() (Frame, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.buf) == 0 {
		return Frame{}, false
	}
	f := s.buf[0]
	s.buf = s.buf[1:]
	return f, true
}

// ErrTimeout is Next's error when no frame came in time.
var ErrTimeout = errors.New("no frame in time")

// Next returns the next frame, waiting up to timeout; once the socket is
// closed and drained it returns the reason.
func (s *Socket) Next(timeout time.Duration) (Frame, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		if f, ok := s.pop(); ok {
			return f, nil
		}
		select {
		case <-s.signal:
		case <-s.done:
			if f, ok := s.pop(); ok {
				return f, nil
			}
			return Frame{}, s.Err()
		case <-t.C:
			return Frame{}, ErrTimeout
		}
	}
}

// Err is why the socket ended (nil while it is open).
func (s *Socket) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Closed waits up to timeout for the server to close the socket and
// returns its close code and reason (-1 if it did not close in time).
func (s *Socket) Closed(timeout time.Duration) (websocket.StatusCode, string) {
	select {
	case <-s.done:
	case <-time.After(timeout):
		return -1, ""
	}
	var ce websocket.CloseError
	if errors.As(s.Err(), &ce) {
		return ce.Code, ce.Reason
	}
	return websocket.CloseStatus(s.Err()), ""
}

// Close ends the socket from the client's side.
func (s *Socket) Close() {
	s.Conn.Close(websocket.StatusNormalClosure, "")
	<-s.done
}

// Socket opens the client's event socket, failing the test if it cannot.
func (c *Client) Socket(since string) *Socket {
	c.env.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, _, err := DialSocket(ctx, c.env.Server.URL, c.Token, since, nil)
	if err != nil {
		c.env.t.Fatalf("open the event socket of user %d: %v", c.UserID, err)
	}
	c.env.t.Cleanup(func() { s.Conn.CloseNow() })
	return s
}

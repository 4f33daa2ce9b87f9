package live

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// conn is one WebSocket connection after the handshake, as cheap as an
// idle connection can be: no goroutine and no buffer while nothing moves.
// Reads are driven by the hub's poller (poller_linux.go): when the client
// sends something a short-lived worker reads it with a buffer from a pool
// and answers (pong, close); writes happen on the goroutine of whoever
// sends (the socket's writer, a ping, the reader's answers), one frame at
// a time. A connection the poller cannot watch (TLS, which reads through
// crypto/tls; other systems) gets a reader goroutine of its own instead.
type conn struct {
	nc   net.Conn
	raw  syscall.RawConn // the TCP connection's descriptor, when polled
	poll *poller         // nil: read by readLoop
	// ending is told once when the connection begins to end, on either
	// side; gone once when it is closed.
	ending, gone func()

	wmu     sync.Mutex  // one frame at a time on the wire
	closing atomic.Bool // a close frame was sent: nothing may follow it
	closed  atomic.Bool
	endOnce sync.Once

	// The reader's own, one reader at a time (rmu).
	rmu  sync.Mutex
	part []byte // the start of a frame the network split (≤ a header and a control payload), else nil
	skip uint64 // payload bytes of a refused frame still to come

	// pingAt is when the unanswered ping was sent (Unix ns), zero when
	// the last ping was answered.
	pingAt atomic.Int64
}

var errClosing = errors.New("websocket: the connection is closing")

const (
	// closeWait bounds how long a close handshake waits for the peer.
	closeWait = 5 * time.Second
	// readBufSize is a worker's read buffer, from readBufs: clients send
	// only control frames, and whatever else is refused at its header.
	readBufSize = 1024
)

// Close codes a client may see besides the socket's own (socket.go).
const (
	CloseNormal      = 1000
	CloseProtocol    = 1002 // a malformed frame
	CloseInvalidData = 1007 // a close reason that is not UTF-8
)

var readBufs = sync.Pool{New: func() any { b := make([]byte, readBufSize); return &b }}

// text sends one text frame.
func (c *conn) text(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.writeLocked(opText, b)
}

func (c *conn) writeLocked(op byte, payload []byte) error {
	if c.closing.Load() {
		return errClosing
	}
	if err := c.nc.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil {
		return err
	}
	bufs := net.Buffers{appendHeader(make([]byte, 0, 10), op, len(payload)), payload}
	_, err := bufs.WriteTo(c.nc)
	return err
}

// close starts the closing handshake: the close frame goes out, and the
// connection ends when the peer answers it, hangs up, or after closeWait.
func (c *conn) close(code int, reason string) {
	c.wmu.Lock()
	err := c.writeLocked(opClose, closePayload(code, reason))
	if err != errClosing {
		c.closing.Store(true)
	}
	c.wmu.Unlock()
	if err == errClosing {
		return
	}
	c.end()
	if err != nil {
		c.closeNow()
		return
	}
	time.AfterFunc(closeWait, c.closeNow)
}

// abort drops a connection that failed, unless a close handshake is under
// way (it ends on its own, and dropping it would lose the close frame).
func (c *conn) abort() {
	if !c.closing.Load() {
		c.closeNow()
	}
}

func (c *conn) end() { c.endOnce.Do(c.ending) }

// closeNow closes the connection at once; safe to call more than once.
func (c *conn) closeNow() {
	if c.closed.Swap(true) {
		return
	}
	c.end()
	if c.poll != nil {
		c.poll.remove(c)
	}
	c.nc.Close()
	c.gone()
}

// ping sends a ping; round is when the hub asked for it. An earlier ping
// still unanswered keeps its time, so that reap finds the silent peer.
func (c *conn) ping(round time.Time) {
	c.pingAt.CompareAndSwap(0, round.UnixNano())
	c.wmu.Lock()
	err := c.writeLocked(opPing, nil)
	c.wmu.Unlock()
	if err != nil {
		c.abort()
	}
}

// silent tells whether a ping has waited for its pong for longer than d.
func (c *conn) silent(now time.Time, d time.Duration) bool {
	at := c.pingAt.Load()
	return at != 0 && now.Sub(time.Unix(0, at)) >= d
}

// readReady reads what the client sent, without waiting: the poller's
// worker, run when the descriptor is readable. It re-arms the poller
// once the socket has nothing more to read.
func (c *conn) readReady() {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	bp := readBufs.Get().(*[]byte)
	defer readBufs.Put(bp)
	for !c.closed.Load() {
		n, err := c.readNow(*bp)
		switch {
		case errors.Is(err, syscall.EAGAIN):
			c.poll.rearm(c)
			return
		case err != nil || n == 0: // error, or the peer hung up
			c.closeNow()
			return
		}
		if !c.feed((*bp)[:n]) {
			return
		}
	}
}

// readNow reads what the kernel holds, or EAGAIN.
func (c *conn) readNow(buf []byte) (int, error) {
	var n int
	var rerr error
	err := c.raw.Read(func(fd uintptr) bool {
		for {
			n, rerr = syscall.Read(int(fd), buf)
			if rerr != syscall.EINTR {
				return true // never wait: the poller does
			}
		}
	})
	if err != nil {
		return 0, err
	}
	return max(n, 0), rerr
}

// readLoop reads a connection the poller does not watch, for its life.
func (c *conn) readLoop() {
	buf := make([]byte, 512)
	for {
		n, err := c.nc.Read(buf)
		if n > 0 && !c.feedLocked(buf[:n]) {
			return
		}
		if err != nil {
			c.closeNow()
			return
		}
	}
}

func (c *conn) feedLocked(p []byte) bool {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	return c.feed(p)
}

// feed takes bytes the client sent (the caller holds rmu); false when the
// connection is closed and reading is over.
func (c *conn) feed(p []byte) bool {
	if len(c.part) > 0 {
		p, c.part = append(c.part, p...), nil
	}
	for len(p) > 0 {
		if c.skip > 0 {
			n := min(c.skip, uint64(len(p)))
			c.skip, p = c.skip-n, p[n:]
			continue
		}
		h, ok, err := parseHeader(p)
		if !ok {
			break
		}
		if err != nil || h.op == opText || h.op == opBinary {
			// Refused: its payload is skipped while the close
			// handshake goes on.
			c.skip, p = h.length, p[h.size:]
			c.refuse(h, err)
			continue
		}
		end := h.size + int(h.length)
		if len(p) < end {
			break
		}
		payload := p[h.size:end]
		unmask(payload, h.mask)
		p = p[end:]
		if !c.control(h.op, payload) {
			return false
		}
	}
	if len(p) > 0 {
		c.part = append([]byte(nil), p...)
	}
	return !c.closed.Load()
}

// refuse closes the socket on a frame the protocol forbids (err), or on a
// data frame: clients send none (docs/live.md).
func (c *conn) refuse(h header, err error) {
	switch {
	case err != nil:
		c.close(CloseProtocol, err.Error())
	case h.length > readLimit:
		c.close(CloseTooBig, "frame too big: clients send no messages on this socket")
	default:
		c.close(ClosePolicy, closeReasonUnknown)
	}
}

// control answers a control frame; false when the connection is closed.
func (c *conn) control(op byte, payload []byte) bool {
	switch op {
	case opPing:
		c.wmu.Lock()
		err := c.writeLocked(opPong, payload)
		c.wmu.Unlock()
		if err != nil && err != errClosing {
			c.closeNow()
			return false
		}
	case opPong:
		c.pingAt.Store(0)
	case opClose:
		c.peerClosed(payload)
		return false
	}
	return true
}

// peerClosed answers the client's close frame (unless it answers ours)
// and ends the connection: the server closes TCP first (RFC 6455 §7.1.1).
func (c *conn) peerClosed(payload []byte) {
	code, err := peerClose(payload)
	var bad invalidData
	switch {
	case errors.As(err, &bad):
		c.close(CloseInvalidData, err.Error())
	case err != nil:
		c.close(CloseProtocol, err.Error())
	default:
		c.close(code, "")
	}
	c.closeNow()
}

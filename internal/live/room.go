package live

import "net"

// Room for the last frames. A socket whose client stops reading fills the
// connection's buffers; the writer then blocks inside an event frame, and
// a frame half written can be neither interrupted nor jumped by a close
// frame: when the write times out the connection is dropped, and the client, reading later, finds its stream cut (1006)
// instead of resync and 4008. So the kernel is asked to stop taking event
// frames well before its send buffer is full (TCP_NOTSENT_LOWAT, on a
// send buffer of a known size), and that limit is lifted when the socket
// is to end: the frame in progress, resync and the close frame then fit
// in the room kept, and the kernel delivers them whenever the client
// reads again, even after the server has let the socket go.
const (
	// roomSendBuffer is the send buffer asked for (Linux doubles it).
	roomSendBuffer = 256 << 10
	// roomUnsent is how many unsent bytes the kernel takes before a
	// write waits: the room kept is the rest of the buffer, far more
	// than one event frame, resync and a close frame.
	roomUnsent = 64 << 10
)

// room is one connection's kept room; nil when the connection cannot be
// tuned (not TCP, or not Linux): the socket then works as before.
type room struct {
	conn net.Conn
}

// release lifts the limit on unsent bytes so that the last frames can use
// the room kept. Safe to call more than once, concurrently with a write,
// and after the connection closed.
func (r *room) release() {
	if r != nil {
		r.lift()
	}
}

// tcpOf is the TCP connection under c (a TLS connection's too), or nil.
func tcpOf(c net.Conn) *net.TCPConn {
	for c != nil {
		switch t := c.(type) {
		case *net.TCPConn:
			return t
		case interface{ NetConn() net.Conn }:
			c = t.NetConn()
		default:
			return nil
		}
	}
	return nil
}

package live

import (
	"net"
	"syscall"
)

// tcpNotSentLowat is TCP_NOTSENT_LOWAT of linux/tcp.h (not in package
// syscall): a write waits while this many bytes are still unsent.
const tcpNotSentLowat = 25

// keepRoom fixes c's send buffer and limits its unsent bytes; nil when c
// is no TCP connection or the kernel refuses.
func keepRoom(c net.Conn) *room {
	tc := tcpOf(c)
	if tc == nil {
		return nil
	}
	if err := tc.SetWriteBuffer(roomSendBuffer); err != nil {
		return nil
	}
	r := &room{conn: tc}
	if !r.setUnsent(roomUnsent) {
		return nil
	}
	return r
}

// lift lets the kernel take what its send buffer holds. Linux wakes a
// write that waits on the limit when it changes.
func (r *room) lift() { r.setUnsent(1<<31 - 1) }

func (r *room) setUnsent(n int) bool {
	raw, err := r.conn.(*net.TCPConn).SyscallConn()
	if err != nil {
		return false
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, tcpNotSentLowat, n)
	}); err != nil {
		return false
	}
	return serr == nil
}

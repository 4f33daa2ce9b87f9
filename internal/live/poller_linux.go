package live

import (
	"errors"
	"net"
	"sync"
	"syscall"
)

// poller watches every polled connection's descriptor in one epoll set,
// with one goroutine for all of them: an idle socket costs the kernel an
// entry, not a goroutine with its stack and read buffer. Each descriptor
// is armed one-shot, so that one worker at a time reads it; the worker
// re-arms it when it has read everything (conn.readReady).
type poller struct {
	epfd int
	wake [2]int // a pipe: its write end stops run

	mu    sync.Mutex
	conns map[int32]*conn // by descriptor
	done  bool
}

const pollEvents = syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT

func newPoller() (*poller, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	p := &poller{epfd: epfd, conns: map[int32]*conn{}}
	if err := syscall.Pipe2(p.wake[:], syscall.O_CLOEXEC|syscall.O_NONBLOCK); err != nil {
		syscall.Close(epfd)
		return nil, err
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(p.wake[0])}
	if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, p.wake[0], &ev); err != nil {
		p.closeFDs()
		return nil, err
	}
	return p, nil
}

func (p *poller) closeFDs() {
	syscall.Close(p.wake[0])
	syscall.Close(p.wake[1])
	syscall.Close(p.epfd)
}

// watch adds c, a TCP connection, to the set; false when it cannot be
// polled (the caller reads it with a goroutine) or the poller stopped.
func (p *poller) watch(c *conn) bool {
	tc, ok := c.nc.(*net.TCPConn)
	if p == nil || !ok {
		return false
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return false
	}
	c.raw, c.poll = raw, p
	var fd int32
	if err := c.ctl(syscall.EPOLL_CTL_ADD, &fd); err != nil {
		c.raw, c.poll = nil, nil
		return false
	}
	p.conns[fd] = c
	return true
}

// ctl applies op to c's descriptor, through Go's own reference to it, so
// that a descriptor closed meanwhile (and its number reused) is never
// touched; fd is set to the descriptor.
func (c *conn) ctl(op int, fd *int32) error {
	var cerr error
	err := c.raw.Control(func(d uintptr) {
		*fd = int32(d)
		ev := syscall.EpollEvent{Events: pollEvents, Fd: int32(d)}
		cerr = syscall.EpollCtl(c.poll.epfd, op, int(d), &ev)
	})
	return errors.Join(err, cerr)
}

// rearm lets the poller report c again.
func (p *poller) rearm(c *conn) {
	var fd int32
	if err := c.ctl(syscall.EPOLL_CTL_MOD, &fd); err != nil {
		c.closeNow()
	}
}

// remove takes c out of the set before its descriptor closes.
func (p *poller) remove(c *conn) {
	var fd int32
	p.mu.Lock()
	defer p.mu.Unlock()
	if c.ctl(syscall.EPOLL_CTL_DEL, &fd) == nil && p.conns[fd] == c {
		delete(p.conns, fd)
	}
}

// run waits for readable descriptors and hands each to a worker, until
// stop.
func (p *poller) run() {
	events := make([]syscall.EpollEvent, 128)
	for {
		n, err := syscall.EpollWait(p.epfd, events, -1)
		if err != nil {
			if err == syscall.EINTR {
				continue
			}
			return
		}
		for _, ev := range events[:n] {
			if int(ev.Fd) == p.wake[0] {
				return
			}
			p.mu.Lock()
			c := p.conns[ev.Fd]
			p.mu.Unlock()
			if c != nil {
				go c.readReady()
			}
		}
	}
}

// stop ends run and closes the connections still watched.
func (p *poller) stop() {
	p.mu.Lock()
	p.done = true
	conns := make([]*conn, 0, len(p.conns))
	for _, c := range p.conns {
		conns = append(conns, c)
	}
	p.mu.Unlock()
	for _, c := range conns {
		c.closeNow()
	}
	syscall.Write(p.wake[1], []byte{0})
}

// release frees the poller's descriptors once run has returned.
func (p *poller) release() { p.closeFDs() }

//go:build !linux

package live

import "errors"

// poller is Linux's (poller_linux.go); elsewhere every connection is read
// by a goroutine of its own (conn.readLoop).
type poller struct{}

func newPoller() (*poller, error) { return nil, errors.New("no poller on this system") }

func (p *poller) watch(*conn) bool { return false }
func (p *poller) rearm(*conn)      {}
func (p *poller) remove(*conn)     {}
func (p *poller) run()             {}
func (p *poller) stop()            {}
func (p *poller) release()         {}

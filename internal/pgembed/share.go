package pgembed

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Several pixelpals processes may use one embedded cluster at once: `serve`
// and, while it runs, `admin create`, `migrate status`, `backup`… Each of
// them holds a Lease for as long as it uses the cluster, and the cluster is
// stopped only when the last lease goes and only if pixelpals started the
// server that is running (not an operator's `pg_ctl start`).
//
// The bookkeeping is three files next to the cluster directory, all
// handled with flock(2), whose locks the kernel drops when a process dies,
// so a crash never leaves a count behind:
//
//   - <dir>.lock, the gate: held exclusively while a process starts the
//     cluster or decides whether to stop it, so that these two never
//     interleave (two commands started together; `serve` starting while a
//     command exits).
//   - <dir>.users: every user holds a shared lock on it for as long as it
//     uses the cluster. A process leaving, under the gate, is the last user
//     exactly when it can turn its shared lock into an exclusive one
//     without waiting.
//   - <dir>.owner: the PID of the postmaster pixelpals started. The last
//     user stops the server only when the running postmaster is that one;
//     a server started by hand (or restarted by an operator) is left alone.
//
// So whoever started the server, it runs until the last pixelpals process
// using it exits: a command never stops the cluster of a running `serve`,
// and `serve` started while a command runs keeps the cluster the command
// started.

// Lease is one process's use of a shared cluster. Release it once.
type Lease struct {
	cluster *Cluster
	users   *os.File
	// Created reports that this lease ran initdb: the cluster is new and
	// empty.
	Created bool
	// Started reports that this lease started the server (it was not
	// running).
	Started bool
}

// Acquire starts using the cluster: it creates and starts it when needed
// and registers this process as one of its users.
func (c *Cluster) Acquire(ctx context.Context) (*Lease, error) {
	gate, err := c.lockGate(ctx)
	if err != nil {
		return nil, err
	}
	defer gate.Close() // closing drops the lock

	users, err := os.OpenFile(c.dir+".users", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open cluster users file: %w", err)
	}
	// Nobody holds it exclusively without holding the gate, so this does
	// not wait.
	if err := syscall.Flock(int(users.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		users.Close()
		return nil, fmt.Errorf("register as a user of the cluster in %s: %w", c.dir, err)
	}
	l := &Lease{cluster: c, users: users, Created: !c.Initialized()}
	if c.Running(ctx) {
		return l, nil
	}
	// Not cancellable: killing pg_ctl half-way leaves a postmaster that
	// nobody recorded, so nobody would ever stop it (pg_ctl is bounded
	// by -t anyway).
	if err := c.Start(context.WithoutCancel(ctx)); err != nil {
		if c.Running(context.WithoutCancel(ctx)) {
			_ = c.Stop(context.WithoutCancel(ctx))
		}
		users.Close()
		return nil, err
	}
	l.Started = true
	pid, err := c.postmasterPID()
	if err == nil {
		err = os.WriteFile(c.dir+".owner", []byte(pid+"\n"), 0o600)
	}
	if err != nil {
		// Without the mark nobody would ever stop it: stop it now.
		_ = c.Stop(context.WithoutCancel(ctx))
		users.Close()
		return nil, fmt.Errorf("record the started cluster: %w", err)
	}
	return l, nil
}

// Release stops using the cluster. The last user stops the server if
// pixelpals started it; it reports whether it did.
func (l *Lease) Release(ctx context.Context) (stopped bool, err error) {
	c := l.cluster
	defer l.users.Close()
	// Leaving is what a cancelled command does; it must still finish.
	ctx = context.WithoutCancel(ctx)
	gate, err := c.lockGate(ctx)
	if err != nil {
		return false, err
	}
	defer gate.Close()
	if err := syscall.Flock(int(l.users.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return false, nil // others still use it
		}
		return false, fmt.Errorf("count the cluster's users: %w", err)
	}
	owner, err := os.ReadFile(c.dir + ".owner")
	if errors.Is(err, os.ErrNotExist) {
		return false, nil // not ours to stop
	}
	if err != nil {
		return false, fmt.Errorf("read %s.owner: %w", c.dir, err)
	}
	pid, err := c.postmasterPID()
	if err != nil || pid != strings.TrimSpace(string(owner)) {
		// Not running, or running under another postmaster than the one
		// we started: an operator's.
		os.Remove(c.dir + ".owner")
		return false, nil
	}
	if err := c.Stop(ctx); err != nil {
		return false, err
	}
	os.Remove(c.dir + ".owner")
	return true, nil
}

// lockGate takes the gate lock, waiting for another process that is
// starting or stopping the cluster.
func (c *Cluster) lockGate(ctx context.Context) (*os.File, error) {
	f, err := os.OpenFile(c.dir+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open cluster lock file: %w", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s.lock: %w", c.dir, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("wait for another process starting or stopping the cluster in %s: %w", c.dir, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// postmasterPID is the first line of postmaster.pid.
func (c *Cluster) postmasterPID() (string, error) {
	b, err := os.ReadFile(filepath.Join(c.dir, "postmaster.pid"))
	if err != nil {
		return "", err
	}
	pid, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(pid), nil
}

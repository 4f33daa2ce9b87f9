// Package clientip works out the address of the client behind a request,
// believing X-Forwarded-For only when the peer is a trusted proxy, and
// carries it in the request context for logs and the audit trail.
package clientip

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Resolve returns the client address of r. The rightmost X-Forwarded-For
// entries are peeled off only while each hop is a trusted proxy, so a client
// cannot forge its address by sending the header itself.
func Resolve(r *http.Request, trusted []netip.Prefix) netip.Addr {
	peer := parse(r.RemoteAddr)
	if !isTrusted(peer, trusted) {
		return peer
	}
	var hops []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(h, ",")...)
	}
	addr := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		addr = a.Unmap()
		if !isTrusted(addr, trusted) {
			break
		}
	}
	return addr
}

func parse(remote string) netip.Addr {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	if !a.IsValid() {
		return false
	}
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

type ctxKey struct{}

// With stores the client address in ctx.
func With(ctx context.Context, a netip.Addr) context.Context {
	return context.WithValue(ctx, ctxKey{}, a)
}

// From returns the client address stored in ctx, as text ("" if unknown).
func From(ctx context.Context) string {
	a, _ := ctx.Value(ctxKey{}).(netip.Addr)
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

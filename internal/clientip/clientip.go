// Package clientip works out the client behind a request — its address,
// and whether it reached us over HTTPS — believing X-Forwarded-For and
// X-Forwarded-Proto only when the peer is a trusted proxy, and carries it
// in the request context for logs, cookies and the audit trail.
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

// HTTPS reports whether the client's connection was HTTPS: TLS ended in
// this process, or at a trusted proxy that says so in X-Forwarded-Proto.
func HTTPS(r *http.Request, trusted []netip.Prefix) bool {
	if r.TLS != nil {
		return true
	}
	proto, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ",")
	return isTrusted(parse(r.RemoteAddr), trusted) && strings.EqualFold(strings.TrimSpace(proto), "https")
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

// Client is what we know of the client behind a request.
type Client struct {
	Addr  netip.Addr
	HTTPS bool
}

// Of works out the client behind r.
func Of(r *http.Request, trusted []netip.Prefix) Client {
	return Client{Addr: Resolve(r, trusted), HTTPS: HTTPS(r, trusted)}
}

type ctxKey struct{}

// With stores the client in ctx.
func With(ctx context.Context, c Client) context.Context {
	return context.WithValue(ctx, ctxKey{}, c)
}

// From returns the client address stored in ctx, as text ("" if unknown).
func From(ctx context.Context) string {
	c, _ := ctx.Value(ctxKey{}).(Client)
	if !c.Addr.IsValid() {
		return ""
	}
	return c.Addr.String()
}

// IsHTTPS reports whether the client stored in ctx came over HTTPS.
func IsHTTPS(ctx context.Context) bool {
	c, _ := ctx.Value(ctxKey{}).(Client)
	return c.HTTPS
}

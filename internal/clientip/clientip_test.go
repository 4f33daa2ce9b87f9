package clientip

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestResolve(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	cases := []struct {
		remote, xff string
		want        string
	}{
		{"203.0.113.5:1234", "", "203.0.113.5"},
		{"203.0.113.5:1234", "1.2.3.4", "203.0.113.5"},              // untrusted peer: header ignored
		{"10.0.0.2:1234", "198.51.100.7", "198.51.100.7"},           // trusted proxy
		{"10.0.0.2:1234", "6.6.6.6, 198.51.100.7", "198.51.100.7"},  // forged left part ignored
		{"10.0.0.2:1234", "198.51.100.7, 10.0.0.9", "198.51.100.7"}, // two trusted hops
		{"10.0.0.2:1234", "garbage", "10.0.0.2"},                    // unparsable hop
		{"[::ffff:203.0.113.5]:80", "", "203.0.113.5"},              // v4-mapped
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.remote
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		if got := Resolve(r, trusted).String(); got != c.want {
			t.Errorf("%s via %q: %s, want %s", c.remote, c.xff, got, c.want)
		}
	}
}

func TestHTTPS(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	cases := []struct {
		remote, proto string
		want          bool
	}{
		{"203.0.113.5:1234", "", false},
		{"203.0.113.5:1234", "https", false}, // untrusted peer: header ignored
		{"10.0.0.2:1234", "https", true},
		{"10.0.0.2:1234", "HTTPS, http", true},
		{"10.0.0.2:1234", "http", false},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.remote
		if c.proto != "" {
			r.Header.Set("X-Forwarded-Proto", c.proto)
		}
		if got := HTTPS(r, trusted); got != c.want {
			t.Errorf("%s with %q: %v, want %v", c.remote, c.proto, got, c.want)
		}
	}
}

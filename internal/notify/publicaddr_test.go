package notify

import "testing"

// TestPublicOnlyRefusesSpecialRanges: besides loopback and RFC 1918, the
// push client refuses every address range that is not the public
// internet: shared address space (100.64.0.0/10, where some clouds keep
// their metadata service, 100.100.100.200), NAT64 prefixes that reach
// IPv4 inside, 6to4, Teredo, "this network", reserved and documentation
// ranges. Public addresses still pass.
func TestPublicOnlyRefusesSpecialRanges(t *testing.T) {
	for _, host := range []string{
		"100.100.100.200", "100.64.0.1", "0.1.2.3", "192.0.0.170", "198.18.0.1", "240.0.0.1",
		"192.0.2.1", "198.51.100.7", "203.0.113.9", "169.254.169.254", "10.0.0.1", "127.0.0.1",
		"::ffff:10.0.0.1", "::ffff:127.0.0.1", "64:ff9b::a9fe:a9fe", "64:ff9b:1::a00:1", "2002:a00:1::1",
		"2001:0:a00:1::1", "2001:db8::1", "fd00:ec2::254", "fe80::1", "fec0::1", "100::1", "::1",
	} {
		if err := publicOnly("tcp", "["+host+"]:443", nil); err == nil {
			t.Errorf("%s: allowed, want refused as not public", host)
		}
	}
	for _, host := range []string{"142.250.185.74", "2a00:1450:4001:82b::200a", "8.8.8.8"} {
		if err := publicOnly("tcp", "["+host+"]:443", nil); err != nil {
			t.Errorf("%s: %v, want allowed", host, err)
		}
	}
}

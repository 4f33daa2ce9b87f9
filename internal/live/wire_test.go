package live

import (
	"io"
	"net"
	"testing"
)

// FuzzFeed: whatever a client sends, in whatever pieces, the reader never
// panics and never keeps more than one header and one control payload
// between reads. The seeds run with every `go test`.
func FuzzFeed(f *testing.F) {
	mask := []byte{1, 2, 3, 4}
	f.Add(append([]byte{0x89, 0x83}, append(mask, 'a', 'b', 'c')...), uint8(3))
	f.Add(append([]byte{0x81, 0xFE, 0x10, 0x00}, mask...), uint8(1))
	f.Add(append([]byte{0x82, 0xFF, 0, 0, 0, 0, 0, 1, 0, 0}, mask...), uint8(7))
	f.Add(append([]byte{0x88, 0x82}, append(mask, 0x03, 0xE9)...), uint8(0))
	f.Add([]byte{0x81, 0x05, 'h', 'e', 'l', 'l', 'o'}, uint8(2))
	f.Add([]byte{0xF9, 0x80, 0, 0, 0, 0, 0x0A, 0x80}, uint8(4))
	f.Fuzz(func(t *testing.T, data []byte, cut uint8) {
		server, client := net.Pipe()
		defer client.Close()
		go io.Copy(io.Discard, client)
		c := &conn{nc: server, ending: func() {}, gone: func() {}}
		defer c.closeNow()
		k := min(int(cut), len(data))
		for _, piece := range [][]byte{data[:k], data[k:]} {
			if !c.feedLocked(append([]byte(nil), piece...)) {
				return
			}
			if len(c.part) > maxHeader+maxControl {
				t.Fatalf("kept %d bytes between reads", len(c.part))
			}
		}
	})
}

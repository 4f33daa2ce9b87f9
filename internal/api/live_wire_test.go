package api_test

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"pixelpals/internal/apitest"
	"pixelpals/internal/live"
)

// The event socket's wire, driven over raw TCP by a client that breaks
// the protocol on purpose: what a library client never sends, and what
// the server's own frame reader (internal/live/wire.go) must refuse with
// the right close code, without hurting the server.

// rawSocket is a WebSocket client written by hand: frames go out exactly
// as the test builds them.
type rawSocket struct {
	t  *testing.T
	nc net.Conn
	br *bufio.Reader
}

// rawDial opens the event socket of token's user over TCP.
func rawDial(t *testing.T, env *apitest.Env, token string) *rawSocket {
	t.Helper()
	addr := strings.TrimPrefix(env.Server.URL, "http://")
	nc, err := net.DialTimeout("tcp", addr, wait)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	key := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef"))
	req := "GET /api/v1/ws HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + key + "\r\nAuthorization: Bearer " + token + "\r\n\r\n"
	nc.SetDeadline(time.Now().Add(wait))
	if _, err := nc.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	if resp.StatusCode != 101 || resp.Header.Get("Sec-WebSocket-Accept") != base64.StdEncoding.EncodeToString(sum[:]) {
		t.Fatalf("handshake: %d, accept %q", resp.StatusCode, resp.Header.Get("Sec-WebSocket-Accept"))
	}
	return &rawSocket{t: t, nc: nc, br: br}
}

// frame builds a client frame: first byte as given, masked unless told.
func frame(b0 byte, payload []byte, masked bool) []byte {
	out := []byte{b0}
	mbit := byte(0)
	if masked {
		mbit = 0x80
	}
	switch n := len(payload); {
	case n < 126:
		out = append(out, mbit|byte(n))
	case n < 1<<16:
		out = binary.BigEndian.AppendUint16(append(out, mbit|126), uint16(n))
	default:
		out = binary.BigEndian.AppendUint64(append(out, mbit|127), uint64(n))
	}
	if !masked {
		return append(out, payload...)
	}
	key := [4]byte{0x12, 0x34, 0x56, 0x78}
	out = append(out, key[:]...)
	for i, c := range payload {
		out = append(out, c^key[i%4])
	}
	return out
}

func (s *rawSocket) send(b []byte) {
	s.t.Helper()
	s.nc.SetWriteDeadline(time.Now().Add(wait))
	if _, err := s.nc.Write(b); err != nil {
		s.t.Fatalf("write: %v", err)
	}
}

// next reads one server frame: its opcode and payload. Server frames
// are never masked nor fragmented.
func (s *rawSocket) next(timeout time.Duration) (op byte, payload []byte, err error) {
	s.nc.SetReadDeadline(time.Now().Add(timeout))
	var h [2]byte
	if _, err := io.ReadFull(s.br, h[:]); err != nil {
		return 0, nil, err
	}
	if h[0] != 0x80|h[0]&0x0F || h[1]&0x80 != 0 {
		s.t.Fatalf("server frame header % x: want final, unmasked, no reserved bits", h)
	}
	n := uint64(h[1] & 0x7F)
	switch n {
	case 126:
		var l [2]byte
		_, err = io.ReadFull(s.br, l[:])
		n = uint64(binary.BigEndian.Uint16(l[:]))
	case 127:
		var l [8]byte
		_, err = io.ReadFull(s.br, l[:])
		n = binary.BigEndian.Uint64(l[:])
	}
	if err != nil {
		return 0, nil, err
	}
	payload = make([]byte, n)
	_, err = io.ReadFull(s.br, payload)
	return h[0] & 0x0F, payload, err
}

// closed reads to the server's close frame and returns its code; the
// server must then end the TCP connection. A client that sent a close
// frame of its own (sentClose) sends nothing after it (RFC 6455 §5.5.1):
// the server answers and hangs up at once, and a second close written
// then would only be reset by the server's kernel.
func (s *rawSocket) closed(sentClose bool) int {
	s.t.Helper()
	for {
		op, p, err := s.next(wait)
		if err != nil {
			s.t.Fatalf("no close frame: %v", err)
		}
		if op != 0x8 {
			continue
		}
		if len(p) < 2 {
			s.t.Fatalf("close frame without a code: % x", p)
		}
		// Answer it, as a client should; the server hangs up.
		if !sentClose {
			s.nc.Write(frame(0x88, p[:2], true))
		}
		if _, _, err := s.next(wait); !errors.Is(err, io.EOF) {
			s.t.Fatalf("after the close handshake: %v, want EOF", err)
		}
		return int(binary.BigEndian.Uint16(p))
	}
}

// TestLiveWireRefusesBadFrames: each frame a client must not send closes
// its socket with the code the protocol (or docs/live.md) names, the
// socket is unregistered, and the server serves on.
func TestLiveWireRefusesBadFrames(t *testing.T) {
	env := apitest.New(t)
	p := env.Family(env.Admin(), 0).Parent
	cases := []struct {
		name  string
		bytes []byte
		code  int
	}{
		{"unmasked", frame(0x81, []byte("hi"), false), live.CloseProtocol},
		{"reserved bits", frame(0xC1, []byte("hi"), true), live.CloseProtocol},
		{"unknown opcode", frame(0x83, nil, true), live.CloseProtocol},
		{"continuation first", frame(0x80, []byte("x"), true), live.CloseProtocol},
		{"fragmented ping", frame(0x09, nil, true), live.CloseProtocol},
		{"ping over 125 bytes", frame(0x89, make([]byte, 126), true), live.CloseProtocol},
		{"length not minimal", []byte{0x81, 0x80 | 126, 0, 5, 1, 2, 3, 4, 'a', 'b', 'c', 'd', 'e'}, live.CloseProtocol},
		{"64-bit length, top bit set", []byte{0x82, 0x80 | 127, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}, live.CloseProtocol},
		{"64-bit length not minimal", append([]byte{0x82, 0x80 | 127, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 1, 2, 3, 4}, make([]byte, 0xFFFF)...), live.CloseProtocol},
		{"close of one byte", frame(0x88, []byte{3}, true), live.CloseProtocol},
		{"close with a reserved code", frame(0x88, []byte{0x03, 0xED}, true), live.CloseProtocol}, // 1005
		{"close reason not UTF-8", frame(0x88, []byte{0x03, 0xE8, 0xFF, 0xFE}, true), live.CloseInvalidData},
		{"text", frame(0x81, []byte(`{"type":"subscribe"}`), true), live.ClosePolicy},
		{"binary", frame(0x82, []byte{1, 2, 3}, true), live.ClosePolicy},
		{"text over 1 KiB", frame(0x81, bytes.Repeat([]byte("x"), 2000), true), live.CloseTooBig},
		{"binary of 1 MiB", frame(0x82, make([]byte, 1<<20), true), live.CloseTooBig},
	}
	for _, c := range cases {
		s := rawDial(t, env, p.Token)
		waitFor(t, func() bool { return env.Hub.Sockets() == 1 })
		go s.nc.Write(c.bytes) // a large frame is read only in part: do not wait for it
		if got := s.closed(c.bytes[0]&0x0F == 0x8); got != c.code {
			t.Errorf("%s: close code %d, want %d", c.name, got, c.code)
		}
		waitFor(t, func() bool { return env.Hub.Sockets() == 0 })
	}
	p.Must(200, "GET", "/me", nil, nil)
}

// TestLiveWirePing: a ping gets its pong with the same payload, also when
// it arrives a byte at a time and when several frames come in one write;
// events still flow after it; a client's close is answered with its code.
func TestLiveWirePing(t *testing.T) {
	env := apitest.New(t)
	f := env.Family(env.Admin(), 1)
	s := rawDial(t, env, f.Parent.Token)
	for _, b := range frame(0x89, []byte("one"), true) {
		s.send([]byte{b})
	}
	s.send(append(frame(0x89, []byte("two"), true), frame(0x8A, nil, true)...)) // and an unsolicited pong
	s.send(frame(0x89, bytes.Repeat([]byte("p"), 125), true))
	for _, want := range []string{"one", "two", strings.Repeat("p", 125)} {
		op, got, err := s.next(wait)
		if err != nil || op != 0xA || string(got) != want {
			t.Fatalf("pong: op %x %q (%v), want %q", op, got, err, want)
		}
	}
	// An event reaches the raw client as a text frame.
	bigEvents(t, env, f.Parent.UserID, 1) // 16 KiB: a 16-bit length
	op, data, err := s.next(wait)
	var ev apitest.Frame
	if err != nil || op != 0x1 || json.Unmarshal(data, &ev) != nil || ev.Type != "test.big" {
		t.Fatalf("event: op %x %s (%v)", op, data, err)
	}
	s.send(frame(0x88, []byte{0x0F, 0xA0}, true)) // 4000
	op, data, err = s.next(wait)
	if err != nil || op != 0x8 || !bytes.Equal(data, []byte{0x0F, 0xA0}) {
		t.Fatalf("close answer: op %x % x (%v), want 4000 echoed", op, data, err)
	}
	if _, _, err := s.next(wait); !errors.Is(err, io.EOF) {
		t.Fatalf("after the close: %v, want EOF", err)
	}
	waitFor(t, func() bool { return env.Hub.Sockets() == 0 })
}

// TestLiveWireHandshake: a handshake the server cannot complete is a 400
// naming the header, before any upgrade.
func TestLiveWireHandshake(t *testing.T) {
	env := apitest.New(t)
	p := env.Family(env.Admin(), 0).Parent
	for _, c := range []struct{ header, value string }{
		{"Sec-WebSocket-Version", "8"},
		{"Sec-WebSocket-Key", "short"},
	} {
		h := http.Header{}
		h.Set("Connection", "Upgrade")
		h.Set("Upgrade", "websocket")
		h.Set("Sec-WebSocket-Version", "13")
		h.Set("Sec-WebSocket-Key", base64.StdEncoding.EncodeToString(make([]byte, 16)))
		h.Set("Authorization", "Bearer "+p.Token)
		h.Set(c.header, c.value)
		req, _ := http.NewRequest("GET", env.Server.URL+"/api/v1/ws", nil)
		req.Header = h
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var e struct{ Error struct{ Field string } }
		json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != 400 || e.Error.Field != c.header {
			t.Errorf("%s: %s: status %d field %q, want 400 naming it", c.header, c.value, resp.StatusCode, e.Error.Field)
		}
	}
	if n := env.Hub.Sockets(); n != 0 {
		t.Fatalf("%d sockets registered by refused handshakes", n)
	}
}

// TestLiveWireSlowReader: a raw client that reads nothing while 20 MiB of
// events pile up finds, when it reads at last, resync (too_slow) and the
// close code 4008 at the end of its stream.
func TestLiveWireSlowReader(t *testing.T) {
	env := apitest.New(t, apitest.Options{Live: live.Config{QueueSize: 8}})
	p := env.Family(env.Admin(), 0).Parent
	s := rawDial(t, env, p.Token)
	waitFor(t, func() bool { return env.Hub.Sockets() == 1 })
	bigEvents(t, env, p.UserID, 1300)
	for deadline := time.Now().Add(time.Minute); env.Hub.Sockets() > 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the server kept the socket of a client that reads nothing for a minute")
		}
	}
	var last []byte
	for {
		op, data, err := s.next(wait)
		if err != nil {
			t.Fatalf("stream cut before the close frame: %v", err)
		}
		if op == 0x8 {
			if code := binary.BigEndian.Uint16(data); code != live.CloseTooSlow {
				t.Fatalf("close code %d, want %d", code, live.CloseTooSlow)
			}
			break
		}
		last = data
	}
	var f apitest.Frame
	json.Unmarshal(last, &f)
	if f.Type != "resync" || string(f.Data) != `{"reason":"too_slow"}` {
		t.Fatalf("last frame before the close: %s", last)
	}
}

// TestLiveWirePingTimeout: the server pings idle sockets; a client that
// answers stays, one that never answers is dropped once the ping has
// waited 15 s.
func TestLiveWirePingTimeout(t *testing.T) {
	env := apitest.New(t, apitest.Options{Live: live.Config{PingInterval: 200 * time.Millisecond}})
	p := env.Family(env.Admin(), 0).Parent
	mute, polite := rawDial(t, env, p.Token), rawDial(t, env, p.Token)
	go func() { // answers every ping
		for {
			op, data, err := polite.next(time.Minute)
			if err != nil {
				return
			}
			if op == 0x9 {
				polite.nc.Write(frame(0x8A, data, true))
			}
		}
	}()
	start := time.Now()
	for {
		op, _, err := mute.next(time.Minute)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("mute client: %v, want the server to hang up", err)
		}
		if op != 0x9 {
			t.Fatalf("mute client got opcode %x, want pings", op)
		}
	}
	if d := time.Since(start); d < 14*time.Second {
		t.Fatalf("a silent client was dropped after %v, before its ping waited 15 s", d)
	}
	waitFor(t, func() bool { return env.Hub.Sockets() == 1 }) // the polite one stays
}

// TestLiveWireHandshakeHTTP10: a WebSocket handshake is HTTP/1.1 (RFC
// 6455 §4.1): an HTTP/1.0 request asking for an upgrade is a 400 naming
// the protocol, and no socket is opened for it.
func TestLiveWireHandshakeHTTP10(t *testing.T) {
	env := apitest.New(t)
	p := env.Family(env.Admin(), 0).Parent
	addr := strings.TrimPrefix(env.Server.URL, "http://")
	nc, err := net.DialTimeout("tcp", addr, wait)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	key := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef"))
	req := "GET /api/v1/ws HTTP/1.0\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + key + "\r\nAuthorization: Bearer " + p.Token + "\r\n\r\n"
	nc.SetDeadline(time.Now().Add(wait))
	if _, err := nc.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
	if err != nil {
		t.Fatal(err)
	}
	var e struct{ Error struct{ Field string } }
	json.NewDecoder(resp.Body).Decode(&e)
	resp.Body.Close()
	if resp.StatusCode != 400 || e.Error.Field != "protocol" {
		t.Fatalf("HTTP/1.0 handshake: status %d field %q, want 400 naming protocol", resp.StatusCode, e.Error.Field)
	}
	if n := env.Hub.Sockets(); n != 0 {
		t.Fatalf("%d sockets registered by an HTTP/1.0 handshake", n)
	}
}

package live

import (
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"time"

	"pixelpals/internal/domain"
)

// The opening handshake (RFC 6455 §4.2), done here rather than by a
// library so that nothing of it outlives the upgrade: net/http's buffers
// are dropped with the request once the 101 is written.

// acceptGUID is the protocol's fixed suffix of Sec-WebSocket-Accept.
const acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// handshakeKey checks the handshake's headers (the caller has checked
// Connection and Upgrade) and returns its key; an invalid header is a 400
// naming it, before anything is upgraded.
func handshakeKey(r *http.Request) (string, error) {
	if r.Method != http.MethodGet {
		return "", domain.Invalid("method", "a WebSocket handshake is a GET")
	}
	// HTTP/1.1 only (RFC 6455 §4.1): an HTTP/1.0 client may not keep the
	// connection for frames, and HTTP/2 cannot be hijacked.
	if r.ProtoMajor != 1 || r.ProtoMinor < 1 {
		return "", domain.Invalid("protocol", "a WebSocket handshake is HTTP/1.1")
	}
	if !headerHas(r.Header, "Sec-WebSocket-Version", "13") {
		return "", domain.Invalid("Sec-WebSocket-Version", "must be 13")
	}
	key := r.Header.Get("Sec-WebSocket-Key")
	if b, err := base64.StdEncoding.DecodeString(key); err != nil || len(b) != 16 {
		return "", domain.Invalid("Sec-WebSocket-Key", "must be 16 bytes in base64")
	}
	return key, nil
}

func acceptKey(key string) string {
	sum := sha1.Sum([]byte(key + acceptGUID))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// upgrade answers 101 and takes the connection from net/http; leftover is
// what the client sent after its handshake that net/http had buffered.
// No extension and no subprotocol are offered: frames are plain.
func upgrade(w http.ResponseWriter, key string) (nc net.Conn, leftover []byte, err error) {
	nc, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return nil, nil, fmt.Errorf("hijack the event socket: %w", err)
	}
	if n := brw.Reader.Buffered(); n > 0 {
		leftover, _ = brw.Reader.Peek(n)
		leftover = append([]byte(nil), leftover...)
	}
	resp := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: " + acceptKey(key) + "\r\n\r\n"
	nc.SetDeadline(time.Now().Add(writeTimeout))
	if _, err := nc.Write([]byte(resp)); err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("answer the event socket's handshake: %w", err)
	}
	nc.SetDeadline(time.Time{})
	return nc, leftover, nil
}

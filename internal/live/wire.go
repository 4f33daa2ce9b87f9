package live

import (
	"encoding/binary"
	"unicode/utf8"
)

// The WebSocket wire format (RFC 6455 §5), for a server whose clients send
// no data: a frame the server sends is a text, ping, pong or close frame,
// unmasked and unfragmented; of what clients send only control frames
// (at most 125 bytes of payload) are read in full, and any data frame
// closes the socket at its header. So the reader never needs a message
// buffer, only room for one control frame that the network split.

const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xA

	// maxControl is the largest control frame payload (RFC 6455 §5.5).
	maxControl = 125
	// maxHeader is the longest frame header: 2 bytes, 8 of length, 4 of mask.
	maxHeader = 14
)

// header is one client frame's header.
type header struct {
	fin    bool
	op     byte
	length uint64
	mask   [4]byte
	size   int // bytes of the header itself
}

// protocolError is a frame the protocol forbids: the socket closes with
// CloseProtocol and this as the reason.
type protocolError string

func (e protocolError) Error() string { return string(e) }

// parseHeader reads a client frame's header from p: ok false when p does
// not hold all of it yet. A header no client may send is a protocolError,
// reported with the header read in full, so that its payload can be
// skipped while the close handshake goes on.
func parseHeader(p []byte) (h header, ok bool, err error) {
	if len(p) < 2 {
		return h, false, nil
	}
	h.fin, h.op = p[0]&0x80 != 0, p[0]&0x0F
	masked := p[1]&0x80 != 0
	h.size, h.length = 2, uint64(p[1]&0x7F)
	switch h.length {
	case 126:
		h.size += 2
	case 127:
		h.size += 8
	}
	if masked {
		h.size += 4
	}
	if len(p) < h.size {
		return h, false, nil
	}
	switch h.length {
	case 126:
		h.length = uint64(binary.BigEndian.Uint16(p[2:]))
		if h.length < 126 {
			return h, true, protocolError("length not minimally encoded")
		}
	case 127:
		h.length = binary.BigEndian.Uint64(p[2:])
		if h.length>>63 != 0 || h.length < 1<<16 {
			return h, true, protocolError("invalid 64-bit length")
		}
	}
	switch {
	case p[0]&0x70 != 0:
		return h, true, protocolError("reserved bits set: no extension was negotiated")
	case !masked:
		return h, true, protocolError("client frames must be masked")
	}
	copy(h.mask[:], p[h.size-4:h.size])
	return h, true, checkOpcode(h)
}

// checkOpcode refuses frames no client may send, whatever their payload.
func checkOpcode(h header) error {
	switch h.op {
	case opText, opBinary:
		return nil // refused by the socket, with its own codes
	case opClose, opPing, opPong:
		if !h.fin {
			return protocolError("fragmented control frame")
		}
		if h.length > maxControl {
			return protocolError("control frame over 125 bytes")
		}
		return nil
	case opContinuation:
		return protocolError("continuation frame without a message")
	}
	return protocolError("unknown opcode")
}

func unmask(p []byte, key [4]byte) {
	for i := range p {
		p[i] ^= key[i&3]
	}
}

// appendHeader appends a server frame's header (final, unmasked) for a
// payload of n bytes.
func appendHeader(dst []byte, op byte, n int) []byte {
	dst = append(dst, 0x80|op)
	switch {
	case n < 126:
		return append(dst, byte(n))
	case n < 1<<16:
		return binary.BigEndian.AppendUint16(append(dst, 126), uint16(n))
	}
	return binary.BigEndian.AppendUint64(append(dst, 127), uint64(n))
}

// closePayload is a close frame's payload: the code, then the reason,
// cut to fit a control frame.
func closePayload(code int, reason string) []byte {
	b := binary.BigEndian.AppendUint16(make([]byte, 0, 2+len(reason)), uint16(code))
	if len(reason) > maxControl-2 {
		reason = reason[:maxControl-2]
	}
	return append(b, reason...)
}

// peerClose checks a client's close frame payload (RFC 6455 §5.5.1,
// §7.4): the code to answer with, or the code and reason to close with
// when the payload is invalid.
func peerClose(p []byte) (code int, err error) {
	switch {
	case len(p) == 0:
		return CloseNormal, nil
	case len(p) == 1:
		return 0, protocolError("close frame of one byte")
	}
	code = int(binary.BigEndian.Uint16(p))
	if !validCloseCode(code) {
		return 0, protocolError("invalid close code")
	}
	if !utf8.Valid(p[2:]) {
		return 0, invalidData("close reason is not UTF-8")
	}
	return code, nil
}

// invalidData is a close reason that is not UTF-8: closed with 1007.
type invalidData string

func (e invalidData) Error() string { return string(e) }

// validCloseCode: the codes a peer may send (RFC 6455 §7.4, the IANA
// registry), 3000-4999 for libraries and applications.
func validCloseCode(c int) bool {
	switch {
	case c >= 3000 && c <= 4999:
		return true
	case c >= 1000 && c <= 1003, c >= 1007 && c <= 1014:
		return true
	}
	return false
}

package notify_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"pixelpals/internal/apitest"
	"pixelpals/internal/notify"
)

// device is a browser's side of one push subscription: the keys RFC 8291
// encrypts to, which only the browser holds.
type device struct {
	name string
	key  *ecdh.PrivateKey
	auth []byte
}

func newDevice(t *testing.T, name string) *device {
	t.Helper()
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	auth := make([]byte, 16)
	rand.Read(auth)
	return &device{name: name, key: k, auth: auth}
}

// pushService is a push service run by the test over TLS on loopback: each
// device has an endpoint /push/<name>. It checks each request as a real
// one would (the VAPID JWT's ES256 signature against the server's public
// key, its audience and expiry, the headers), decrypts the payload with
// the device's private key and auth secret, and keeps what arrived.
type pushService struct {
	t     *testing.T
	srv   *httptest.Server
	vapid string // the server's public key, base64url

	mu       sync.Mutex
	devices  map[string]*device
	status   map[string]int // an answer other than 201, per device
	received map[string][]notify.PushMessage
	problems []string
}

func startPushService(t *testing.T, vapidPublicKey string) *pushService {
	ps := &pushService{t: t, vapid: vapidPublicKey, devices: map[string]*device{}, status: map[string]int{},
		received: map[string][]notify.PushMessage{}}
	ps.srv = httptest.NewTLSServer(http.HandlerFunc(ps.serve))
	t.Cleanup(ps.srv.Close)
	return ps
}

func (ps *pushService) endpoint(d *device) string { return ps.srv.URL + "/push/" + d.name }

func (ps *pushService) add(d *device) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.devices[d.name] = d
}

// answer makes the service answer status to pushes for d (0: 201).
func (ps *pushService) answer(d *device, status int) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.status[d.name] = status
}

func (ps *pushService) messages(d *device) []notify.PushMessage {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return append([]notify.PushMessage(nil), ps.received[d.name]...)
}

// checkClean fails t if any request was malformed.
func (ps *pushService) checkClean() {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	for _, p := range ps.problems {
		ps.t.Error(p)
	}
}

func (ps *pushService) serve(w http.ResponseWriter, r *http.Request) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	name := strings.TrimPrefix(r.URL.Path, "/push/")
	d, ok := ps.devices[name]
	if !ok || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	if s := ps.status[name]; s != 0 {
		w.WriteHeader(s)
		return
	}
	msg, err := ps.check(r, d)
	if err != nil {
		ps.problems = append(ps.problems, fmt.Sprintf("push to %s: %v", name, err))
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	ps.received[name] = append(ps.received[name], msg)
	w.WriteHeader(http.StatusCreated)
}

// check verifies r as a push to d and returns its decrypted message.
func (ps *pushService) check(r *http.Request, d *device) (notify.PushMessage, error) {
	var msg notify.PushMessage
	if ce := r.Header.Get("Content-Encoding"); ce != "aes128gcm" {
		return msg, fmt.Errorf("Content-Encoding %q, want aes128gcm", ce)
	}
	if r.Header.Get("TTL") == "" {
		return msg, errors.New("no TTL header (RFC 8030 requires one)")
	}
	if err := checkVAPID(r.Header.Get("Authorization"), ps.vapid, ps.srv.URL); err != nil {
		return msg, err
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return msg, err
	}
	plain, err := decryptRFC8291(body, d.key, d.auth)
	if err != nil {
		return msg, err
	}
	dec := json.NewDecoder(bytes.NewReader(plain))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&msg); err != nil {
		return msg, fmt.Errorf("payload %q: %w", plain, err)
	}
	return msg, nil
}

// checkVAPID verifies an RFC 8292 Authorization header: "vapid t=JWT,
// k=KEY", k the server's public key, the JWT signed with ES256 by its
// private half, for the push service's origin, expiring within 24 hours,
// with a contact in sub.
func checkVAPID(header, publicKey, origin string) error {
	rest, ok := strings.CutPrefix(header, "vapid ")
	if !ok {
		return fmt.Errorf("Authorization %q is not vapid", header)
	}
	params := map[string]string{}
	for _, p := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		params[k] = v
	}
	if params["k"] != publicKey {
		return fmt.Errorf("vapid k=%q, want the server's public key %q", params["k"], publicKey)
	}
	raw, err := base64.RawURLEncoding.DecodeString(params["k"])
	if err != nil {
		return fmt.Errorf("vapid k: %w", err)
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), raw)
	if err != nil {
		return fmt.Errorf("vapid k: %w", err)
	}
	parts := strings.Split(params["t"], ".")
	if len(parts) != 3 {
		return fmt.Errorf("vapid t is not a JWT")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		return fmt.Errorf("JWT signature: not 64 bytes of base64url")
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.Verify(pub, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		return errors.New("JWT signature does not verify against the VAPID public key")
	}
	var head struct{ Alg string }
	var claims struct {
		Aud, Sub string
		Exp      int64
	}
	if err := decodeSegment(parts[0], &head); err != nil || head.Alg != "ES256" {
		return fmt.Errorf("JWT header alg %q (%v), want ES256", head.Alg, err)
	}
	if err := decodeSegment(parts[1], &claims); err != nil {
		return fmt.Errorf("JWT claims: %w", err)
	}
	if claims.Aud != origin {
		return fmt.Errorf("JWT aud %q, want the push service's origin %q", claims.Aud, origin)
	}
	if left := time.Until(time.Unix(claims.Exp, 0)); left <= 0 || left > 24*time.Hour {
		return fmt.Errorf("JWT exp %v from now, want within 24 h (RFC 8292)", left)
	}
	if !strings.HasPrefix(claims.Sub, "mailto:") && !strings.HasPrefix(claims.Sub, "https:") {
		return fmt.Errorf("JWT sub %q, want a mailto: or https: contact", claims.Sub)
	}
	return nil
}

func decodeSegment(s string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// decryptRFC8291 undoes the Web Push message encryption (RFC 8291, over
// the aes128gcm content coding of RFC 8188) as a browser does, with the
// subscription's private key and auth secret. The body is a header (salt,
// record size, the server's one-time public key) and one record.
func decryptRFC8291(body []byte, ua *ecdh.PrivateKey, authSecret []byte) ([]byte, error) {
	if len(body) < 21 {
		return nil, errors.New("body shorter than the aes128gcm header")
	}
	salt, rs, idLen := body[:16], binary.BigEndian.Uint32(body[16:20]), int(body[20])
	if idLen != 65 || len(body) < 21+idLen+17 {
		return nil, fmt.Errorf("keyid of %d bytes, want the server's 65-byte public key", idLen)
	}
	asPublic, record := body[21:21+idLen], body[21+idLen:]
	if uint32(len(record)) > rs {
		return nil, fmt.Errorf("a record of %d bytes, more than the record size %d: want one record", len(record), rs)
	}
	as, err := ecdh.P256().NewPublicKey(asPublic)
	if err != nil {
		return nil, fmt.Errorf("server's public key: %w", err)
	}
	secret, err := ua.ECDH(as)
	if err != nil {
		return nil, err
	}
	keyInfo := "WebPush: info\x00" + string(ua.PublicKey().Bytes()) + string(asPublic)
	ikm, err := hkdf.Key(sha256.New, secret, authSecret, keyInfo, 32)
	if err != nil {
		return nil, err
	}
	cek, err := hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: aes128gcm\x00", 16)
	if err != nil {
		return nil, err
	}
	nonce, err := hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: nonce\x00", 12)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	plain, err := gcm.Open(nil, nonce, record, nil)
	if err != nil {
		return nil, fmt.Errorf("decrypt: %w", err)
	}
	// Padding: the last record ends with the delimiter 2, then zeros.
	end := len(plain) - 1
	for end >= 0 && plain[end] == 0 {
		end--
	}
	if end < 0 || plain[end] != 2 {
		return nil, errors.New("no last-record delimiter (2) after the content")
	}
	return plain[:end], nil
}

// subscribe turns push on for c on d through the API.
func (ps *pushService) subscribe(t *testing.T, c *apitest.Client, d *device) {
	t.Helper()
	ps.add(d)
	enc := base64.RawURLEncoding.EncodeToString
	c.Must(201, "POST", "/me/push-subscriptions", map[string]any{"endpoint": ps.endpoint(d), "expirationTime": nil,
		"keys": map[string]string{"p256dh": enc(d.key.PublicKey().Bytes()), "auth": enc(d.auth)}}, nil)
}

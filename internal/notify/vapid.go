package notify

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
)

// VAPID is the server's key pair for Web Push (RFC 8292): push services
// accept a message only when its JWT is signed with the private key whose
// public half the browser subscribed with. Both are kept as unpadded
// base64url, the form browsers and webpush-go take. The private key is
// never logged: String shows the public key only.
type VAPID struct {
	PublicKey  string `json:"public_key"`  // 65-byte uncompressed P-256 point
	PrivateKey string `json:"private_key"` // 32-byte P-256 scalar
}

// String keeps the private key out of every log line and error.
func (v VAPID) String() string { return "vapid public key " + v.PublicKey }

// Format makes every fmt verb (%#v and %d included) print String.
func (v VAPID) Format(f fmt.State, _ rune) { io.WriteString(f, v.String()) }

// LogValue keeps slog's JSON handler, which never calls String, from
// marshalling the private key.
func (v VAPID) LogValue() slog.Value { return slog.StringValue(v.String()) }

// GenerateVAPID makes a new key pair.
func GenerateVAPID() (VAPID, error) {
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return VAPID{}, fmt.Errorf("generate vapid keys: %w", err)
	}
	return VAPID{PublicKey: b64(k.PublicKey().Bytes()), PrivateKey: b64(k.Bytes())}, nil
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// Check that v is a P-256 key pair whose halves belong together. Errors
// never hold the private key.
func (v VAPID) Check() error {
	priv, err := base64.RawURLEncoding.DecodeString(v.PrivateKey)
	if err != nil {
		return errors.New("vapid private key: not unpadded base64url")
	}
	k, err := ecdh.P256().NewPrivateKey(priv)
	if err != nil {
		return errors.New("vapid private key: not a P-256 private key (32 bytes)")
	}
	pub, err := base64.RawURLEncoding.DecodeString(v.PublicKey)
	if err != nil {
		return errors.New("vapid public key: not unpadded base64url")
	}
	if !bytes.Equal(pub, k.PublicKey().Bytes()) {
		return errors.New("vapid public key: not the public half of the private key")
	}
	return nil
}

// LoadOrCreateVAPID reads the key pair kept at path, or, when there is
// none, generates one and writes it there (mode 0600, whole or not at all).
func LoadOrCreateVAPID(path string) (VAPID, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		var v VAPID
		if err := json.Unmarshal(b, &v); err != nil {
			return VAPID{}, fmt.Errorf("vapid keys in %s: not JSON", path)
		}
		if err := v.Check(); err != nil {
			return VAPID{}, fmt.Errorf("vapid keys in %s: %w", path, err)
		}
		return v, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return VAPID{}, fmt.Errorf("read vapid keys: %w", err)
	}
	v, err := GenerateVAPID()
	if err != nil {
		return VAPID{}, err
	}
	if err := writeVAPID(path, v); errors.Is(err, os.ErrExist) {
		return LoadOrCreateVAPID(path) // another instance wrote its pair first: use that one
	} else if err != nil {
		return VAPID{}, err
	}
	return v, nil
}

func writeVAPID(path string, v VAPID) error {
	b, _ := json.MarshalIndent(v, "", "  ")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("write vapid keys: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".vapid-*.tmp")
	if err != nil {
		return fmt.Errorf("write vapid keys: %w", err)
	}
	defer os.Remove(f.Name()) // after the rename, nothing
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("write vapid keys: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("write vapid keys: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write vapid keys: %w", err)
	}
	// Link, not rename: of two instances starting at once on one data
	// directory, the second finds the first's pair (ErrExist) and reads it.
	if err := os.Link(f.Name(), path); err != nil {
		return fmt.Errorf("write vapid keys: %w", err)
	}
	return nil
}

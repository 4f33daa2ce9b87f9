package config

import (
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
)

// Push holds the Web Push VAPID key pair given by environment
// (PIXELPALS_VAPID_PUBLIC_KEY, PIXELPALS_VAPID_PRIVATE_KEY; unpadded
// base64url). Both empty: the pair generated in the data directory. The
// private key is never logged.
type Push struct {
	PublicKey  string
	PrivateKey string
}

// String keeps the private key out of any log line.
func (p Push) String() string { return "vapid public key " + p.PublicKey }

// Format makes every fmt verb (%#v and %d included) print String.
func (p Push) Format(f fmt.State, _ rune) { io.WriteString(f, p.String()) }

// LogValue keeps slog's JSON handler, which never calls String, from
// marshalling the private key.
func (p Push) LogValue() slog.Value { return slog.StringValue(p.String()) }

// VAPIDFile is where the generated VAPID key pair is kept.
func (c *Config) VAPIDFile() string { return filepath.Join(c.DataDir, "vapid.json") }

// Package config is the one place Pixel Pals reads its settings: from the
// environment, with command-line flags mirroring each variable.
package config

import (
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Config holds every setting of the service.
type Config struct {
	// DatabaseURL selects an existing PostgreSQL server; empty means the
	// embedded default cluster under DataDir.
	DatabaseURL string
	// Addr is the HTTP listen address.
	Addr string
	// DataDir holds the embedded cluster, generated keys and media.
	DataDir string
	// PGBinDir holds the PostgreSQL server binaries for the embedded
	// cluster; empty means found (pg_config, /usr/lib/postgresql).
	PGBinDir string
	// VaultKeys is the game-login keeper's key ring ("1:base64,2:base64").
	VaultKeys string
	// VaultKeysFile names a file holding the key ring instead.
	VaultKeysFile string
	// TrustedProxies are the peers whose X-Forwarded-For we believe.
	TrustedProxies []netip.Prefix
	// LogLevel is debug, info, warn or error.
	LogLevel string
	// RequestTimeout bounds the work of one ordinary HTTP request.
	RequestTimeout time.Duration
	// ShutdownTimeout bounds how long in-flight requests may finish on exit.
	ShutdownTimeout time.Duration
	// ListenDatabaseURL is the live events' LISTEN connection (it holds
	// session state, so it must bypass a transaction pooler); empty means
	// the DatabaseURL's server.
	ListenDatabaseURL string
	// LiveReplayWindow is how far back a reconnecting socket replays.
	LiveReplayWindow time.Duration
	// AllowedOrigins are origins besides the service's own whose pages may
	// open the event socket with the session cookie.
	AllowedOrigins []string

	rawProxies string
	rawWindow  string
	rawOrigins string
}

// DefaultDataDir is where the embedded cluster, generated keys and media
// live when PIXELPALS_DATA_DIR is not set: ./pixelpals-data for a user,
// /var/lib/pixelpals for root. Root runs the cluster as the postgres user,
// which must be able to reach the directory, and root's home (where a
// checkout often lives) is closed to other users.
func DefaultDataDir() string {
	if os.Geteuid() == 0 {
		return "/var/lib/pixelpals"
	}
	return "pixelpals-data"
}

// Load reads the configuration from getenv, then lets flags in fs override
// it. Register with Bind before fs.Parse, then call Finish.
func Load(getenv func(string) string) Config {
	c := Config{
		DatabaseURL:     getenv("DATABASE_URL"),
		Addr:            or(getenv("PIXELPALS_ADDR"), "127.0.0.1:8080"),
		DataDir:         or(getenv("PIXELPALS_DATA_DIR"), DefaultDataDir()),
		PGBinDir:        getenv("PIXELPALS_PG_BINDIR"),
		VaultKeys:       getenv("PIXELPALS_VAULT_KEYS"),
		VaultKeysFile:   getenv("PIXELPALS_VAULT_KEYS_FILE"),
		LogLevel:        or(getenv("PIXELPALS_LOG_LEVEL"), "info"),
		RequestTimeout:  30 * time.Second,
		ShutdownTimeout: 20 * time.Second,
	}
	c.rawProxies = getenv("PIXELPALS_TRUSTED_PROXIES")
	c.ListenDatabaseURL = getenv("PIXELPALS_LISTEN_DATABASE_URL")
	c.rawWindow = or(getenv("PIXELPALS_LIVE_REPLAY_WINDOW"), "168h")
	c.rawOrigins = getenv("PIXELPALS_ALLOWED_ORIGINS")
	return c
}

// Bind registers flags that mirror the environment variables.
func (c *Config) Bind(fs *flag.FlagSet) {
	fs.StringVar(&c.DatabaseURL, "database-url", c.DatabaseURL, "PostgreSQL URL (env DATABASE_URL); empty runs the embedded cluster")
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen address (env PIXELPALS_ADDR)")
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "data directory (env PIXELPALS_DATA_DIR)")
	fs.StringVar(&c.VaultKeysFile, "vault-keys-file", c.VaultKeysFile, "key ring file (env PIXELPALS_VAULT_KEYS_FILE)")
	fs.StringVar(&c.rawProxies, "trusted-proxies", c.rawProxies, "comma-separated CIDRs or IPs of trusted reverse proxies (env PIXELPALS_TRUSTED_PROXIES)")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error (env PIXELPALS_LOG_LEVEL)")
	fs.StringVar(&c.ListenDatabaseURL, "listen-database-url", c.ListenDatabaseURL, "PostgreSQL URL of the live events' LISTEN connection (env PIXELPALS_LISTEN_DATABASE_URL); empty: the database URL")
	fs.StringVar(&c.rawWindow, "live-replay-window", c.rawWindow, "how far back a reconnecting event socket replays (env PIXELPALS_LIVE_REPLAY_WINDOW)")
	fs.StringVar(&c.rawOrigins, "allowed-origins", c.rawOrigins, "comma-separated origins besides our own whose pages may open the event socket (env PIXELPALS_ALLOWED_ORIGINS)")
}

// Finish validates the configuration after flags are parsed.
func (c *Config) Finish() error {
	proxies, err := ParseProxies(c.rawProxies)
	if err != nil {
		return err
	}
	c.TrustedProxies = proxies
	w, err := time.ParseDuration(c.rawWindow)
	if err != nil || w <= 0 {
		return fmt.Errorf("live replay window %q: want a positive duration such as 168h", c.rawWindow)
	}
	c.LiveReplayWindow = w
	origins, err := ParseOrigins(c.rawOrigins)
	if err != nil {
		return err
	}
	c.AllowedOrigins = origins
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log level %q: want debug, info, warn or error", c.LogLevel)
	}
	if c.DataDir == "" {
		return errors.New("data directory must not be empty")
	}
	c.DataDir = filepath.Clean(c.DataDir)
	return nil
}

// Embedded reports whether the service runs on the embedded default cluster.
func (c *Config) Embedded() bool { return c.DatabaseURL == "" }

// ParseProxies reads a comma-separated list of CIDRs or single addresses.
func ParseProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: not an IP address or CIDR", f)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// ParseOrigins reads a comma-separated list of origins, each
// scheme://host[:port] with no path.
func ParseOrigins(s string) ([]string, error) {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		u, err := url.Parse(f)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.TrimRight(u.Path, "/") != "" || u.RawQuery != "" {
			return nil, fmt.Errorf("allowed origin %q: want scheme://host[:port], such as https://chat.example.org", f)
		}
		out = append(out, u.Scheme+"://"+u.Host)
	}
	return out, nil
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

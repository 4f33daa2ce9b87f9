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
	"regexp"
	"strconv"
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
	// DataDir holds the embedded cluster and generated keys (uploads live in
	// PostgreSQL, with everything else).
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
	// RetentionDays is how long the content of a soft-deleted message is
	// kept before the retention purge erases it.
	RetentionDays int
	// RetentionInterval is how often `serve` runs the retention purge.
	RetentionInterval time.Duration

	// MediaMaxImageBytes and MediaMaxAudioBytes bound an uploaded image
	// and clip (PIXELPALS_MEDIA_MAX_IMAGE_BYTES, _AUDIO_BYTES; 0: the
	// media package's defaults, 10 MiB each).
	MediaMaxImageBytes int64
	MediaMaxAudioBytes int64

	// DBMaxConns bounds the database pool (PIXELPALS_DB_MAX_CONNS,
	// --db-max-conns; 0: store.DefaultMaxConns).
	DBMaxConns int

	// TLS is HTTPS served by `serve` itself (tls.go).
	TLS TLS
	// Mail is where notification mails go (PIXELPALS_SMTP_URL,
	// PIXELPALS_MAIL_FROM, PIXELPALS_PUBLIC_URL; mail.go).
	Mail Mail
	// Push is the Web Push key pair given by environment (push.go).
	Push Push

	rawProxies                    string
	rawRetentionDays              string
	rawMaxImageBytes, rawMaxAudio string
	rawWindow, rawOrigins         string
	rawDBMaxConns                 string
}

// DefaultDataDir is where the embedded cluster and generated keys
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
	c.rawRetentionDays = or(getenv("PIXELPALS_RETENTION_DAYS"), "30")
	c.RetentionInterval = time.Hour
	c.rawMaxImageBytes, c.rawMaxAudio = getenv("PIXELPALS_MEDIA_MAX_IMAGE_BYTES"), getenv("PIXELPALS_MEDIA_MAX_AUDIO_BYTES")
	c.rawDBMaxConns = getenv("PIXELPALS_DB_MAX_CONNS")
	c.TLS.load(getenv)
	c.Mail = Mail{SMTPURL: getenv("PIXELPALS_SMTP_URL"), From: getenv("PIXELPALS_MAIL_FROM"), PublicURL: getenv("PIXELPALS_PUBLIC_URL")}
	c.Push = Push{PublicKey: getenv("PIXELPALS_VAPID_PUBLIC_KEY"), PrivateKey: getenv("PIXELPALS_VAPID_PRIVATE_KEY")}
	return c
}

// Bind registers every flag `serve` takes: the database, HTTP, vault and
// retention flags. Commands that need fewer register only their groups, so
// that their --help lists only what they use.
func (c *Config) Bind(fs *flag.FlagSet) {
	c.BindDatabase(fs)
	c.BindHTTP(fs)
	c.BindVault(fs)
	c.BindRetention(fs)
	c.BindTLS(fs)
	c.BindMail(fs)
}

// BindDatabase registers the flags of every command that uses the database.
func (c *Config) BindDatabase(fs *flag.FlagSet) {
	fs.Var(secretURL{&c.DatabaseURL}, "database-url", "PostgreSQL URL (env DATABASE_URL); empty runs the embedded cluster")
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "data directory (env PIXELPALS_DATA_DIR)")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error (env PIXELPALS_LOG_LEVEL)")
	fs.Var(secretURL{&c.ListenDatabaseURL}, "listen-database-url", "PostgreSQL URL of the live events' LISTEN connection (env PIXELPALS_LISTEN_DATABASE_URL); empty: the database URL")
	fs.StringVar(&c.rawWindow, "live-replay-window", c.rawWindow, "how far back a reconnecting event socket replays (env PIXELPALS_LIVE_REPLAY_WINDOW)")
	fs.StringVar(&c.rawDBMaxConns, "db-max-conns", c.rawDBMaxConns, "most connections the database pool opens (env PIXELPALS_DB_MAX_CONNS); empty: 16")
	fs.StringVar(&c.rawOrigins, "allowed-origins", c.rawOrigins, "comma-separated origins besides our own whose pages may open the event socket (env PIXELPALS_ALLOWED_ORIGINS)")
}

// BindHTTP registers the flags of the HTTP server.
func (c *Config) BindHTTP(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen address (env PIXELPALS_ADDR)")
	fs.StringVar(&c.rawProxies, "trusted-proxies", c.rawProxies, "comma-separated CIDRs or IPs of trusted reverse proxies (env PIXELPALS_TRUSTED_PROXIES)")
}

// BindVault registers the flags of commands that open the key ring.
func (c *Config) BindVault(fs *flag.FlagSet) {
	fs.StringVar(&c.VaultKeysFile, "vault-keys-file", c.VaultKeysFile, "key ring file (env PIXELPALS_VAULT_KEYS_FILE)")
}

// BindRetention registers the retention purge's flags.
func (c *Config) BindRetention(fs *flag.FlagSet) {
	fs.StringVar(&c.rawRetentionDays, "retention-days", c.rawRetentionDays, "days a deleted message's content is kept before the purge erases it (env PIXELPALS_RETENTION_DAYS)")
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
	days, err := strconv.Atoi(c.rawRetentionDays)
	if err != nil || days < 1 || days > 36500 {
		return fmt.Errorf("retention days %q: want a whole number of days from 1 to 36500 (PIXELPALS_RETENTION_DAYS, --retention-days)", c.rawRetentionDays)
	}
	c.RetentionDays = days
	if err := c.TLS.finish(); err != nil {
		return err
	}
	if c.MediaMaxImageBytes, err = byteLimit("PIXELPALS_MEDIA_MAX_IMAGE_BYTES", c.rawMaxImageBytes); err != nil {
		return err
	}
	if c.MediaMaxAudioBytes, err = byteLimit("PIXELPALS_MEDIA_MAX_AUDIO_BYTES", c.rawMaxAudio); err != nil {
		return err
	}
	if err := c.finishMail(); err != nil {
		return err
	}
	return c.finishDBMaxConns()
}

// MaxEmbeddedConns is the largest pool the embedded cluster takes: its
// max_connections (pgembed.ServerSettings, 100) less room for the live
// listener, commands run next to serve, backups and psql.
const MaxEmbeddedConns = 80

func (c *Config) finishDBMaxConns() error {
	c.DBMaxConns = 0
	if c.rawDBMaxConns == "" {
		return nil
	}
	most := 1000
	if c.Embedded() {
		most = MaxEmbeddedConns
	}
	n, err := strconv.Atoi(c.rawDBMaxConns)
	if err != nil || n < 1 || n > most {
		return fmt.Errorf("database pool size %q: want a whole number from 1 to %d (PIXELPALS_DB_MAX_CONNS, --db-max-conns)", c.rawDBMaxConns, most)
	}
	c.DBMaxConns = n
	return nil
}

// byteLimit reads an optional size in bytes (1 KiB to 1 GiB).
func byteLimit(name, v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1<<10 || n > 1<<30 {
		return 0, fmt.Errorf("%s %q: want a number of bytes from 1024 to 1073741824", name, v)
	}
	return n, nil
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

// secretURL is a flag holding a connection string. Its String, which
// --help prints as the default (taken from the environment), never shows a
// password.
type secretURL struct{ p *string }

func (s secretURL) String() string {
	if s.p == nil {
		return ""
	}
	return RedactURL(*s.p)
}

func (s secretURL) Set(v string) error {
	*s.p = v
	return nil
}

var dsnPassword = regexp.MustCompile(`(?i)(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)`)

// RedactURL hides the password of a PostgreSQL URL or keyword/value
// connection string.
func RedactURL(conn string) string {
	if u, err := url.Parse(conn); err == nil && u.Scheme != "" {
		q := u.Query()
		if q.Has("password") {
			q.Set("password", "xxxxx")
			u.RawQuery = q.Encode()
		}
		return u.Redacted()
	}
	return dsnPassword.ReplaceAllString(conn, "${1}xxxxx")
}

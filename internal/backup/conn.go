package backup

import (
	"context"
	"fmt"
	"net"
	neturl "net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Conn is a database's connection settings as libpq environment
// variables: the password then never shows on a command line (ps), and
// pgx-only parameters of DATABASE_URL never reach libpq.
type Conn struct {
	Host, Port, User, Password, Database string
	// SSL holds sslmode, sslrootcert, sslcert and sslkey when given.
	SSL map[string]string
}

// ConnFrom reads a pgx/libpq connection string (URL or key=value).
func ConnFrom(conn string) (Conn, error) {
	cfg, err := pgconn.ParseConfig(conn)
	if err != nil {
		return Conn{}, fmt.Errorf("parse the database connection string: invalid connection string")
	}
	c := Conn{Host: cfg.Host, Port: strconv.Itoa(int(cfg.Port)), User: cfg.User, Password: cfg.Password,
		Database: cfg.Database, SSL: map[string]string{}}
	keys := []string{"sslmode", "sslrootcert", "sslcert", "sslkey"}
	if u, err := neturl.Parse(conn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		for _, k := range keys {
			if v := u.Query().Get(k); v != "" {
				c.SSL[k] = v
			}
		}
		return c, nil
	}
	for _, k := range keys {
		if m := regexp.MustCompile(`(?:^|\s)` + k + `\s*=\s*'?([^'\s]+)`).FindStringSubmatch(conn); m != nil {
			c.SSL[k] = m[1]
		}
	}
	return c, nil
}

func (c Conn) env() []string {
	env := []string{"PGHOST=" + c.Host, "PGPORT=" + c.Port, "PGUSER=" + c.User, "PGDATABASE=" + c.Database,
		"PGAPPNAME=pixelpals-backup"}
	if c.Password != "" {
		env = append(env, "PGPASSWORD="+c.Password)
	}
	for k, v := range c.SSL {
		env = append(env, "PG"+map[string]string{"sslmode": "SSLMODE", "sslrootcert": "SSLROOTCERT", "sslcert": "SSLCERT", "sslkey": "SSLKEY"}[k]+"="+v)
	}
	return env
}

// BinDirFor picks the pg_dump and pg_restore of the server's own major
// version (/usr/lib/postgresql/<major>/bin) when installed, else fallback,
// where a newer pg_dump still reads an older server.
func BinDirFor(ctx context.Context, q querier, fallback string) (string, error) {
	var num int
	if err := q.QueryRow(ctx, "SELECT current_setting('server_version_num')::int").Scan(&num); err != nil {
		return "", fmt.Errorf("ask the server's version: %w", err)
	}
	own := fmt.Sprintf("/usr/lib/postgresql/%d/bin", num/10000)
	for _, dir := range []string{own, fallback} {
		if dir == "" {
			continue
		}
		if hasTools(dir) {
			return dir, nil
		}
	}
	return "", fmt.Errorf("pg_dump and pg_restore for PostgreSQL %d not found in %s or %s: install them with `apt-get install postgresql-client-%d` (or set PIXELPALS_PG_BINDIR)",
		num/10000, own, fallback, num/10000)
}

func hasTools(dir string) bool {
	for _, name := range []string{"pg_dump", "pg_restore"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.IsDir() {
			return false
		}
	}
	return true
}

// UseServerOf points c at the very server the pool's connections reach. A
// connection string may list several hosts (host=a,b with
// target_session_attrs=read-write, to find the primary); pg_dump and
// pg_restore must work on the server the pool checked and counts, not on
// whichever host is listed first. The host is kept as written (a name, for
// TLS verification) and matched by the address the connection is open to.
func (c *Conn) UseServerOf(ctx context.Context, pool *pgxpool.Pool) error {
	pc, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("connect to the database: %w", err)
	}
	remote := pc.Conn().PgConn().Conn().RemoteAddr()
	pc.Release()
	cfg := pool.Config().ConnConfig
	candidates := [][2]string{{cfg.Host, strconv.Itoa(int(cfg.Port))}}
	for _, f := range cfg.Fallbacks {
		candidates = append(candidates, [2]string{f.Host, strconv.Itoa(int(f.Port))})
	}
	for _, h := range candidates {
		if serves(ctx, h[0], h[1], remote) {
			c.Host, c.Port = h[0], h[1]
			return nil
		}
	}
	return fmt.Errorf("cannot tell which of the database's hosts the connection reached (%s)", remote)
}

// serves reports whether host:port is the address addr is connected to.
func serves(ctx context.Context, host, port string, addr net.Addr) bool {
	if strings.HasPrefix(host, "/") {
		return addr.Network() == "unix" && addr.String() == filepath.Join(host, ".s.PGSQL."+port)
	}
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || strconv.Itoa(tcp.Port) != port {
		return false
	}
	ips, err := net.DefaultResolver.LookupHost(ctx, host)
	if err != nil {
		return false
	}
	for _, ip := range ips {
		if a := net.ParseIP(ip); a != nil && a.Equal(tcp.IP) {
			return true
		}
	}
	return false
}

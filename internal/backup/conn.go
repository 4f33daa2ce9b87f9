package backup

import (
	"context"
	"fmt"
	neturl "net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"

	"github.com/jackc/pgx/v5/pgconn"
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

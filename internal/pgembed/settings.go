package pgembed

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Setting is one postgresql.conf parameter of a durable cluster.
type Setting struct {
	Name, Value string
}

// ServerSettings are the postgresql.conf settings of a durable cluster (the
// embedded default of `pixelpals serve`), chosen for a messaging workload:
// many small inserts (messages), few updates (soft deletion, the retention
// purge), short indexed reads (history pages), and a churning sessions
// table. This is the one place they are set; docs/operations.md explains
// each. They are written to pixelpals.conf inside the cluster directory on
// every start, which postgresql.conf includes, so `ALTER SYSTEM` (read
// after both) still overrides any of them. Throwaway test clusters keep
// PostgreSQL's defaults.
var ServerSettings = []Setting{
	// Memory: a quarter of a small dedicated box; the OS cache does the rest.
	{"shared_buffers", "256MB"},
	{"effective_cache_size", "1GB"},
	{"work_mem", "8MB"},
	{"maintenance_work_mem", "128MB"},
	// Connections: the pool's size (16 by default, at most 80 on the
	// embedded cluster: config.MaxEmbeddedConns) plus tools (psql,
	// backup, the listener). Raise together with PIXELPALS_DB_MAX_CONNS.
	{"max_connections", "100"},
	// Durability: an acknowledged message is on disk.
	{"synchronous_commit", "on"},
	// Checkpoints: spread out, so that the insert stream does not pay
	// full-page writes every few minutes.
	{"checkpoint_timeout", "15min"},
	{"max_wal_size", "2GB"},
	{"min_wal_size", "256MB"},
	{"checkpoint_completion_target", "0.9"},
	{"wal_compression", "on"},
	// Autovacuum: messages and sessions change steadily; vacuum and
	// analyze them after 5% / 2% of their rows instead of 20% / 10%, and
	// let vacuum work faster, so dead tuples and stale plans stay small.
	{"autovacuum_naptime", "30s"},
	{"autovacuum_vacuum_scale_factor", "0.05"},
	{"autovacuum_vacuum_insert_scale_factor", "0.05"},
	{"autovacuum_analyze_scale_factor", "0.02"},
	{"autovacuum_vacuum_cost_limit", "1000"},
	// Timeouts: no statement the service sends needs more than a minute
	// (requests are cut at 30 s); an abandoned open transaction must not
	// hold locks or old row versions for long. pg_dump and pg_restore set
	// their own statement_timeout to 0.
	{"statement_timeout", "60s"},
	{"idle_in_transaction_session_timeout", "5min"},
	{"lock_timeout", "0"},
	// Observability, for `pixelpals db report` and the server log.
	{"shared_preload_libraries", "'pg_stat_statements'"},
	{"pg_stat_statements.max", "5000"},
	{"pg_stat_statements.track", "top"},
	{"track_io_timing", "on"},
	{"log_min_duration_statement", "1s"},
	{"log_autovacuum_min_duration", "10s"},
	{"log_lock_waits", "on"},
	{"log_checkpoints", "on"},
}

// settingsFile is written inside the cluster directory and included by
// postgresql.conf.
const settingsFile = "pixelpals.conf"

// writeSettings writes ServerSettings to pixelpals.conf and makes sure
// postgresql.conf includes it.
func (c *Cluster) writeSettings() error {
	var b bytes.Buffer
	b.WriteString("# Written by pixelpals on every start (internal/pgembed/settings.go); edits here are lost.\n")
	b.WriteString("# Override a setting with ALTER SYSTEM, which postgresql.auto.conf keeps and which wins.\n")
	for _, s := range ServerSettings {
		fmt.Fprintf(&b, "%s = %s\n", s.Name, s.Value)
	}
	path := filepath.Join(c.dir, settingsFile)
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := c.own(path); err != nil {
		return err
	}
	conf := filepath.Join(c.dir, "postgresql.conf")
	old, err := os.ReadFile(conf)
	if err != nil {
		return fmt.Errorf("read %s: %w", conf, err)
	}
	include := "include_if_exists = '" + settingsFile + "'"
	if strings.Contains(string(old), include) {
		return nil
	}
	f, err := os.OpenFile(conf, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", conf, err)
	}
	defer f.Close()
	if _, err := fmt.Fprintf(f, "\n# pixelpals' settings for a messaging workload\n%s\n", include); err != nil {
		return fmt.Errorf("append to %s: %w", conf, err)
	}
	return nil
}

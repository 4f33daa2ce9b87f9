// Package retention is the purge SPEC §9 and §10 promise: data kept no
// longer than said. `serve` runs it periodically and `pixelpals purge`
// once. A purge is a list of named steps, each removing due rows in bounded
// batches (one short transaction each, SKIP LOCKED, see batches.go),
// so that it never holds a conversation's rows for long and a long backlog
// is worked off over several runs. Only one instance purges at a time: a
// run holds a PostgreSQL advisory lock, and a run that cannot take it does
// nothing.
package retention

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"pixelpals/internal/eventlog"
	"pixelpals/internal/ratelimit"
	"pixelpals/internal/store"
)

// lockKey is the advisory lock of the purge (distinct from the migrations').
const lockKey int64 = 0x7069786570757267 // "pixepurg"

// Step is one kind of data the purge removes.
type Step struct {
	// Name names the step in logs and metrics.
	Name string
	// Batch removes at most limit rows that are due at now (the job's
	// clock) in one short transaction and returns how many it removed;
	// fewer than limit means nothing more is due.
	Batch func(ctx context.Context, now time.Time, limit int) (int64, error)
}

// UploadGrace is how long an upload no message or profile names is kept:
// long enough for its sender to finish writing the message it is for.
const UploadGrace = 24 * time.Hour

// Steps is the purge's list. To add a step (live events past their
// window, unreferenced media…), write a bounded-batch store method like
// EraseDeletedMessages (batches.go) and append one Step calling it.
func Steps(db *store.DB, retentionDays int) []Step {
	keep := time.Duration(retentionDays) * 24 * time.Hour
	return []Step{
		{"deleted_message_content", func(ctx context.Context, now time.Time, limit int) (int64, error) {
			return EraseDeletedMessages(ctx, db, now.Add(-keep), limit)
		}},
		// After the content step: erasing a message's media_id is what
		// leaves its upload unreferenced.
		{"unreferenced_media", func(ctx context.Context, now time.Time, limit int) (int64, error) {
			return DeleteUnreferencedMedia(ctx, db, now.Add(-UploadGrace), limit)
		}},
		{"expired_sessions", func(ctx context.Context, now time.Time, limit int) (int64, error) {
			return DeleteExpiredSessions(ctx, db, now, limit)
		}},
		// By the database's clock, not the job's: the limits count time
		// by it, and a row deleted early hands back a budget.
		{"expired_rate_limits", func(ctx context.Context, _ time.Time, limit int) (int64, error) {
			return ratelimit.DeleteExpired(ctx, db.Pool, limit)
		}},
		{"expired_ended_sessions", func(ctx context.Context, now time.Time, limit int) (int64, error) {
			return db.DeleteExpiredEndedSessions(ctx, now, limit)
		}},
	}
}

// LiveEventsStep deletes live events older than the replay window
// (docs/live.md): no socket can replay them any more.
func LiveEventsStep(db *store.DB, window time.Duration) Step {
	return Step{"live_events", func(ctx context.Context, now time.Time, limit int) (int64, error) {
		return eventlog.DeleteOld(ctx, db.Pool, now.Add(-window), limit)
	}}
}

// Job runs the purge.
type Job struct {
	DB    *store.DB
	Steps []Step
	// Batch is the number of rows per transaction (default 500).
	Batch int
	// Pause is the rest between two batches, leaving room for requests.
	Pause time.Duration
	// MaxRun bounds one run (default 1 min); what is left waits for the next.
	MaxRun time.Duration
	// Now is the clock (default time.Now); tests set their own.
	Now     func() time.Time
	Logger  *slog.Logger
	Metrics *Metrics // optional
}

// Result is what one step of a run did.
type Result struct {
	Step string
	Rows int64
	// Incomplete is set when the run's time ran out before the step had
	// removed everything due.
	Incomplete bool
}

// Report is what one run did. Ran is false when another instance held the
// lock and this run did nothing.
type Report struct {
	Ran      bool
	Results  []Result
	Duration time.Duration
}

// Run purges once: every step, batch after batch, until nothing is due or
// MaxRun has passed.
func (j *Job) Run(ctx context.Context) (Report, error) {
	start := time.Now()
	rep, err := j.run(ctx)
	rep.Duration = time.Since(start)
	result := "ok"
	switch {
	case err != nil:
		result = "error"
		j.Logger.Error("retention purge failed", "err", err, "done", rep.Results)
	case !rep.Ran:
		result = "skipped"
		j.Logger.Info("retention purge skipped: another instance is purging")
	default:
		attrs := []any{"duration_ms", rep.Duration.Milliseconds()}
		for _, r := range rep.Results {
			attrs = append(attrs, r.Step, r.Rows)
		}
		j.Logger.Info("retention purge", attrs...)
	}
	if j.Metrics != nil {
		j.Metrics.runs.WithLabelValues(result).Inc()
		if err == nil && rep.Ran {
			j.Metrics.lastSuccess.SetToCurrentTime()
		}
	}
	return rep, err
}

func (j *Job) run(ctx context.Context) (Report, error) {
	var rep Report
	// The lock is a transaction-level one held by a transaction that does
	// nothing else: it works through PgBouncer in transaction mode (a
	// session lock would stay on a pooled server connection), goes away
	// with the connection if the process dies, and holds no snapshot, so
	// it keeps no old row versions from vacuum. The batches run on other
	// connections and commit one by one.
	tx, err := j.DB.Pool.Begin(ctx)
	if err != nil {
		return rep, fmt.Errorf("begin retention lock transaction: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	// The transaction sits idle while the batches run.
	if _, err := tx.Exec(ctx, "SET LOCAL idle_in_transaction_session_timeout = 0"); err != nil {
		return rep, fmt.Errorf("lift the idle timeout of the retention lock: %w", err)
	}
	if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock($1)`, lockKey).Scan(&rep.Ran); err != nil {
		return rep, fmt.Errorf("take the retention lock: %w", err)
	}
	if !rep.Ran {
		return rep, nil
	}
	now := j.clock()
	deadline := time.Now().Add(j.maxRun())
	for _, step := range j.Steps {
		res := Result{Step: step.Name}
		for {
			n, err := step.Batch(ctx, now, j.batch())
			res.Rows += n
			if j.Metrics != nil {
				j.Metrics.rows.WithLabelValues(step.Name).Add(float64(n))
			}
			if err != nil {
				rep.Results = append(rep.Results, res)
				return rep, fmt.Errorf("retention step %s: %w", step.Name, err)
			}
			// A short batch does not mean nothing more is due: rows locked
			// by others are skipped (SKIP LOCKED). Stop at an empty batch.
			if n == 0 {
				break
			}
			if time.Now().After(deadline) {
				res.Incomplete = true
				break
			}
			if j.Pause > 0 {
				select {
				case <-ctx.Done():
					rep.Results = append(rep.Results, res)
					return rep, ctx.Err()
				case <-time.After(j.Pause):
				}
			}
		}
		rep.Results = append(rep.Results, res)
	}
	return rep, nil
}

// Loop runs the purge now and then every interval until ctx is done.
// Failures are logged and counted; the next run tries again.
func (j *Job) Loop(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := j.Run(ctx); err != nil && ctx.Err() != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (j *Job) clock() time.Time {
	if j.Now != nil {
		return j.Now()
	}
	return time.Now()
}

func (j *Job) batch() int {
	if j.Batch > 0 {
		return j.Batch
	}
	return 500
}

func (j *Job) maxRun() time.Duration {
	if j.MaxRun > 0 {
		return j.MaxRun
	}
	return time.Minute
}

// Metrics are the purge's Prometheus series.
type Metrics struct {
	rows        *prometheus.CounterVec
	runs        *prometheus.CounterVec
	lastSuccess prometheus.Gauge
}

// NewMetrics makes the series; register Collectors on the server's registry.
func NewMetrics() *Metrics {
	return &Metrics{
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pixelpals_retention_rows_total",
			Help: "Rows the retention purge erased or deleted, by step.",
		}, []string{"step"}),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pixelpals_retention_runs_total",
			Help: "Retention purge runs by result: ok, skipped (another instance held the lock) or error.",
		}, []string{"result"}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pixelpals_retention_last_success_timestamp_seconds",
			Help: "When the retention purge last completed a run.",
		}),
	}
}

// Collectors are the series to register.
func (m *Metrics) Collectors() []prometheus.Collector {
	return []prometheus.Collector{m.rows, m.runs, m.lastSuccess}
}

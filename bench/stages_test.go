package bench

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/store"
)

// The send benchmark's breakdown of an API send by stage
// (PIXELPALS_BENCH_STAGES=1): where the time of one send goes, measured,
// not guessed. A pgx tracer on the API's pool times each round trip and
// names it by its SQL (the session lookup, the send batch, the
// announcer's NOTIFY, the hub's outbox reads); a wrapper around the test
// server's handler times the handler; the load generator times each
// request. At 1 sender the spans of one request follow each other, so
// they split its latency exactly:
//
//	to handler    client write, server read and parse of the request
//	to session    middleware up to the session lookup's round trip (its
//	              batcher's hand-off and a pooled connection included)
//	session       the session lookup's round trip (session and send gate)
//	to send       the session's answer, body decode, validation, sleep and
//	              leak checks, the send batcher's queue and hand-off
//	send          the send transaction's round trip: its statements, the
//	              COMMIT and its WAL flush (fsync; its mean is logged from
//	              pg_stat_wal with track_wal_io_timing)
//	answer        the batch's answer, the announce, the JSON response
//	to client     the response's transfer and the client's read
//
// At any concurrency it also counts the round trips per message, by kind,
// and their mean times. Off by default: the tracer costs CPU of its own.

// stagesOn tells whether the breakdown was asked for.
func stagesOn() bool { return os.Getenv("PIXELPALS_BENCH_STAGES") != "" }

// span is one timed thing: a round trip, a handler run, a request.
type span struct {
	kind       string
	start, end time.Time
}

func (s span) d() time.Duration { return s.end.Sub(s.start) }

// stageTracer collects spans while recording.
type stageTracer struct {
	recording atomic.Bool
	mu        sync.Mutex
	spans     []span
}

type spanStartKey struct{}

type spanStart struct {
	kind  string
	start time.Time
}

func (t *stageTracer) add(s span) {
	if !t.recording.Load() {
		return
	}
	t.mu.Lock()
	t.spans = append(t.spans, s)
	t.mu.Unlock()
}

// take returns the spans recorded so far and forgets them.
func (t *stageTracer) take() []span {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := t.spans
	t.spans = nil
	return out
}

// kindOf names a round trip by its statements.
func kindOf(sqls ...string) string {
	all := strings.Join(sqls, "\n")
	switch {
	case strings.Contains(all, "INSERT INTO messages AS m"):
		return "send"
	case strings.Contains(all, "FROM sessions s WHERE s.token_hash"):
		return "session"
	case strings.Contains(all, "pg_notify"):
		return "notify"
	case strings.Contains(all, "live_events"):
		return "outbox read"
	}
	return "other"
}

func (t *stageTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	return context.WithValue(ctx, spanStartKey{}, spanStart{kind: kindOf(d.SQL), start: time.Now()})
}

func (t *stageTracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryEndData) {
	if s, ok := ctx.Value(spanStartKey{}).(spanStart); ok {
		t.add(span{kind: s.kind, start: s.start, end: time.Now()})
	}
}

func (t *stageTracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceBatchStartData) context.Context {
	sqls := make([]string, len(d.Batch.QueuedQueries))
	for i, q := range d.Batch.QueuedQueries {
		sqls[i] = q.SQL
	}
	return context.WithValue(ctx, spanStartKey{}, spanStart{kind: kindOf(sqls...), start: time.Now()})
}

func (t *stageTracer) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}

func (t *stageTracer) TraceBatchEnd(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchEndData) {
	if s, ok := ctx.Value(spanStartKey{}).(spanStart); ok {
		t.add(span{kind: s.kind, start: s.start, end: time.Now()})
	}
}

// openTraced opens the API's pool on url with t as its tracer.
func openTraced(b *testing.B, url string, t *stageTracer) *store.DB {
	b.Helper()
	db, err := store.OpenWith(context.Background(), url, store.Options{Tracer: t})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(db.Close)
	return db
}

// timeHandler wraps h so that each POST of a message is a "handler" span.
func (t *stageTracer) timeHandler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		h.ServeHTTP(w, r)
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/messages") {
			t.add(span{kind: "handler", start: start, end: time.Now()})
		}
	})
}

// stageNames are the stages of one send at 1 sender, in order.
var stageNames = []string{"to handler", "to session", "session", "to send", "send", "answer", "to client"}

// stagesOfRequests splits each request of a 1-sender round into
// stageNames (skipping a request whose spans were not all found). A send
// that found its session lookup remembered has none: its "to session" and
// "session" are 0, and "to send" starts at the handler.
func stagesOfRequests(spans []span) [][]time.Duration {
	slices.SortFunc(spans, func(a, b span) int { return a.start.Compare(b.start) })
	var out [][]time.Duration
	for i, req := range spans {
		if req.kind != "request" {
			continue
		}
		within := func(kind string) (span, bool) {
			for _, s := range spans[i+1:] {
				if s.start.After(req.end) {
					break
				}
				if s.kind == kind {
					return s, true
				}
			}
			return span{}, false
		}
		h, ok1 := within("handler")
		sess, ok2 := within("session")
		send, ok3 := within("send")
		if !ok1 || !ok3 {
			continue
		}
		if !ok2 {
			sess = span{kind: "session", start: h.start, end: h.start}
		}
		out = append(out, []time.Duration{h.start.Sub(req.start), sess.start.Sub(h.start), sess.d(),
			send.start.Sub(sess.end), send.d(), h.end.Sub(send.end), req.end.Sub(h.end)})
	}
	return out
}

// logStages logs the breakdown of the rounds' spans: at 1 sender the
// median of each stage, at any concurrency the round trips per message by
// kind and their mean time; fsyncMs is the mean WAL flush of the rounds.
func logStages(b *testing.B, senders, msgs int, spans []span, fsyncMs float64) {
	if senders == 1 {
		per := stagesOfRequests(spans)
		var line strings.Builder
		for j, name := range stageNames {
			xs := make([]float64, len(per))
			for i, st := range per {
				xs[i] = float64(st[j].Microseconds())
			}
			if len(xs) > 0 {
				fmt.Fprintf(&line, "%s %.0f  ", name, median(xs))
			}
		}
		b.Logf("median µs per stage (%d sends): %s", len(per), line.String())
	}
	count, total := map[string]int{}, map[string]time.Duration{}
	for _, s := range spans {
		count[s.kind]++
		total[s.kind] += s.d()
	}
	for _, k := range []string{"request", "handler", "session", "send", "notify", "outbox read", "other"} {
		if count[k] > 0 {
			b.Logf("%-12s %6.3f per message, mean %7.0f µs", k, float64(count[k])/float64(msgs),
				float64(total[k].Microseconds())/float64(count[k]))
		}
	}
	b.Logf("WAL flush (fsync) mean %.3f ms", fsyncMs)
}

package retention_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"

	"pixelpals/internal/pgtest"
	"pixelpals/internal/retention"
	"pixelpals/internal/store"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// now is the test's clock: every time below is relative to it.
var now = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)

type fixture struct {
	db   *store.DB
	conv int64
	user int64
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{db: pgtest.DB(t)}
	ctx := context.Background()
	if err := f.db.Pool.QueryRow(ctx, `INSERT INTO users (email, password_hash, role) VALUES ('kid@example.com', '!', 'CHILD') RETURNING id`).Scan(&f.user); err != nil {
		t.Fatal(err)
	}
	if err := f.db.Pool.QueryRow(ctx, `INSERT INTO conversations (created_by) VALUES ($1) RETURNING id`, f.user).Scan(&f.conv); err != nil {
		t.Fatal(err)
	}
	return f
}

// message inserts a message deleted at deletedAt (nil: not deleted).
func (f *fixture) message(t *testing.T, deletedAt *time.Time, media bool) int64 {
	t.Helper()
	var url *string
	if media {
		u := "/media/1"
		url = &u
	}
	var id int64
	if err := f.db.Pool.QueryRow(context.Background(), `
		INSERT INTO messages (conversation_id, sender_id, type, content, media_url, created_at, deleted_at)
		VALUES ($1, $2, 'text', 'secret words', $3, $4, $5) RETURNING id`,
		f.conv, f.user, url, now.Add(-90*24*time.Hour), deletedAt).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func (f *fixture) session(t *testing.T, lastSeen, expires time.Time) int64 {
	t.Helper()
	var id int64
	if err := f.db.Pool.QueryRow(context.Background(), `
		INSERT INTO sessions (user_id, token_hash, last_seen_at, expires_at)
		VALUES ($1, sha256(random()::text::bytea), $2, $3) RETURNING id`, f.user, lastSeen, expires).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// endedSession remembers a declined parent's session until expires.
func (f *fixture) endedSession(t *testing.T, hash string, expires time.Time) {
	t.Helper()
	if _, err := f.db.Pool.Exec(context.Background(), `
		INSERT INTO ended_sessions (token_hash, reason, expires_at)
		VALUES (sha256($1::bytea), 'account_rejected', $2)`, hash, expires); err != nil {
		t.Fatal(err)
	}
}

func ago(d time.Duration) *time.Time { t := now.Add(-d); return &t }

const day = 24 * time.Hour

func (f *fixture) job(days int) *retention.Job {
	return &retention.Job{
		DB: f.db, Steps: retention.Steps(f.db, days), Batch: 2,
		Now: func() time.Time { return now }, Logger: slog.New(slog.DiscardHandler),
		Metrics: retention.NewMetrics(),
	}
}

// TestPurge: with a 30-day retention, the content and media of messages
// deleted more than 30 days before the job's clock are erased (the rows
// stay, as tombstones), younger deletions and live messages are untouched,
// and sessions expired or idle too long are deleted; all in batches of two,
// counted per step.
func TestPurge(t *testing.T) {
	f := newFixture(t)
	var due, young, live []int64
	for i := 0; i < 5; i++ {
		due = append(due, f.message(t, ago(31*day+time.Duration(i)*time.Hour), i%2 == 0))
	}
	young = append(young, f.message(t, ago(29*day), true), f.message(t, ago(time.Hour), false))
	live = append(live, f.message(t, nil, true))
	expired := []int64{
		f.session(t, now.Add(-time.Hour), now.Add(-time.Minute)), // past its absolute expiry
		f.session(t, now.Add(-8*day), now.Add(20*day)),           // idle longer than the idle timeout
	}
	valid := f.session(t, now.Add(-time.Hour), now.Add(20*day))
	// Rate limits: a full bucket and failures past their window and
	// lockout are due, a bucket still refilling is not.
	if _, err := f.db.Pool.Exec(context.Background(), `
		INSERT INTO rate_buckets (key, tokens, granted, updated_at, full_at) VALUES
			(sha256('full'), 1, 1, now() - interval '2 hours', now() - interval '1 hour'),
			(sha256('refilling'), 0, 1, now(), now() + interval '1 hour');
		INSERT INTO rate_failures (key, failures, expires_at) VALUES (sha256('old'), '{}', now() - interval '1 minute')`); err != nil {
		t.Fatal(err)
	}
	f.endedSession(t, "gone", now.Add(-time.Minute))
	f.endedSession(t, "kept", now.Add(20*day))

	job := f.job(30)
	rep, err := job.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Ran || len(rep.Results) != 5 || rep.Results[0].Rows != 5 || rep.Results[1].Rows != 0 || rep.Results[2].Rows != 2 ||
		rep.Results[3].Step != "expired_rate_limits" || rep.Results[3].Rows != 2 ||
		rep.Results[4].Step != "expired_ended_sessions" || rep.Results[4].Rows != 1 {
		t.Fatalf("report %+v, want 5 messages, no media, 2 sessions, 2 rate limits and 1 ended session", rep)
	}
	ctx := context.Background()
	check := func(ids []int64, erased bool) {
		t.Helper()
		for _, id := range ids {
			var content, media *string
			var deleted bool
			if err := f.db.Pool.QueryRow(ctx, `SELECT content, media_url, deleted_at IS NOT NULL FROM messages WHERE id = $1`, id).Scan(&content, &media, &deleted); err != nil {
				t.Fatalf("message %d: %v", id, err)
			}
			if erased && (content != nil || media != nil) {
				t.Errorf("message %d still holds its content or media", id)
			}
			if !erased && content == nil {
				t.Errorf("message %d lost its content", id)
			}
		}
	}
	check(due, true)
	check(young, false)
	check(live, false)
	var left []int64
	rows, err := f.db.Pool.Query(ctx, `SELECT id FROM sessions ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		left = append(left, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(left) != 1 || left[0] != valid {
		t.Fatalf("sessions left %v, want only %d (expired were %v)", left, valid, expired)
	}
	var buckets int
	if err := f.db.Pool.QueryRow(ctx, `SELECT count(*) FROM rate_buckets WHERE key = sha256('refilling')`).Scan(&buckets); err != nil || buckets != 1 {
		t.Fatalf("the refilling bucket: %d rows, %v", buckets, err)
	}
	var ended int
	if err := f.db.Pool.QueryRow(ctx, `SELECT count(*) FROM ended_sessions WHERE token_hash = sha256('kept'::bytea)`).Scan(&ended); err != nil || ended != 1 {
		t.Fatalf("the ended session not yet expired: %d rows, %v", ended, err)
	}

	// Counted in metrics.
	for series, want := range map[string]float64{
		`pixelpals_retention_rows_total{step="deleted_message_content"}`: 5,
		`pixelpals_retention_rows_total{step="expired_sessions"}`:        2,
		`pixelpals_retention_runs_total{result="ok"}`:                    1,
	} {
		if got := metric(t, job.Metrics, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}

	// The clock moves on: the message deleted 29 days ago is due two days
	// later, and a second run finds nothing else.
	later := now.Add(2 * day)
	job.Now = func() time.Time { return later }
	rep, err = job.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Results[0].Rows != 1 || rep.Results[2].Rows != 0 {
		t.Fatalf("second run %+v, want 1 message", rep)
	}
	check(young[:1], true)
	check(young[1:], false)
}

// TestPurgeOneInstanceAtATime: while another instance holds the purge's
// lock, a run does nothing and says so.
func TestPurgeOneInstanceAtATime(t *testing.T) {
	f := newFixture(t)
	id := f.message(t, ago(40*day), false)
	ctx := context.Background()
	other, err := f.db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Rollback(ctx)
	var got bool
	if err := other.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock(x'7069786570757267'::bigint)`).Scan(&got); err != nil || !got {
		t.Fatalf("take the lock as another instance: %v %v", got, err)
	}
	job := f.job(30)
	rep, err := job.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Ran || len(rep.Results) != 0 {
		t.Fatalf("ran beside another instance: %+v", rep)
	}
	var content *string
	if err := f.db.Pool.QueryRow(ctx, `SELECT content FROM messages WHERE id = $1`, id).Scan(&content); err != nil {
		t.Fatal(err)
	}
	if content == nil {
		t.Fatal("purged while another instance held the lock")
	}
	if err := other.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if rep, err := job.Run(ctx); err != nil || !rep.Ran || rep.Results[0].Rows != 1 {
		t.Fatalf("after the other instance finished: %+v %v", rep, err)
	}
}

// metric reads one counter series, written as in the exposition format.
func metric(t *testing.T, m *retention.Metrics, series string) float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(m.Collectors()...)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		for _, s := range f.GetMetric() {
			name := f.GetName() + "{"
			for i, l := range s.GetLabel() {
				if i > 0 {
					name += ","
				}
				name += fmt.Sprintf("%s=%q", l.GetName(), l.GetValue())
			}
			if name+"}" == series {
				return s.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// TestPurgeSkipsLockedRows: a message a user is changing right now (its
// row locked) does not hold the purge up; it is left for the next run.
func TestPurgeSkipsLockedRows(t *testing.T) {
	f := newFixture(t)
	held := f.message(t, ago(40*day), false)
	free := f.message(t, ago(40*day), false)
	ctx := context.Background()
	other, err := f.db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Rollback(ctx)
	if _, err := other.Exec(ctx, `SELECT 1 FROM messages WHERE id = $1 FOR UPDATE`, held); err != nil {
		t.Fatal(err)
	}
	job := f.job(30)
	runCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	rep, err := job.Run(runCtx)
	if err != nil {
		t.Fatalf("purge beside a locked row: %v", err)
	}
	if rep.Results[0].Rows != 1 {
		t.Fatalf("purged %d messages, want only the unlocked one", rep.Results[0].Rows)
	}
	var heldContent, freeContent *string
	if err := f.db.Pool.QueryRow(ctx, `SELECT (SELECT content FROM messages WHERE id = $1), (SELECT content FROM messages WHERE id = $2)`, held, free).Scan(&heldContent, &freeContent); err != nil {
		t.Fatal(err)
	}
	if heldContent == nil || freeContent != nil {
		t.Fatalf("held message content %v, free message content %v", heldContent, freeContent)
	}
	if err := other.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if rep, err := job.Run(ctx); err != nil || rep.Results[0].Rows != 1 {
		t.Fatalf("next run: %+v %v", rep, err)
	}
}

// TestPurgeUnreferencedMedia: once a deleted image message is purged, its
// upload is named by nothing and goes, with its blob; an upload still sent
// in a live message, an avatar, a fresh unsent upload and a blob another
// upload still holds all stay.
func TestPurgeUnreferencedMedia(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := f.db.Pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	var other int64
	if err := f.db.Pool.QueryRow(ctx, `INSERT INTO users (email, password_hash, role) VALUES ('kid2@example.com', '!', 'CHILD') RETURNING id`).Scan(&other); err != nil {
		t.Fatal(err)
	}
	exec(`INSERT INTO profiles (user_id, display_name) VALUES ($1, 'Kid')`, f.user)
	blob := func(b byte) []byte { s := make([]byte, 32); s[0] = b; return s }
	for _, b := range []byte{1, 2, 3, 4, 5} {
		exec(`INSERT INTO media_blobs (sha256, kind, content_type, size, data) VALUES ($1, 'image', 'image/png', 1, '\x00')`, blob(b))
	}
	upload := func(owner int64, b byte, age time.Duration) int64 {
		t.Helper()
		var id int64
		if err := f.db.Pool.QueryRow(ctx, `INSERT INTO media (uploader_id, sha256, created_at) VALUES ($1, $2, $3) RETURNING id`,
			owner, blob(b), now.Add(-age)).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	sent := func(media int64, deletedAt *time.Time) {
		t.Helper()
		exec(`INSERT INTO messages (conversation_id, sender_id, type, media_id, media_url, created_at, deleted_at)
			VALUES ($1, $2, 'image', $3::int, '/api/v1/media/' || $3::int, $4, $5)`, f.conv, f.user, media, now.Add(-90*day), deletedAt)
	}
	purged := upload(f.user, 1, 60*day) // its only message was deleted 31 days ago
	sent(purged, ago(31*day))
	live := upload(f.user, 2, 60*day)
	sent(live, nil)
	avatar := upload(f.user, 3, 60*day)
	exec(`UPDATE profiles SET avatar_media_id = $1 WHERE user_id = $2`, avatar, f.user)
	fresh := upload(f.user, 4, time.Hour) // uploaded a moment ago, its message not yet sent
	shared := upload(f.user, 5, 60*day)   // never sent ...
	keeper := upload(other, 5, 60*day)    // ... but another child's upload of the same bytes is
	sent(keeper, nil)

	rep, err := f.job(30).Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Results[0].Rows != 1 || rep.Results[1].Rows != 2 {
		t.Fatalf("report %+v, want 1 message erased and 2 uploads deleted", rep)
	}
	var left []int64
	rows, err := f.db.Pool.Query(ctx, `SELECT id FROM media ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	left, err = pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{live, avatar, fresh, keeper}; !slices.Equal(left, want) {
		t.Errorf("uploads left %v, want %v (purged %d, shared %d)", left, want, purged, shared)
	}
	var blobs int
	if err := f.db.Pool.QueryRow(ctx, `SELECT count(*) FROM media_blobs`).Scan(&blobs); err != nil {
		t.Fatal(err)
	}
	if blobs != 4 {
		t.Errorf("%d blobs left, want 4: only the purged message's blob goes", blobs)
	}
}

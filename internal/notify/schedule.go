package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// The kinds a worker writes itself: one mail listing what waited for a
// parent who chose "daily", and the weekly summary of their children's
// activity (counts only).
const (
	DailyDigest   Kind = "daily_digest"
	WeeklySummary Kind = "weekly_summary"
)

// DefaultDigestHour is the parent's local hour of the daily digest, and of
// the weekly summary on Sundays.
const DefaultDigestHour = 18

// scheduleEvery is how often a worker looks for digests and summaries
// that are due: they are due at a fixed hour, so a minute late is on time.
const scheduleEvery = time.Minute

func (w *Worker) now() time.Time {
	if w.Now == nil {
		return time.Now()
	}
	return w.Now()
}

// scheduleDue writes the digest and summary rows that are due, at most
// once a minute of w's clock; the ordinary claim then delivers them.
func (w *Worker) scheduleDue(ctx context.Context) error {
	now := w.now()
	if since := now.Sub(w.scheduled); !w.scheduled.IsZero() && since >= 0 && since < scheduleEvery {
		return nil
	}
	if err := w.scheduleDigests(ctx, now); err != nil {
		return err
	}
	if err := w.scheduleSummaries(ctx, now); err != nil {
		return err
	}
	w.scheduled = now
	return nil
}

// zoned is a parent and their time zone.
type zoned struct {
	ID int64
	TZ string
}

// waitingParents are the parents with rows waiting for a digest.
func (w *Worker) waitingParents(ctx context.Context) ([]zoned, error) {
	rows, err := w.Pool.Query(ctx, `
		SELECT DISTINCT n.recipient_id, coalesce(p.time_zone, 'UTC')
		FROM notifications n
		LEFT JOIN notification_prefs p ON p.user_id = n.recipient_id
		WHERE n.state = 'digest' AND n.digest_id IS NULL AND n.recipient_id IS NOT NULL`)
	if err != nil {
		return nil, fmt.Errorf("parents waiting for a digest: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[zoned])
}

// dropUntold ends the waiting rows about a child whose recipient may not
// be told of the child (toldOfChildSQL), as the claim ends such a row sent
// at once: a digest names no child, so the claim cannot tell its rows
// apart, and a guardian awaiting approval or suspended would be mailed
// what their child did.
func (w *Worker) dropUntold(ctx context.Context) error {
	_, err := w.Pool.Exec(ctx, `
		UPDATE notifications n SET state = 'dead', last_error = 'the recipient may not be told of the child'
		FROM users k, users u
		WHERE n.state = 'digest' AND n.digest_id IS NULL
		  AND k.id = n.child_id AND u.id = n.recipient_id
		  AND NOT `+toldOfChildSQL("n", "k", "u"))
	if err != nil {
		return fmt.Errorf("drop digest rows of unvetted guardians: %w", err)
	}
	return nil
}

// scheduleDigests writes, for each parent with waiting rows, the digest
// of the last digest hour that passed in their zone, and hands it every
// row that waited since before that hour. The unique period index makes
// two workers doing this at once write one digest; the rows are handed
// over only by the statement that wrote it, and only while no digest
// holds them: each row is in exactly one digest.
func (w *Worker) scheduleDigests(ctx context.Context, now time.Time) error {
	if err := w.dropUntold(ctx); err != nil {
		return err
	}
	parents, err := w.waitingParents(ctx)
	if err != nil {
		return err
	}
	for _, p := range parents {
		at := lastAt(now, location(p.TZ), cmpOr(w.DigestHour, DefaultDigestHour), false)
		_, err := w.Pool.Exec(ctx, `
			WITH digest AS (
				INSERT INTO notifications (recipient_id, kind, period, state)
				SELECT $1, 'daily_digest', $2::date, 'pending'
				WHERE EXISTS (SELECT 1 FROM notifications
				              WHERE recipient_id = $1 AND state = 'digest' AND digest_id IS NULL AND created_at < $3::timestamptz)
				ON CONFLICT (recipient_id, kind, period) WHERE period IS NOT NULL DO NOTHING
				RETURNING id
			)
			UPDATE notifications n SET digest_id = digest.id
			FROM digest
			WHERE n.recipient_id = $1 AND n.state = 'digest' AND n.digest_id IS NULL AND n.created_at < $3::timestamptz`,
			p.ID, at.Format(time.DateOnly), at)
		if err != nil {
			return fmt.Errorf("daily digest of %d: %w", p.ID, err)
		}
	}
	return nil
}

// scheduleSummaries writes the weekly summary of each parent who wants
// one, has a child and had an account before the week ended: the week is
// the seven days up to the last Sunday's digest hour in their zone.
func (w *Worker) scheduleSummaries(ctx context.Context, now time.Time) error {
	rows, err := w.Pool.Query(ctx, `
		SELECT u.id, coalesce(p.time_zone, 'UTC')
		FROM users u
		LEFT JOIN notification_prefs p ON p.user_id = u.id
		WHERE u.role = 'PARENT' AND u.approved_by_admin AND u.deleted_at IS NULL AND u.suspended_at IS NULL
		  AND coalesce(p.weekly_summary, TRUE)
		  AND EXISTS (SELECT 1 FROM users c WHERE `+ChildOfSQL("c", "u.id")+`)
		  AND NOT EXISTS (SELECT 1 FROM notifications n
		                  WHERE n.recipient_id = u.id AND n.kind = 'weekly_summary' AND n.period >= $1::date)`,
		now.AddDate(0, 0, -8).Format(time.DateOnly))
	if err != nil {
		return fmt.Errorf("parents due a weekly summary: %w", err)
	}
	parents, err := pgx.CollectRows(rows, pgx.RowToStructByPos[zoned])
	if err != nil {
		return fmt.Errorf("parents due a weekly summary: %w", err)
	}
	for _, p := range parents {
		end := lastAt(now, location(p.TZ), cmpOr(w.DigestHour, DefaultDigestHour), true)
		start := end.AddDate(0, 0, -7)
		_, err := w.Pool.Exec(ctx, `
			INSERT INTO notifications (recipient_id, kind, period, about, state)
			SELECT id, 'weekly_summary', $2::date, jsonb_build_object('from', $4::bigint, 'to', $5::bigint), 'pending'
			FROM users WHERE id = $1 AND created_at < $3::timestamptz
			ON CONFLICT (recipient_id, kind, period) WHERE period IS NOT NULL DO NOTHING`,
			p.ID, end.Format(time.DateOnly), end, start.Unix(), end.Unix())
		if err != nil {
			return fmt.Errorf("weekly summary of %d: %w", p.ID, err)
		}
	}
	return nil
}

// lastAt is the last time at or before now when the clock in loc showed
// hour:00 (on a Sunday, when sunday is set).
func lastAt(now time.Time, loc *time.Location, hour int, sunday bool) time.Time {
	l := now.In(loc)
	for day := 0; ; day++ {
		t := time.Date(l.Year(), l.Month(), l.Day()-day, hour, 0, 0, 0, loc)
		if !t.After(now) && (!sunday || t.Weekday() == time.Sunday) {
			return t
		}
	}
}

// location is tz, or UTC for a name this build does not know (the API
// accepts only known ones; a zone may leave a later build's database).
func location(tz string) *time.Location {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return time.UTC
	}
	return loc
}

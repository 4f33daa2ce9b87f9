package store

import (
	"context"
	"errors"
	"fmt"
	"time"
	// The IANA zone database, built in: the system's copy is used when
	// present, this one when it is not (a minimal image without tzdata),
	// so that a family's zone neither fails to validate nor, worse, stops
	// their stored schedule from ever sleeping (State below).
	_ "time/tzdata"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/audit"
	"pixelpals/internal/domain"
	"pixelpals/internal/eventlog"
)

// Sleep mode (issue 12.1): a child's weekly quiet hours, in their family's
// time zone. While asleep the child cannot send (internal/sending checks
// the schedule of their send gate first) and their sockets hold their
// events until the end, then replay them from the outbox, but for their
// own sleep_mode.changed and, when the parent allows it, their direct chat
// with the parent (internal/live/policy.go).

// SleepSpan is one daily quiet span, in minutes after local midnight. An
// End at or before Start runs past midnight into the next day.
type SleepSpan struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

// SleepSchedule is a child's quiet hours. Weekday is the span that starts
// Sunday to Thursday (the nights before a school day), Weekend the span
// that starts Friday or Saturday; nil is no quiet time on those days.
type SleepSchedule struct {
	ChildID     int64      `json:"child_id"`
	TimeZone    string     `json:"time_zone"`
	Weekday     *SleepSpan `json:"weekday"`
	Weekend     *SleepSpan `json:"weekend"`
	AllowParent bool       `json:"allow_parent_messages"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

// ClockSpan is a quiet span as clients read and write it: "HH:MM" local
// times.
type ClockSpan struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// Clock is sp as clients read it (nil for nil).
func (sp *SleepSpan) Clock() *ClockSpan {
	if sp == nil {
		return nil
	}
	return &ClockSpan{fmt.Sprintf("%02d:%02d", sp.Start/60, sp.Start%60), fmt.Sprintf("%02d:%02d", sp.End/60, sp.End%60)}
}

// SleepScheduleView is a schedule as clients see it, spans in "HH:MM":
// the parent's sleep_mode.changed event carries it, and the REST answers
// of /children/{id}/sleep-mode are it with the state now added (the
// API's sleepModeView), so the two cannot drift apart. The audit log
// keeps SleepSchedule itself, in minutes.
type SleepScheduleView struct {
	ChildID     int64      `json:"child_id"`
	TimeZone    string     `json:"time_zone"`
	Weekday     *ClockSpan `json:"weekday"`
	Weekend     *ClockSpan `json:"weekend"`
	AllowParent bool       `json:"allow_parent_messages"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

// View is s as clients see it.
func (s SleepSchedule) View() SleepScheduleView {
	return SleepScheduleView{ChildID: s.ChildID, TimeZone: s.TimeZone, Weekday: s.Weekday.Clock(), Weekend: s.Weekend.Clock(),
		AllowParent: s.AllowParent, UpdatedAt: s.UpdatedAt.UTC()}
}

// SleepState is where a schedule stands at one instant.
type SleepState struct {
	Asleep bool
	// Until is when the current quiet time ends (set while Asleep).
	Until time.Time
	// Next is when the next quiet time starts (set while awake, zero when
	// the schedule has none).
	Next time.Time
}

// spanOn is the span that starts on weekday d.
func (s SleepSchedule) spanOn(d time.Weekday) *SleepSpan {
	if d == time.Friday || d == time.Saturday {
		return s.Weekend
	}
	return s.Weekday
}

// State is the schedule's state at now. Spans are laid out on the local
// calendar from the day before now to a week after it; wall-clock times
// that a DST change skips are taken as Go's time.Date normalizes them (the
// same instant an hour later), and adjoining spans merge.
func (s SleepSchedule) State(now time.Time) SleepState {
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil {
		return SleepState{} // validated on write; an unknown zone never sleeps
	}
	local := now.In(loc)
	type interval struct{ start, end time.Time }
	var spans []interval
	for k := -1; k <= 8; k++ {
		day := time.Date(local.Year(), local.Month(), local.Day()+k, 12, 0, 0, 0, loc)
		sp := s.spanOn(day.Weekday())
		if sp == nil {
			continue
		}
		start := time.Date(day.Year(), day.Month(), day.Day(), sp.Start/60, sp.Start%60, 0, 0, loc)
		endDay := day.Day()
		if sp.End <= sp.Start {
			endDay++
		}
		end := time.Date(day.Year(), day.Month(), endDay, sp.End/60, sp.End%60, 0, 0, loc)
		if end.After(start) {
			spans = append(spans, interval{start, end})
		}
	}
	for i, iv := range spans {
		if now.Before(iv.start) {
			return SleepState{Next: iv.start}
		}
		if now.Before(iv.end) {
			until := iv.end
			for _, next := range spans[i+1:] {
				if next.start.After(until) {
					break
				}
				if next.end.After(until) {
					until = next.end
				}
			}
			return SleepState{Asleep: true, Until: until}
		}
	}
	return SleepState{}
}

// ValidTimeZone reports whether name is an IANA zone this build knows
// ("UTC" included; "Local" and "" are not zones of a family).
func ValidTimeZone(name string) bool {
	if name == "" || name == "Local" {
		return false
	}
	_, err := time.LoadLocation(name)
	return err == nil
}

const sleepColumns = `child_id, time_zone, weekday_start, weekday_end, weekend_start, weekend_end, allow_parent, updated_at`

func scanSleep(row pgx.Row) (SleepSchedule, error) {
	var s SleepSchedule
	var wds, wde, wes, wee *int
	err := row.Scan(&s.ChildID, &s.TimeZone, &wds, &wde, &wes, &wee, &s.AllowParent, &s.UpdatedAt)
	if wds != nil && wde != nil {
		s.Weekday = &SleepSpan{*wds, *wde}
	}
	if wes != nil && wee != nil {
		s.Weekend = &SleepSpan{*wes, *wee}
	}
	return s, err
}

// SleepScheduleOf returns userID's schedule, or nil when they have none.
// It does not authorize: it serves the send check and the sockets.
func (db *DB) SleepScheduleOf(ctx context.Context, userID int64) (*SleepSchedule, error) {
	s, err := scanSleep(db.Pool.QueryRow(ctx, `SELECT `+sleepColumns+` FROM sleep_schedules WHERE child_id = $1`, userID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sleep schedule of %d: %w", userID, err)
	}
	return &s, nil
}

// SleepStateOf is userID's sleep state at now (awake without a schedule).
func (db *DB) SleepStateOf(ctx context.Context, userID int64, now time.Time) (SleepState, *SleepSchedule, error) {
	s, err := db.SleepScheduleOf(ctx, userID)
	if err != nil || s == nil {
		return SleepState{}, s, err
	}
	return s.State(now), s, nil
}

// ChildSleepSchedule returns the acting parent's child's schedule (nil when
// none is set); another family's child is not_found.
func (db *DB) ChildSleepSchedule(ctx context.Context, actor *domain.Actor, childID int64) (*SleepSchedule, error) {
	var out *SleepSchedule
	err := db.Transact(ctx, func(tx pgx.Tx) error {
		if err := isOwnChild(ctx, tx, actor, childID); err != nil {
			return err
		}
		s, err := scanSleep(tx.QueryRow(ctx, `SELECT `+sleepColumns+` FROM sleep_schedules WHERE child_id = $1`, childID))
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("sleep schedule of %d: %w", childID, err)
		}
		out = &s
		return nil
	})
	return out, err
}

func isOwnChild(ctx context.Context, tx pgx.Tx, actor *domain.Actor, childID int64) error {
	var ok bool
	err := tx.QueryRow(ctx, `
		SELECT true FROM users u WHERE u.id = $1 AND `+ChildOfSQL("u", "$2"),
		childID, actor.UserID).Scan(&ok)
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.Errorf(domain.CodeNotFound, "no such child")
	}
	if err != nil {
		return fmt.Errorf("look up child %d: %w", childID, err)
	}
	return nil
}

// sleepEvents tell the child's and every guardian's sockets that the
// schedule changed: the child's sockets re-read it at once. The guardians' event holds
// the schedule as REST shows it (nil once cleared); the child's only names
// them, as GET /me/sleep-mode gives a child their state and not the
// schedule (time zone, spans, the parent switch are the parent's).
func sleepEvents(ctx context.Context, tx pgx.Tx, childID int64, s *SleepScheduleView) error {
	g, err := guardiansOf(ctx, tx, []int64{childID})
	if err != nil {
		return err
	}
	return eventlog.Append(ctx, tx, []eventlog.Event{
		{Type: eventlog.SleepModeChanged, To: g[childID], Data: map[string]any{"child_id": childID, "schedule": s}},
		{Type: eventlog.SleepModeChanged, To: []int64{childID}, Data: map[string]any{"child_id": childID}},
	})
}

// SetSleepSchedule sets (creates or replaces) the acting parent's child's
// schedule, audited with the schedule before and after. s.TimeZone and the
// spans must be valid (the API checks them).
func (db *DB) SetSleepSchedule(ctx context.Context, actor *domain.Actor, childID int64, s SleepSchedule) (SleepSchedule, error) {
	var out SleepSchedule
	err := db.transact(ctx, txRetry, func(tx pgx.Tx) error {
		if _, err := lockChild(ctx, tx, actor, childID); err != nil {
			return err
		}
		before, err := scanSleep(tx.QueryRow(ctx, `SELECT `+sleepColumns+` FROM sleep_schedules WHERE child_id = $1`, childID))
		var beforeAudit any
		switch {
		case err == nil:
			beforeAudit = before
		case !errors.Is(err, pgx.ErrNoRows):
			return fmt.Errorf("sleep schedule of %d: %w", childID, err)
		}
		span := func(sp *SleepSpan) (start, end *int) {
			if sp == nil {
				return nil, nil
			}
			return &sp.Start, &sp.End
		}
		wds, wde := span(s.Weekday)
		wes, wee := span(s.Weekend)
		out, err = scanSleep(tx.QueryRow(ctx, `
			INSERT INTO sleep_schedules (child_id, time_zone, weekday_start, weekday_end, weekend_start, weekend_end, allow_parent)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (child_id) DO UPDATE SET time_zone = EXCLUDED.time_zone,
				weekday_start = EXCLUDED.weekday_start, weekday_end = EXCLUDED.weekday_end,
				weekend_start = EXCLUDED.weekend_start, weekend_end = EXCLUDED.weekend_end,
				allow_parent = EXCLUDED.allow_parent, updated_at = CURRENT_TIMESTAMP
			RETURNING `+sleepColumns, childID, s.TimeZone, wds, wde, wes, wee, s.AllowParent))
		if err != nil {
			return fmt.Errorf("set sleep schedule of %d: %w", childID, err)
		}
		if err := audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: audit.SleepModeSet, EntityType: "user", EntityID: childID,
			Before: beforeAudit, After: out}); err != nil {
			return err
		}
		view := out.View()
		return sleepEvents(ctx, tx, childID, &view)
	})
	return out, err
}

// ClearSleepSchedule removes the acting parent's child's schedule; without
// one it is not_found.
func (db *DB) ClearSleepSchedule(ctx context.Context, actor *domain.Actor, childID int64) error {
	return db.transact(ctx, txRetry, func(tx pgx.Tx) error {
		if _, err := lockChild(ctx, tx, actor, childID); err != nil {
			return err
		}
		before, err := scanSleep(tx.QueryRow(ctx, `DELETE FROM sleep_schedules WHERE child_id = $1 RETURNING `+sleepColumns, childID))
		if errors.Is(err, pgx.ErrNoRows) {
			return domain.Errorf(domain.CodeNotFound, "this child has no sleep mode set")
		}
		if err != nil {
			return fmt.Errorf("clear sleep schedule of %d: %w", childID, err)
		}
		if err := audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: audit.SleepModeClear, EntityType: "user", EntityID: childID,
			Before: before}); err != nil {
			return err
		}
		return sleepEvents(ctx, tx, childID, nil)
	})
}

// IsDirectWithOwnParent reports whether conversation convID is the direct
// chat of child childID with one of their guardians (sleep mode may allow it).
func (db *DB) IsDirectWithOwnParent(ctx context.Context, childID, convID int64) (bool, error) {
	var ok bool
	err := db.Pool.QueryRow(ctx, `
		SELECT NOT coalesce(c.is_group, false)
		   AND (SELECT count(*) FROM conversation_members m WHERE m.conversation_id = c.id) = 2
		   AND EXISTS (SELECT 1 FROM conversation_members m JOIN users u ON u.id = $1
		               WHERE m.conversation_id = c.id AND `+GuardianSQL("u", "m.user_id")+`)
		   AND EXISTS (SELECT 1 FROM conversation_members m WHERE m.conversation_id = c.id AND m.user_id = $1)
		FROM conversations c WHERE c.id = $2`, childID, convID).Scan(&ok)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("is conversation %d direct with the parent of %d: %w", convID, childID, err)
	}
	return ok, nil
}

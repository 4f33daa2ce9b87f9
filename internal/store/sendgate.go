package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/domain"
)

// The send gate: what the API checks before a child's send (sleep mode,
// the password-leak guard) reads of the child. It is read with the
// sender's session (SessionForSend), in the same transaction and round
// trip, shared by concurrent requests (internal/batch), or remembered from
// the sender's last send (sendsessions.go). Either way the send's own
// transaction inserts its row only if the session still holds and the
// gate it was checked on is still the child's (SendHoldsSQL): a send is
// never checked on a schedule or fingerprints older than its own commit.

// SendGate is what a send was checked on: its session, and, for a child,
// their sleep schedule (nil: none) and the kept fingerprints of their
// game passwords, with the stamp of both (gateStampSQL).
type SendGate struct {
	Sleep  *SleepSchedule
	prints []printRow
	// sessionID is the sender's session the gate was read with; 0 for a
	// gate made by hand (tests), which the send's transaction checks
	// nothing of.
	sessionID int64
	// stamp is gateStampSQL of the child when the gate was read; "" for
	// an adult.
	stamp string
	// remembered: the gate and its session's actor came from the send
	// session cache, not from a lookup for this request.
	remembered bool
}

// Remembered tells whether the gate (and its actor) was remembered from
// an earlier send rather than read for this one: it may be older than the
// child's schedule and passwords, so the send checks refuse nothing on it
// (internal/sending, checks.go).
func (g *SendGate) Remembered() bool { return g != nil && g.remembered }

// Holds returns what the send's transaction must find unchanged
// (SendHoldsSQL): the session, and for a child the gate's stamp; ok is
// false for a gate made by hand, which has no session.
func (g *SendGate) Holds() (sessionID int64, stamp *string, ok bool) {
	if g == nil || g.sessionID == 0 {
		return 0, nil, false
	}
	if g.stamp == "" {
		return g.sessionID, nil, true
	}
	st := g.stamp
	return g.sessionID, &st, true
}

// printRow is one leak_fingerprints row, not yet keyed.
type printRow struct {
	credentialID int64
	gameName     string
	version      int64
	length       int
	fp, fpRev    []byte
}

// gateStampSQL is a text that changes whenever what a send gate reads of
// child (an expression for a users id) changes: their sleep schedule's
// settings and their fingerprints with their games' names. Each value is
// written as a quoted literal or NULL (format's %L), so no two gates
// write the same text (weekday hours moved to the weekend, a NULL
// shifting place), and as an integer, a text or a hash, so the stamp does
// not depend on a connection's date or bytea output settings.
func gateStampSQL(child string) string {
	return `md5(coalesce((SELECT format('%L|%L|%L|%L|%L|%L', s.time_zone, s.weekday_start, s.weekday_end, s.weekend_start, s.weekend_end, s.allow_parent)
		                  FROM sleep_schedules s WHERE s.child_id = ` + child + `), 'none')
		|| '#' || coalesce((SELECT string_agg(format('%L|%L|%L|%L|%L|%L', f.credential_id, f.key_version, f.length, md5(f.fp), md5(f.fp_rev), g.game_name), '#'
		                                      ORDER BY f.credential_id)
		                    FROM profiles p
		                    JOIN game_credentials g ON g.profile_id = p.id
		                    JOIN leak_fingerprints f ON f.credential_id = g.id
		                    WHERE p.user_id = ` + child + `), 'none'))`
}

// sendGateSQL reads the gates of the children whose sessions have the
// token hashes $1: a row per fingerprint (or one without any), each with
// the child's schedule (NULLs: none) and stamp; each child once, however
// many of their sessions or sends are in the batch. Whether each session
// is still usable is sessionLookupSQL's to say; a gate is only used with
// its session's actor. Each join is a probe by key (LATERAL): the plan
// does not rest on the tables' statistics.
var sendGateSQL = `
	SELECT u.id, s.child_id IS NOT NULL, coalesce(s.time_zone, ''), s.weekday_start, s.weekday_end, s.weekend_start, s.weekend_end,
	       coalesce(s.allow_parent, false), coalesce(s.updated_at, 'epoch'),
	       f.credential_id, coalesce(f.game_name, ''), f.key_version, f.length, f.fp, f.fp_rev, u.stamp
	FROM (SELECT DISTINCT ss.user_id FROM unnest($1::bytea[]) AS t(h)
	      CROSS JOIN LATERAL (SELECT ss.user_id FROM sessions ss WHERE ss.token_hash = t.h LIMIT 1) ss) ss
	CROSS JOIN LATERAL (SELECT u.id, ` + gateStampSQL("u.id") + ` AS stamp FROM users u WHERE u.id = ss.user_id AND u.role = 'CHILD' LIMIT 1) u
	LEFT JOIN LATERAL (SELECT * FROM sleep_schedules s WHERE s.child_id = u.id LIMIT 1) s ON true
	LEFT JOIN LATERAL (SELECT f.*, g.game_name
	                   FROM profiles p
	                   JOIN game_credentials g ON g.profile_id = p.id
	                   JOIN leak_fingerprints f ON f.credential_id = g.id
	                   WHERE p.user_id = u.id OFFSET 0) f ON true
	ORDER BY u.id, f.credential_id`

// gateRows reads sendGateSQL's rows into out, by child.
func gateRows(out map[int64]*SendGate) func(pgx.Rows) error {
	return func(rows pgx.Rows) error {
		var id int64
		var has bool
		var s SleepSchedule
		var wds, wde, wes, wee *int
		var cred, version *int64
		var length *int
		var game string
		var fp, fpRev []byte
		var stamp string
		if err := rows.Scan(&id, &has, &s.TimeZone, &wds, &wde, &wes, &wee, &s.AllowParent, &s.UpdatedAt,
			&cred, &game, &version, &length, &fp, &fpRev, &stamp); err != nil {
			return err
		}
		g := out[id]
		if g == nil {
			g = &SendGate{stamp: stamp}
			out[id] = g
		}
		if has && g.Sleep == nil {
			s.ChildID = id
			if wds != nil && wde != nil {
				s.Weekday = &SleepSpan{*wds, *wde}
			}
			if wes != nil && wee != nil {
				s.Weekend = &SleepSpan{*wes, *wee}
			}
			g.Sleep = &s
		}
		if cred != nil {
			g.prints = append(g.prints, printRow{credentialID: *cred, gameName: game, version: *version, length: *length, fp: fp, fpRev: fpRev})
		}
		return nil
	}
}

// CheckLeakIn is the leak guard's check of a child's send of text to
// convID, on fingerprints read with their send gate: the text alone and
// joined to their last messages there (recentTexts, sent after now less
// leakWindow), so a password split over two or three messages is found.
// The messages are read only for a child with kept passwords.
func (g *LeakGuard) CheckLeakIn(ctx context.Context, actor *domain.Actor, gate SendGate, convID int64, text string, now time.Time) (*LeakHit, error) {
	if !actor.IsChild() || len(gate.prints) == 0 {
		return nil, nil
	}
	before, err := g.db.recentTexts(ctx, actor.UserID, convID, now.Add(-leakWindow))
	if err != nil {
		return nil, err
	}
	if p := matchLeak(g.keyPrints(gate.prints), before, text); p != nil {
		return &LeakHit{CredentialID: p.credentialID, GameName: p.gameName}, nil
	}
	return nil, nil
}

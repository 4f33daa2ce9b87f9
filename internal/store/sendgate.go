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
// trip, shared by concurrent requests (internal/batch). Nothing is cached:
// every send reads the schedule and the fingerprints as committed when
// its session lookup ran.

// SendGate is a child's sleep schedule (nil: none) and the kept
// fingerprints of their game passwords, as a send's checks need them.
type SendGate struct {
	Sleep  *SleepSchedule
	prints []printRow
}

// printRow is one leak_fingerprints row, not yet keyed.
type printRow struct {
	credentialID int64
	gameName     string
	version      int64
	length       int
	fp, fpRev    []byte
}

// sendGateSQL reads the gates of the children whose sessions have the
// token hashes $1: a row per fingerprint (or one without any), each with
// the child's schedule (NULLs: none); each child once, however many of
// their sessions or sends are in the batch. Whether each session is still
// usable is sessionLookupSQL's to say; a gate is only used with its
// session's actor.
const sendGateSQL = `
	SELECT u.id, s.child_id IS NOT NULL, coalesce(s.time_zone, ''), s.weekday_start, s.weekday_end, s.weekend_start, s.weekend_end,
	       coalesce(s.allow_parent, false), coalesce(s.updated_at, 'epoch'),
	       f.credential_id, coalesce(f.game_name, ''), f.key_version, f.length, f.fp, f.fp_rev
	FROM (SELECT DISTINCT ss.user_id FROM unnest($1::bytea[]) AS t(h)
	      CROSS JOIN LATERAL (SELECT ss.user_id FROM sessions ss WHERE ss.token_hash = t.h LIMIT 1) ss) ss
	JOIN users u ON u.id = ss.user_id AND u.role = 'CHILD'
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
		if err := rows.Scan(&id, &has, &s.TimeZone, &wds, &wde, &wes, &wee, &s.AllowParent, &s.UpdatedAt,
			&cred, &game, &version, &length, &fp, &fpRev); err != nil {
			return err
		}
		g := out[id]
		if g == nil {
			g = &SendGate{}
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

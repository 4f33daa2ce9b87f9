package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/domain"
)

// The send gate: what the API checks before a child's send (sleep mode,
// the password-leak guard) reads of the child, in one statement, shared by
// concurrent sends (group.go, as the sends themselves). Nothing is cached:
// every send reads the schedule and the fingerprints as committed when
// its batch ran.

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
	fp           []byte
}

const (
	maxGateBatch = 64
	gateFlushers = 2
	// gateTimeout bounds one batch's read, whatever its callers' own
	// deadlines (the read is shared).
	gateTimeout = 15 * time.Second
)

// sendGateSQL reads the gates of the children $1: a row per fingerprint
// (or one without any), each with the child's schedule (NULLs: none).
const sendGateSQL = `
	SELECT u.id, s.child_id IS NOT NULL, coalesce(s.time_zone, ''), s.weekday_start, s.weekday_end, s.weekend_start, s.weekend_end,
	       coalesce(s.allow_parent, false), coalesce(s.updated_at, 'epoch'),
	       f.credential_id, coalesce(f.game_name, ''), f.key_version, f.length, f.fp
	FROM unnest($1::int[]) AS u(id)
	LEFT JOIN LATERAL (SELECT * FROM sleep_schedules s WHERE s.child_id = u.id LIMIT 1) s ON true
	LEFT JOIN LATERAL (SELECT f.*, g.game_name
	                   FROM profiles p
	                   JOIN game_credentials g ON g.profile_id = p.id
	                   JOIN leak_fingerprints f ON f.credential_id = g.id
	                   WHERE p.user_id = u.id OFFSET 0) f ON true
	ORDER BY u.id, f.credential_id`

type gateOutcome struct {
	gate SendGate
	err  error
}

type gateCall = call[int64, gateOutcome]

func (db *DB) gates() *group[int64, gateOutcome] {
	db.gateOnce.Do(func() {
		db.gateGroup = &group[int64, gateOutcome]{max: maxGateBatch, flushers: gateFlushers, run: db.readGates,
			fail: func(err error) gateOutcome { return gateOutcome{err: err} }}
	})
	return db.gateGroup
}

// SendGateOf reads childID's send gate.
func (db *DB) SendGateOf(ctx context.Context, childID int64) (SendGate, error) {
	out := db.gates().do(ctx, childID)
	return out.gate, out.err
}

// readGates answers one batch of gate reads.
func (db *DB) readGates(batch []*gateCall) {
	ctx, cancel := context.WithTimeout(context.Background(), gateTimeout)
	defer cancel()
	ids := make([]int64, len(batch))
	for i, c := range batch {
		ids[i] = c.req
	}
	gates, err := db.queryGates(ctx, distinct(ids))
	for _, c := range batch {
		c.answer(gateOutcome{gate: gates[c.req], err: err})
	}
}

func (db *DB) queryGates(ctx context.Context, ids []int64) (map[int64]SendGate, error) {
	out := make(map[int64]SendGate, len(ids))
	err := db.genericRead(ctx, sendGateSQL, []any{ids}, func(rows pgx.Rows) error {
		var id int64
		var has bool
		var s SleepSchedule
		var wds, wde, wes, wee *int
		var cred, version *int64
		var length *int
		var game string
		var fp []byte
		if err := rows.Scan(&id, &has, &s.TimeZone, &wds, &wde, &wes, &wee, &s.AllowParent, &s.UpdatedAt,
			&cred, &game, &version, &length, &fp); err != nil {
			return err
		}
		g := out[id]
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
			g.prints = append(g.prints, printRow{credentialID: *cred, gameName: game, version: *version, length: *length, fp: fp})
		}
		out[id] = g
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("send gates of %d children: %w", len(ids), err)
	}
	return out, nil
}

// CheckLeakIn is CheckLeak on fingerprints read with the child's send
// gate.
func (k *Keeper) CheckLeakIn(actor *domain.Actor, gate SendGate, message string) *LeakHit {
	if !actor.IsChild() || len(gate.prints) == 0 {
		return nil
	}
	if p := matchLeak(k.keyPrints(gate.prints), message); p != nil {
		return &LeakHit{CredentialID: p.credentialID, GameName: p.gameName}
	}
	return nil
}

package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/batch"
	"pixelpals/internal/domain"
	"pixelpals/internal/readbatch"
)

// Session lifetimes: a session ends after IdleTimeout without use, and in
// any case AbsoluteTimeout after login.
const (
	IdleTimeout     = 7 * 24 * time.Hour
	AbsoluteTimeout = 30 * 24 * time.Hour
	// touchEvery bounds how often a busy session's last_seen_at is written.
	touchEvery = 5 * time.Minute
)

// CreateSession stores a new session for userID under the token's hash,
// but only if the account still has the password hash that login just
// verified and is still usable. Password checks take tens of
// milliseconds; a password reset, suspension or deletion that commits in
// between must not be outlived by a session opened with the old password.
// FOR SHARE makes the insert wait for such a change and then see it. A
// refused session is domain unauthorized.
func (db *DB) CreateSession(ctx context.Context, userID int64, checkedHash string, tokenHash []byte) (int64, error) {
	var id int64
	err := db.Pool.QueryRow(ctx, `
		INSERT INTO sessions (user_id, token_hash, expires_at)
		SELECT u.id, $3, CURRENT_TIMESTAMP + $4::interval
		FROM (SELECT id FROM users
		      WHERE id = $1 AND password_hash = $2 AND suspended_at IS NULL AND deleted_at IS NULL
		      FOR SHARE) u
		RETURNING id`, userID, checkedHash, tokenHash, AbsoluteTimeout).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, domain.Errorf(domain.CodeUnauthorized, "the account changed while logging in")
	}
	if err != nil {
		return 0, fmt.Errorf("create session for user %d: %w", userID, err)
	}
	// Sessions are only ever filtered out once expired; each login clears
	// its user's dead ones, so the table stays the size of the live ones.
	if _, err := db.Pool.Exec(ctx, `
		DELETE FROM sessions
		WHERE user_id = $1 AND (expires_at <= CURRENT_TIMESTAMP OR last_seen_at <= CURRENT_TIMESTAMP - $2::interval)`,
		userID, IdleTimeout); err != nil {
		return 0, fmt.Errorf("clear expired sessions of user %d: %w", userID, err)
	}
	return id, nil
}

// SessionActor resolves a session token's hash to its actor. It answers
// unauthorized when the session is unknown, expired or idle too long, or
// when the account may not be used any more: deleted, suspended, or a child
// whose parent is not approved or is suspended. Nothing is cached: every
// request reads the session and the account as committed now, so a logout,
// suspension or deletion takes effect at the next request (a message send
// may reuse its sender's last lookup, and checks it in its INSERT:
// sendsessions.go). Concurrent
// lookups share one statement (internal/batch).
func (db *DB) SessionActor(ctx context.Context, tokenHash []byte) (*domain.Actor, error) {
	out := db.sessions().Do(ctx, sessionReq{hash: string(tokenHash)})
	return out.actor, out.err
}

// SessionForSend is SessionActor for a send: it also returns the send
// gate (sendgate.go): the session, which the send's INSERT checks, and
// for a child their schedule and fingerprints, read in the same
// transaction and round trip, so that a send reads the database once
// before its own batch.
func (db *DB) SessionForSend(ctx context.Context, tokenHash []byte) (*domain.Actor, *SendGate, error) {
	out := db.sessions().Do(ctx, sessionReq{hash: string(tokenHash), gate: true})
	return out.actor, out.gate, out.err
}

// sessionState is DB's part for session lookups.
type sessionState struct {
	sessionOnce  sync.Once
	touching     atomic.Bool // a last_seen_at touch runs
	sessionGroup *batch.Batcher[sessionReq, sessionOutcome]
	sendSessions sendSessions // sendsessions.go
}

// sessions is db's batcher of session lookups, made on first use.
func (db *DB) sessions() *batch.Batcher[sessionReq, sessionOutcome] {
	db.sessionOnce.Do(func() {
		db.sessionGroup = &batch.Batcher[sessionReq, sessionOutcome]{Max: maxSessionBatch, Flushers: sessionFlushers, Run: db.lookupSessions,
			Fail: func(err error) sessionOutcome { return sessionOutcome{err: err} }}
	})
	return db.sessionGroup
}

const (
	maxSessionBatch = 64
	sessionFlushers = 2
	// sessionTimeout bounds one shared lookup, whatever its callers'
	// deadlines.
	sessionTimeout = 15 * time.Second
)

// sessionLiveSQL is true when session s (a sessions row) may still be
// used by its user u (users row s.user_id; p: u's parent, joined LEFT on
// u.parent_id): not expired, not idle past IdleTimeout, the account not
// deleted nor suspended, and a child's parent usable. The session lookup,
// the live hub's check of its sockets and a send's own transaction
// (SendHoldsSQL) all say it with this.
func sessionLiveSQL(s, u, p string) string {
	return s + `.expires_at > CURRENT_TIMESTAMP AND ` + s + `.last_seen_at > CURRENT_TIMESTAMP - ` + idleTimeoutSQL + `
		  AND ` + u + `.deleted_at IS NULL AND ` + u + `.suspended_at IS NULL AND ` + ParentUsableSQL(u, p)
}

// idleTimeoutSQL is IdleTimeout as an SQL interval literal.
var idleTimeoutSQL = `'` + strconv.FormatInt(int64(IdleTimeout/time.Second), 10) + ` seconds'::interval`

// accountActiveSQL is domain.Actor's Active for users row u: an admin, a
// child, or a parent an admin approved.
func accountActiveSQL(u string) string {
	return `(` + u + `.role <> 'PARENT' OR coalesce(` + u + `.approved_by_admin, false))`
}

// sessionLookupSQL resolves the token hashes $1 (a row per live one).
var sessionLookupSQL = `
		SELECT t.h, s.id, u.id, u.role, ` + accountActiveSQL("u") + `,
		       s.last_seen_at < CURRENT_TIMESTAMP - $2::interval, coalesce(u.locale, '')
		FROM unnest($1::bytea[]) AS t(h)
		CROSS JOIN LATERAL (SELECT * FROM sessions s WHERE s.token_hash = t.h LIMIT 1) s
		JOIN users u ON u.id = s.user_id
		LEFT JOIN users p ON p.id = u.parent_id
		WHERE ` + sessionLiveSQL("s", "u", "p")

// sessionReq is one lookup: a token hash, and whether its child's send
// gate is wanted too.
type sessionReq struct {
	hash string
	gate bool
}

type sessionOutcome struct {
	actor *domain.Actor
	gate  *SendGate // SessionForSend's, for a child
	err   error
}

// lookupSessions answers one batch of session lookups in one statement,
// and the send gates some of them want in a second one, in the same round
// trip. Sessions whose last_seen_at is older than touchEvery are touched after
// the answers, in one statement of their own that no request waits for:
// the touch only keeps a busy session from idling out.
func (db *DB) lookupSessions(calls []*batch.Call[sessionReq, sessionOutcome]) {
	ctx, cancel := context.WithTimeout(context.Background(), sessionTimeout)
	defer cancel()
	hashes := make([][]byte, len(calls))
	var gateHashes [][]byte
	for i, c := range calls {
		hashes[i] = []byte(c.Req.hash)
		if c.Req.gate {
			gateHashes = append(gateHashes, hashes[i])
		}
	}
	found := make(map[string]*domain.Actor, len(calls))
	var stale []int64
	var h []byte
	var old bool
	a := domain.Actor{}
	lookup := readbatch.Read{SQL: sessionLookupSQL, Args: []any{hashes, touchEvery}, Each: func(rows pgx.Rows) error {
		if err := rows.Scan(&h, &a.SessionID, &a.UserID, &a.Role, &a.Active, &old, &a.Locale); err != nil {
			return err
		}
		actor := a
		found[string(h)] = &actor
		if old {
			stale = append(stale, actor.SessionID)
		}
		return nil
	}}
	reads := []readbatch.Read{lookup}
	gates := map[int64]*SendGate{}
	if gateHashes != nil {
		reads = append(reads, readbatch.Read{SQL: sendGateSQL, Args: []any{gateHashes}, Each: gateRows(gates)})
	}
	err := readbatch.Run(ctx, db.Pool, reads...)
	for _, c := range calls {
		switch actor := found[c.Req.hash]; {
		case err != nil:
			c.Answer(sessionOutcome{err: fmt.Errorf("resolve session: %w", err)})
		case actor == nil:
			c.Answer(sessionOutcome{err: domain.Errorf(domain.CodeUnauthorized, "not logged in or session expired")})
		default:
			a := *actor // each caller its own copy
			c.Answer(sessionOutcome{actor: &a, gate: gateFor(c.Req, &a, gates)})
		}
	}
	db.touchLater(stale)
}

// touchLater touches the stale sessions in the background, so that
// neither the caller leading a batch nor the next batch waits for its
// commit; one touch at a time, so a burst after a quiet spell does not
// start one identical UPDATE per batch (a batch that finds one running
// leaves its sessions to the next). A lost touch costs nothing but an
// idle timeout 7 days after the last one that landed, instead of after
// the last request.
func (db *DB) touchLater(stale []int64) {
	if len(stale) > 0 && db.touching.CompareAndSwap(false, true) {
		ids := Distinct(stale)
		if !db.background.Start(func(ctx context.Context) {
			defer db.touching.Store(false)
			db.touchSessions(ctx, ids)
		}) {
			db.touching.Store(false) // closing
		}
	}
}

// touchSessions writes last_seen_at of the sessions ids that are still
// stale. A failure has no request to answer: it is logged, with the
// number of sessions only (their ids and tokens are nobody's business).
func (db *DB) touchSessions(ctx context.Context, ids []int64) {
	ctx, cancel := context.WithTimeout(ctx, sessionTimeout)
	defer cancel()
	if _, err := db.Pool.Exec(ctx, `UPDATE sessions SET last_seen_at = CURRENT_TIMESTAMP
		WHERE id = ANY($1) AND last_seen_at < CURRENT_TIMESTAMP - $2::interval`, ids, touchEvery); err != nil {
		db.logger.Warn("touch last_seen_at of sessions", "sessions", len(ids), "err", err)
	}
}

// gateFor is the send gate answering req for actor (its own SendGate; the
// schedule and fingerprints it points to are shared, and only read): its
// session, and a child's schedule, fingerprints and stamp (a child
// without a schedule or fingerprints has none of them, but a stamp).
func gateFor(req sessionReq, actor *domain.Actor, gates map[int64]*SendGate) *SendGate {
	if !req.gate {
		return nil
	}
	g := &SendGate{}
	if read := gates[actor.UserID]; read != nil && actor.IsChild() {
		*g = *read
	}
	g.sessionID = actor.SessionID
	return g
}

// DeleteSession ends one session.
func (db *DB) DeleteSession(ctx context.Context, sessionID int64) error {
	if _, err := db.Pool.Exec(ctx, `DELETE FROM sessions WHERE id = $1`, sessionID); err != nil {
		return fmt.Errorf("delete session %d: %w", sessionID, err)
	}
	return nil
}

// revokeSessions ends every session of userID and, for a parent, of their
// children too.
func revokeSessions(ctx context.Context, tx pgx.Tx, userID int64) error {
	_, err := tx.Exec(ctx, `
		DELETE FROM sessions
		WHERE user_id = $1 OR user_id IN (SELECT id FROM users WHERE parent_id = $1)`, userID)
	if err != nil {
		return fmt.Errorf("revoke sessions of user %d: %w", userID, err)
	}
	return nil
}

// LiveSessions returns which of the sessions SessionActor would still
// accept (unexpired, not idle past IdleTimeout, a usable account, a child's
// parent approved and usable): an instance closes the sockets of the others.
func (db *DB) LiveSessions(ctx context.Context, ids []int64) ([]int64, error) {
	rows, err := db.Pool.Query(ctx, `
		SELECT s.id FROM sessions s
		JOIN users u ON u.id = s.user_id
		LEFT JOIN users p ON p.id = u.parent_id
		WHERE s.id = ANY($1) AND `+sessionLiveSQL("s", "u", "p"),
		ids)
	if err != nil {
		return nil, fmt.Errorf("check sessions: %w", err)
	}
	live, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("check sessions: %w", err)
	}
	return live, nil
}

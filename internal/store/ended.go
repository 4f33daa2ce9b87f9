package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Why a session was ended for its holder to be told (ended_sessions,
// migration 00016). The values are the API's error codes.
const (
	EndedRejected = "account_rejected" // an admin declined the parent's sign-up
)

// SessionsEndedChannel is what the sessions table announces ended
// sessions on (migration 00005), for the live hub to close their sockets.
const SessionsEndedChannel = "pixelpals_sessions"

// endSessions remembers every session of userID as ended for reason, until
// each would have expired anyway. Only token hashes are kept: once the
// account is gone they name nobody. The caller then deletes the sessions.
func endSessions(ctx context.Context, tx pgx.Tx, userID int64, reason string) error {
	_, err := tx.Exec(ctx, `
		INSERT INTO ended_sessions (token_hash, reason, expires_at)
		SELECT token_hash, $2, expires_at FROM sessions
		WHERE user_id = $1 AND expires_at > CURRENT_TIMESTAMP
		ON CONFLICT (token_hash) DO NOTHING`, userID, reason)
	if err != nil {
		return fmt.Errorf("remember ended sessions of user %d: %w", userID, err)
	}
	return nil
}

// EndedSession says why the session with this token hash was ended
// (EndedRejected), or "" when it was not remembered (never existed,
// logged out, expired).
func (db *DB) EndedSession(ctx context.Context, tokenHash []byte) (string, error) {
	var reason string
	err := db.Pool.QueryRow(ctx, `
		SELECT reason FROM ended_sessions
		WHERE token_hash = $1 AND expires_at > CURRENT_TIMESTAMP`, tokenHash).Scan(&reason)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("look up ended session: %w", err)
	}
	return reason, nil
}

// DeleteExpiredEndedSessions deletes up to limit remembered sessions that
// would have expired by now: nobody can present them any more.
func (db *DB) DeleteExpiredEndedSessions(ctx context.Context, now time.Time, limit int) (int64, error) {
	tag, err := db.Pool.Exec(ctx, `
		DELETE FROM ended_sessions WHERE token_hash IN (
			SELECT token_hash FROM ended_sessions WHERE expires_at <= $1::timestamp
			LIMIT $2 FOR UPDATE SKIP LOCKED)`, now.UTC(), limit)
	if err != nil {
		return 0, fmt.Errorf("delete expired ended sessions: %w", err)
	}
	return tag.RowsAffected(), nil
}

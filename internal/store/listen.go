package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// ListenerAppName is the application_name of the LISTEN connection, so an
// operator (or a test) can find it in pg_stat_activity.
const ListenerAppName = "pixelpals-listen"

// Listener is the one connection an instance LISTENs on. It holds session
// state (its LISTENs), so behind PgBouncer in transaction mode it must
// bypass the pooler: PIXELPALS_LISTEN_DATABASE_URL.
type Listener struct {
	conn *pgx.Conn
}

// Listen opens a connection to url (empty: the pool's own server and
// settings) and LISTENs on the channels.
func (db *DB) Listen(ctx context.Context, url string, channels ...string) (*Listener, error) {
	var cfg *pgx.ConnConfig
	if url == "" {
		cfg = db.Pool.Config().ConnConfig.Copy()
	} else {
		var err error
		if cfg, err = pgx.ParseConfig(url); err != nil {
			return nil, fmt.Errorf("parse listen database url: %w", redactConfigError(err))
		}
	}
	cfg.RuntimeParams["application_name"] = ListenerAppName
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect listener: %w", err)
	}
	for _, ch := range channels {
		if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{ch}.Sanitize()); err != nil {
			conn.Close(ctx)
			return nil, fmt.Errorf("listen on %s: %w", ch, err)
		}
	}
	return &Listener{conn: conn}, nil
}

// Wait blocks until a notification arrives, and returns its channel and
// payload. An error means the connection is gone: close it and listen
// anew.
func (l *Listener) Wait(ctx context.Context) (channel, payload string, err error) {
	n, err := l.conn.WaitForNotification(ctx)
	if err != nil {
		return "", "", fmt.Errorf("wait for notification: %w", err)
	}
	return n.Channel, n.Payload, nil
}

// Close closes the connection.
func (l *Listener) Close(ctx context.Context) { l.conn.Close(ctx) }

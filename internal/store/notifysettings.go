package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/domain"
	"pixelpals/internal/notify"
)

// NotificationSettings returns the acting parent's delivery for every
// settable kind (notify.Settable): their choice, or the kind's default.
func (db *DB) NotificationSettings(ctx context.Context, actor *domain.Actor) (map[notify.Kind]string, error) {
	if !actor.IsParent() {
		return nil, domain.Errorf(domain.CodeForbidden, "only parents choose notifications")
	}
	return notificationSettings(ctx, db.Pool, actor.UserID)
}

func notificationSettings(ctx context.Context, q rowsQuerier, userID int64) (map[notify.Kind]string, error) {
	rows, err := q.Query(ctx, `SELECT kind, delivery FROM notification_settings WHERE user_id = $1`, userID)
	if err != nil {
		return nil, fmt.Errorf("notification settings of %d: %w", userID, err)
	}
	chosen := map[notify.Kind]string{}
	var kind, delivery string
	if _, err := pgx.ForEachRow(rows, []any{&kind, &delivery}, func() error {
		chosen[notify.Kind(kind)] = delivery
		return nil
	}); err != nil {
		return nil, fmt.Errorf("notification settings of %d: %w", userID, err)
	}
	out := map[notify.Kind]string{}
	for _, k := range notify.Settable {
		out[k] = notify.Default(k)
		if d, ok := chosen[k]; ok {
			out[k] = d
		}
	}
	return out, nil
}

// SetNotificationSettings records the acting parent's delivery for each
// kind in set (validated by the caller: settable kinds, known deliveries);
// the kinds not named keep theirs. It returns every setting.
func (db *DB) SetNotificationSettings(ctx context.Context, actor *domain.Actor, set map[notify.Kind]string) (map[notify.Kind]string, error) {
	if !actor.IsParent() {
		return nil, domain.Errorf(domain.CodeForbidden, "only parents choose notifications")
	}
	var out map[notify.Kind]string
	err := db.Transact(ctx, func(tx pgx.Tx) error {
		for k, d := range set {
			_, err := tx.Exec(ctx, `
				INSERT INTO notification_settings (user_id, kind, delivery) VALUES ($1, $2, $3)
				ON CONFLICT (user_id, kind) DO UPDATE SET delivery = EXCLUDED.delivery`, actor.UserID, string(k), d)
			if err != nil {
				return fmt.Errorf("set %s notifications of %d: %w", k, actor.UserID, err)
			}
		}
		var err error
		out, err = notificationSettings(ctx, tx, actor.UserID)
		return err
	})
	return out, err
}

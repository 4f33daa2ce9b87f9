package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/domain"
	"pixelpals/internal/notify"
)

// NotificationPrefs are a parent's mail preferences besides the per-kind
// deliveries (docs/notifications.md).
type NotificationPrefs struct {
	// TimeZone is the IANA zone of the daily digest's hour ("UTC" unset).
	TimeZone string
	// WeeklySummary is whether the weekly summary comes (true unset).
	WeeklySummary bool
}

// NotificationPrefs returns the acting parent's preferences.
func (db *DB) NotificationPrefs(ctx context.Context, actor *domain.Actor) (NotificationPrefs, error) {
	if !actor.IsParent() {
		return NotificationPrefs{}, domain.Errorf(domain.CodeForbidden, "only parents choose notifications")
	}
	return notificationPrefs(ctx, db.Pool, actor.UserID)
}

func notificationPrefs(ctx context.Context, q querier, userID int64) (NotificationPrefs, error) {
	p := NotificationPrefs{TimeZone: "UTC", WeeklySummary: true}
	err := q.QueryRow(ctx, `
		SELECT coalesce(time_zone, 'UTC'), weekly_summary FROM notification_prefs WHERE user_id = $1`,
		userID).Scan(&p.TimeZone, &p.WeeklySummary)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return p, fmt.Errorf("notification preferences of %d: %w", userID, err)
	}
	return p, nil
}

// SetNotificationPrefs changes the preferences that are not nil (a time
// zone checked by the caller) and returns them all.
func (db *DB) SetNotificationPrefs(ctx context.Context, actor *domain.Actor, timeZone *string, weekly *bool) (NotificationPrefs, error) {
	if !actor.IsParent() {
		return NotificationPrefs{}, domain.Errorf(domain.CodeForbidden, "only parents choose notifications")
	}
	var out NotificationPrefs
	err := db.Transact(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `
			INSERT INTO notification_prefs (user_id, time_zone, weekly_summary) VALUES ($1, $2, coalesce($3, TRUE))
			ON CONFLICT (user_id) DO UPDATE
			SET time_zone = coalesce($2, notification_prefs.time_zone),
			    weekly_summary = coalesce($3, notification_prefs.weekly_summary)`, actor.UserID, timeZone, weekly)
		if err != nil {
			return fmt.Errorf("set notification preferences of %d: %w", actor.UserID, err)
		}
		out, err = notificationPrefs(ctx, tx, actor.UserID)
		return err
	})
	return out, err
}

// Unsubscribe switches off what (notify.Unsubscribable) for parent
// userID, on the authority of a signed unsubscribe link: a kind's mails,
// every kind they get in the daily digest, or the weekly summary. A
// parent who is gone is not found.
func (db *DB) Unsubscribe(ctx context.Context, userID int64, what string) error {
	return db.Transact(ctx, func(tx pgx.Tx) error {
		var ok bool
		err := tx.QueryRow(ctx, `
			SELECT EXISTS (SELECT 1 FROM users WHERE id = $1 AND role = 'PARENT' AND deleted_at IS NULL)`, userID).Scan(&ok)
		if err != nil {
			return fmt.Errorf("unsubscribe %d: %w", userID, err)
		}
		if !ok {
			return domain.Errorf(domain.CodeNotFound, "this link's account is gone")
		}
		_, err = tx.Exec(ctx, unsubscribeSQL(what), userID, what)
		if err != nil {
			return fmt.Errorf("unsubscribe %d from %s: %w", userID, what, err)
		}
		return nil
	})
}

// unsubscribeSQL is the statement that switches what off; $1 the parent,
// $2 what.
func unsubscribeSQL(what string) string {
	switch what {
	case notify.UnsubscribeWeekly:
		return `INSERT INTO notification_prefs (user_id, weekly_summary) SELECT $1, FALSE WHERE $2 <> ''
			ON CONFLICT (user_id) DO UPDATE SET weekly_summary = FALSE`
	case notify.UnsubscribeDaily:
		return `UPDATE notification_settings SET delivery = 'off' WHERE user_id = $1 AND delivery = 'daily' AND $2 <> ''`
	}
	return `INSERT INTO notification_settings (user_id, kind, delivery) VALUES ($1, $2, 'off')
		ON CONFLICT (user_id, kind) DO UPDATE SET delivery = 'off'`
}

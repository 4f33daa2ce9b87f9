package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/domain"
)

// PushSubscription is one browser's Web Push subscription (RFC 8030,
// RFC 8291): where its push service takes messages, and the keys they are
// encrypted to. The API checked it (api/push.go).
type PushSubscription struct {
	Endpoint string
	P256dh   []byte // 65 bytes
	Auth     []byte // 16 bytes
}

// MaxPushSubscriptions is how many devices one parent keeps: adding one
// more forgets the oldest, so that a loop of sign-ins cannot make the
// worker push to thousands.
const MaxPushSubscriptions = 10

// SavePushSubscription turns push on for the acting parent on the device
// s names. The endpoint names the browser: saving one that another parent
// saved gives it to the acting parent (the last to turn push on in that
// browser is the one its pushes are for).
func (db *DB) SavePushSubscription(ctx context.Context, actor *domain.Actor, s PushSubscription) (int64, error) {
	if !actor.IsParent() {
		return 0, domain.Errorf(domain.CodeForbidden, "only parents receive notifications")
	}
	var id int64
	err := db.Transact(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `
			INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth) VALUES ($1, $2, $3, $4)
			ON CONFLICT (endpoint) DO UPDATE
			SET user_id = EXCLUDED.user_id, p256dh = EXCLUDED.p256dh, auth = EXCLUDED.auth, created_at = CURRENT_TIMESTAMP
			RETURNING id`, actor.UserID, s.Endpoint, s.P256dh, s.Auth).Scan(&id)
		if err != nil {
			return fmt.Errorf("save push subscription of %d: %w", actor.UserID, err)
		}
		_, err = tx.Exec(ctx, `
			DELETE FROM push_subscriptions
			WHERE user_id = $1 AND id NOT IN (
				SELECT id FROM push_subscriptions WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2)`,
			actor.UserID, MaxPushSubscriptions)
		if err != nil {
			return fmt.Errorf("forget old push subscriptions of %d: %w", actor.UserID, err)
		}
		return nil
	})
	return id, err
}

// DeletePushSubscription turns push off on the device whose endpoint is
// given, if it is the acting parent's; another's is left alone, and either
// way the answer is the same, so nobody learns whose an endpoint is.
func (db *DB) DeletePushSubscription(ctx context.Context, actor *domain.Actor, endpoint string) error {
	if !actor.IsParent() {
		return domain.Errorf(domain.CodeForbidden, "only parents receive notifications")
	}
	_, err := db.Pool.Exec(ctx, `DELETE FROM push_subscriptions WHERE user_id = $1 AND endpoint = $2`, actor.UserID, endpoint)
	if err != nil {
		return fmt.Errorf("delete push subscription of %d: %w", actor.UserID, err)
	}
	return nil
}

package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/audit"
	"pixelpals/internal/domain"
)

// setLocale sets the language of account userID (nil: none chosen).
func setLocale(ctx context.Context, tx pgx.Tx, userID int64, lang *string) error {
	_, err := tx.Exec(ctx, `UPDATE users SET locale = $2, updated_at = CURRENT_TIMESTAMP WHERE id = $1`, userID, lang)
	if err != nil {
		return fmt.Errorf("set locale of user %d: %w", userID, err)
	}
	return nil
}

// SetChildLocale sets the language of the acting parent's child (nil:
// none chosen), for the child's screens and nothing else: the child's
// mails go to the parent, in the parent's language.
func (db *DB) SetChildLocale(ctx context.Context, actor *domain.Actor, childID int64, lang *string) (Child, error) {
	err := db.childAction(ctx, actor, childID, audit.ChildLocale, func(tx pgx.Tx, child domain.User) (any, error) {
		return map[string]any{"locale": lang}, setLocale(ctx, tx, childID, lang)
	})
	if err != nil {
		return Child{}, err
	}
	u, p, err := db.userAndProfile(ctx, db.Pool, childID)
	return Child{User: u, Profile: p}, err
}

// LocaleOf is the language account userID chose, "" for none (or no such
// account): what a page reached from a mail's link is written in.
func (db *DB) LocaleOf(ctx context.Context, userID int64) (string, error) {
	var lang string
	err := db.Pool.QueryRow(ctx, `SELECT coalesce(locale, '') FROM users WHERE id = $1`, userID).Scan(&lang)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("locale of user %d: %w", userID, err)
	}
	return lang, nil
}

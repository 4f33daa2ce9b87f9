package api

import (
	"context"
	"errors"
	"strconv"
	"time"

	"pixelpals/internal/domain"
	"pixelpals/internal/ratelimit"
)

// guessCode runs try, which looks up a code the actor typed (an invitation
// or a trusted grown-up's code), under the lock-out on guessing: an actor
// locked out of kind's codes gets refuse's error (the caller words it, so
// that the catalogs find its text) before anything is looked up, and an unknown code (a 404 naming the field "code") counts as
// one failed guess.
func (a *API) guessCode(ctx context.Context, kind string, actor *domain.Actor, refuse func(wait time.Duration) error, try func() error) error {
	subject := kind + ":" + strconv.FormatInt(actor.UserID, 10)
	waits, err := ratelimit.LockedOut(ctx, a.db.Pool, subject)
	if err != nil {
		return err
	}
	if waits[0] > 0 {
		return refuse(waits[0])
	}
	err = try()
	var de *domain.Error
	if errors.As(err, &de) && de.Code == domain.CodeNotFound && de.Field == "code" {
		// Counted even if the client has gone: it has its answer.
		if ferr := ratelimit.RecordFailures(context.WithoutCancel(ctx), a.db.Pool,
			ratelimit.Failure{Limit: a.codeGuesses, Subject: subject}); ferr != nil {
			return ferr
		}
	}
	return err
}

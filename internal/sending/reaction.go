package sending

import (
	"context"
	"errors"

	"pixelpals/internal/domain"
	"pixelpals/internal/store"
)

// CheckReaction runs the checks of a send that a reaction (docs/chat.md
// "Reactions") shares with it before the store's: sleep mode (check 1: a
// reaction is a tiny message, and quiet hours are quiet) and the send
// budget (check 3: one token, from the same bucket as the sender's
// messages, so a script toggling reactions is slowed as a flood of
// messages would be). The leak guard has nothing to read in a reaction;
// membership and a frozen conversation are store.DB.React's. gate is what
// the child's checks read, read with their session, as for Send.
func (s *Sender) CheckReaction(ctx context.Context, actor *domain.Actor, gate *store.SendGate, convID int64) error {
	if actor.IsChild() && gate == nil {
		return errors.New("reaction checks: no send gate was read with the session")
	}
	if err := s.checkSleep(ctx, actor, gate, convID); err != nil {
		return err
	}
	return s.takeToken(ctx, actor.UserID)
}

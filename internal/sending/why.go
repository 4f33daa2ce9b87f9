package sending

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/domain"
	"pixelpals/internal/store"
)

// whyNotSent explains a send whose row its batch did not insert: its
// session or gate no longer held, or else checks 4 to 8 in order: a retry
// (the first message is returned), or why it was refused. The session
// comes first: a token logged out since must not read back a message by
// its client id.
func (s *Sender) whyNotSent(ctx context.Context, actor *domain.Actor, gate *store.SendGate, convID int64, msg Message) (domain.Message, bool, error) {
	holds, err := s.db.SendHolds(ctx, actor.UserID, gate)
	if err != nil {
		return domain.Message{}, false, err
	}
	if !holds {
		return domain.Message{}, false, errSessionChanged
	}
	m, found, err := s.sentBefore(ctx, actor.UserID, msg.ClientID)
	switch {
	case err != nil:
		return domain.Message{}, false, err
	case found && m.ConversationID == convID:
		return store.SenderView(m), false, nil
	case found:
		return domain.Message{}, false, &Refusal{Reason: ClientIDUsed, Err: &domain.Error{Code: domain.CodeConflict, Field: "client_id",
			Message: "this client_id was already used for a message in another conversation"}}
	}
	if err := s.db.CheckMember(ctx, actor, convID); err != nil {
		return domain.Message{}, false, refuse(NotMember, err)
	}
	if err := s.checkMedia(ctx, actor, convID, msg); err != nil {
		return domain.Message{}, false, err
	}
	return domain.Message{}, false, s.whyFrozen(ctx, convID)
}

// errSessionChanged answers a send whose session or send gate changed
// between its checks and its INSERT (store.SendHoldsSQL).
var errSessionChanged = &Refusal{Reason: SessionChanged, Err: domain.Errorf(domain.CodeConflict,
	"your session or your settings changed while sending; send again")}

// sentBefore finds the sender's message with clientID.
func (s *Sender) sentBefore(ctx context.Context, senderID int64, clientID string) (domain.Message, bool, error) {
	m, err := store.ScanMessage(s.db.Pool.QueryRow(ctx,
		`SELECT `+store.MessageColumns+` FROM messages m WHERE m.sender_id = $1 AND m.client_id = $2`, senderID, clientID))
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.Message{}, false, nil
	}
	if err != nil {
		return domain.Message{}, false, fmt.Errorf("find message by client id: %w", err)
	}
	return m, true, nil
}

// mediaCheckSQL evaluates the media rule alone, with the send's
// parameters ($1 conversation, $2 sender, $3 type, $4 content, $5 client
// id, $6 upload), to tell why a send was refused.
var mediaCheckSQL = `SELECT ` + mediaRule("$2", "$3::text", "$6::int") + ` FROM (SELECT $1::int, $4::text, $5::text) AS unused`

// checkMedia is check 6 for one send.
func (s *Sender) checkMedia(ctx context.Context, actor *domain.Actor, convID int64, msg Message) error {
	var ok bool
	if err := s.db.Pool.QueryRow(ctx, mediaCheckSQL, convID, actor.UserID, msg.Type, msg.Content, msg.ClientID, msg.MediaID).Scan(&ok); err != nil {
		return fmt.Errorf("check media %v of a send: %w", msg.MediaID, err)
	}
	if !ok {
		return &Refusal{Reason: MediaNotAllowed, Err: domain.Invalid("media_id", "no such %s of yours: upload it with POST /media first", msg.Type)}
	}
	return nil
}

// whyFrozen is checks 7 and 8: the conversation is frozen, or else it
// changed (thawed, or its membership changed) since the send.
func (s *Sender) whyFrozen(ctx context.Context, convID int64) error {
	var frozen bool
	if err := s.db.Pool.QueryRow(ctx, `SELECT frozen_at IS NOT NULL FROM conversations WHERE id = $1`, convID).Scan(&frozen); err != nil {
		return fmt.Errorf("conversation %d frozen: %w", convID, err)
	}
	if !frozen {
		return &Refusal{Reason: Changed, Err: domain.Errorf(domain.CodeConflict, "the conversation changed while sending; send again")}
	}
	return &Refusal{Reason: Frozen, Err: domain.Errorf(domain.CodeFrozen,
		"this conversation is frozen: the contact rule no longer holds for its members, so no new messages until it does")}
}

package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/domain"
)

// loadDepartures fills DeletedMemberIDs of the conversations in byID:
// the members whose account was deleted (removeChatData records them).
func loadDepartures(ctx context.Context, q rowsQuerier, byID map[int64]*domain.Conversation, ids []int64) error {
	rows, err := q.Query(ctx, `
		SELECT conversation_id, user_id FROM conversation_departures
		WHERE conversation_id = ANY($1)
		ORDER BY conversation_id, left_at, user_id`, ids)
	if err != nil {
		return fmt.Errorf("load departures: %w", err)
	}
	var convID, userID int64
	_, err = pgx.ForEachRow(rows, []any{&convID, &userID}, func() error {
		if c := byID[convID]; c != nil {
			c.DeletedMemberIDs = append(c.DeletedMemberIDs, userID)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("load departures: %w", err)
	}
	return nil
}

// HideConversation takes a chat out of the actor's own list. Only a
// member may, and only once nobody else is left in it (a friend's deleted
// account, a group everyone else left): a chat someone can still write in
// stays in view. Their parent still sees it. Hiding twice is no error.
func (db *DB) HideConversation(ctx context.Context, actor *domain.Actor, convID int64) error {
	return db.Transact(ctx, func(tx pgx.Tx) error {
		acc, err := lockConversation(ctx, tx, actor, convID)
		if err != nil {
			return err
		}
		if !acc.member {
			return errReadOnly()
		}
		var others int
		if err := tx.QueryRow(ctx, `
			SELECT count(*) FROM conversation_members
			WHERE conversation_id = $1 AND user_id <> $2`, convID, actor.UserID).Scan(&others); err != nil {
			return fmt.Errorf("count members of conversation %d: %w", convID, err)
		}
		if others > 0 {
			return domain.Errorf(domain.CodeConflict, "only a chat nobody else is left in can be hidden")
		}
		if _, err := tx.Exec(ctx, `
			UPDATE conversation_members SET hidden_at = coalesce(hidden_at, CURRENT_TIMESTAMP)
			WHERE conversation_id = $1 AND user_id = $2`, convID, actor.UserID); err != nil {
			return fmt.Errorf("hide conversation %d: %w", convID, err)
		}
		return nil
	})
}

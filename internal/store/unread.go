package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/domain"
	"pixelpals/internal/eventlog"
)

// Unread messages (issue 23.3, docs/chat.md "Unread"). Each member has a
// marker, conversation_members.last_read_message_id (migration 00021): the
// last message they marked read. Their unread count is the messages after
// it that someone else sent and that are not deleted. Ids order messages
// as they were written; the marker only moves forward. Only members have
// a marker: a parent reading their child's chat, or an admin a reported
// one, reads without moving anyone's.

// unreadSQL counts, for the conversation_members row m, what its member
// has not read. The range from the marker is an index-only scan of
// idx_messages_unread (00021), so a long history costs nothing once read.
const unreadSQL = `(
		SELECT count(*)::int FROM messages x
		WHERE x.conversation_id = m.conversation_id AND x.deleted_at IS NULL
		  AND x.id > coalesce(m.last_read_message_id, 0) AND x.sender_id <> m.user_id)`

// readStatesSQL reads the viewer's ($2) read state in each of the
// conversations $1 they are a member of: one query for a whole page of
// GET /conversations (its plan is checked in TestReadStatesPlan).
const readStatesSQL = `
		SELECT m.conversation_id, m.last_read_message_id, ` + unreadSQL + `
		FROM conversation_members m
		WHERE m.conversation_id = ANY($1) AND m.user_id = $2`

// loadReadStates fills Unread and LastReadMessageID of the conversations
// in byID (ids) that viewerID is a member of, in one query for all of them.
func loadReadStates(ctx context.Context, q rowsQuerier, byID map[int64]*domain.Conversation, ids []int64, viewerID int64) error {
	if viewerID == 0 { // an event's payload, the same for every recipient
		return nil
	}
	rows, err := q.Query(ctx, readStatesSQL, ids, viewerID)
	if err != nil {
		return fmt.Errorf("load read states of %d: %w", viewerID, err)
	}
	var st domain.ReadState
	_, err = pgx.ForEachRow(rows, []any{&st.ConversationID, &st.LastReadMessageID, &st.Unread}, func() error {
		if c := byID[st.ConversationID]; c != nil {
			unread, last := st.Unread, st.LastReadMessageID
			c.Unread, c.LastReadMessageID = &unread, last
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("load read states of %d: %w", viewerID, err)
	}
	return nil
}

// MarkRead moves the actor's marker in a conversation forward to
// messageID, a message of that conversation, and returns their read state.
// A marker already at or past it stays (two tabs reading at once never
// move it back), and nothing is told. Only a member has a marker: one who
// only reads (a parent, an admin) is refused. When it moves, the actor's
// sockets are told (conversation.read), and nobody else: what someone has
// read is theirs.
func (db *DB) MarkRead(ctx context.Context, actor *domain.Actor, convID, messageID int64) (domain.ReadState, error) {
	var st domain.ReadState
	err := db.Transact(ctx, func(tx pgx.Tx) error {
		acc, err := accessTo(ctx, tx, actor, convID)
		switch {
		case err != nil:
			return err
		case !acc.member:
			return errReadOnly()
		}
		if err := checkMessageIn(ctx, tx, convID, messageID); err != nil {
			return err
		}
		moved, err := moveMarker(ctx, tx, convID, actor.UserID, messageID)
		if err != nil {
			return err
		}
		if st, err = readState(ctx, tx, convID, actor.UserID); err != nil || !moved {
			return err
		}
		return eventlog.Append(ctx, tx, []eventlog.Event{{Type: eventlog.ConvRead, To: []int64{actor.UserID}, Data: st}})
	})
	return st, err
}

// checkMessageIn refuses a message id that is not one of the
// conversation's messages (deleted ones count: they held their place).
func checkMessageIn(ctx context.Context, tx pgx.Tx, convID, messageID int64) error {
	var ok bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM messages WHERE id = $1 AND conversation_id = $2)`,
		messageID, convID).Scan(&ok)
	if err != nil {
		return fmt.Errorf("find message %d in conversation %d: %w", messageID, convID, err)
	}
	if !ok {
		return &domain.Error{Code: domain.CodeNotFound, Field: "message_id", Message: "no such message in this conversation"}
	}
	return nil
}

// moveMarker sets the member's marker to messageID unless it is already
// there or further; the row lock orders concurrent marks, and the
// condition is checked again on the locked row.
func moveMarker(ctx context.Context, tx pgx.Tx, convID, userID, messageID int64) (bool, error) {
	tag, err := tx.Exec(ctx, `
		UPDATE conversation_members SET last_read_message_id = $3
		WHERE conversation_id = $1 AND user_id = $2
		  AND (last_read_message_id IS NULL OR last_read_message_id < $3)`, convID, userID, messageID)
	if err != nil {
		return false, fmt.Errorf("mark conversation %d read by %d: %w", convID, userID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// readState reads one member's marker and unread count.
func readState(ctx context.Context, q querier, convID, userID int64) (domain.ReadState, error) {
	st := domain.ReadState{ConversationID: convID}
	err := q.QueryRow(ctx, `
		SELECT m.last_read_message_id, `+unreadSQL+`
		FROM conversation_members m
		WHERE m.conversation_id = $1 AND m.user_id = $2`, convID, userID).Scan(&st.LastReadMessageID, &st.Unread)
	if errors.Is(err, pgx.ErrNoRows) {
		return st, domain.Errorf(domain.CodeNotFound, "no such conversation")
	}
	if err != nil {
		return st, fmt.Errorf("read state of %d in conversation %d: %w", userID, convID, err)
	}
	return st, nil
}

package store

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/domain"
	"pixelpals/internal/eventlog"
)

// Reactions (issue 23.4, docs/chat.md "Reactions"). A reaction is a tiny
// message: only a member may put one on a message, in a conversation that
// is not frozen (the API adds a send's sleep-mode and budget checks,
// sending.Sender.CheckReaction). A parent reading their child's chat and
// an admin reading a reported one only read. Readers see per kind how
// many reacted and whether they did, never who: History loads the counts
// of a whole page in one query, and every reader of the conversation
// (members and their parents, as for messages) gets message.reactions
// with the counts as their own History would show them.

// reactionCountsSQL counts the reactions on the messages $1 per message
// and kind, and whether the viewer $2 is among them: one query for a
// whole page of history, each message a range of the primary key.
const reactionCountsSQL = `
		SELECT message_id, kind, count(*)::int, bool_or(user_id = $2)
		FROM message_reactions WHERE message_id = ANY($1)
		GROUP BY message_id, kind`

// loadReactions fills in the reactions of msgs as viewerID sees them.
func loadReactions(ctx context.Context, q rowsQuerier, msgs []domain.Message, viewerID int64) error {
	if len(msgs) == 0 {
		return nil
	}
	ids := make([]int64, len(msgs))
	at := make(map[int64]int, len(msgs))
	for i, m := range msgs {
		ids[i], at[m.ID] = m.ID, i
	}
	rows, err := q.Query(ctx, reactionCountsSQL, ids, viewerID)
	if err != nil {
		return fmt.Errorf("reactions of %d messages: %w", len(ids), err)
	}
	var id int64
	var r domain.Reaction
	_, err = pgx.ForEachRow(rows, []any{&id, &r.Kind, &r.Count, &r.Mine}, func() error {
		if i, ok := at[id]; ok {
			msgs[i].Reactions = append(msgs[i].Reactions, r)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("reactions of %d messages: %w", len(ids), err)
	}
	for i := range msgs {
		sortReactions(msgs[i].Reactions)
	}
	return nil
}

// sortReactions puts rs in domain.ReactionKinds order.
func sortReactions(rs domain.Reactions) {
	slices.SortFunc(rs, func(a, b domain.Reaction) int {
		return slices.Index(domain.ReactionKinds, a.Kind) - slices.Index(domain.ReactionKinds, b.Kind)
	})
}

// React puts a reaction of kind on message messageID of conversation
// convID for the actor (on) or takes it off (!on), and returns the
// message's reactions as the actor now sees them. Both are idempotent:
// a reaction already there (or already gone) changes nothing and tells
// nobody. Refused: a conversation the actor may not read (404), only
// reads (403) or that is frozen (409 conversation_frozen); a message not
// in it (404, message_id); a deleted or system message (409).
func (db *DB) React(ctx context.Context, actor *domain.Actor, convID, messageID int64, kind string, on bool) (domain.MessageReactions, error) {
	out := domain.MessageReactions{ConversationID: convID, MessageID: messageID}
	err := db.Transact(ctx, func(tx pgx.Tx) error {
		if err := mayReact(ctx, tx, actor, convID); err != nil {
			return err
		}
		if err := lockReactable(ctx, tx, convID, messageID); err != nil {
			return err
		}
		changed, err := writeReaction(ctx, tx, actor.UserID, messageID, kind, on)
		if err != nil {
			return err
		}
		rs, err := reactionsOn(ctx, tx, messageID)
		if err != nil {
			return err
		}
		out.Reactions = rs.seenBy(actor.UserID)
		if !changed {
			return nil
		}
		return reactionEvents(ctx, tx, convID, messageID, rs, false)
	})
	return out, err
}

// mayReact is the conversation's side of a reaction: the actor is a
// member (who may only read is refused) and the conversation is not
// frozen. It first takes the actor's users row FOR KEY SHARE, as the
// reaction's foreign key would later: an account's removal locks users
// rows before messages (lockUser), and so does a reaction.
func mayReact(ctx context.Context, tx pgx.Tx, actor *domain.Actor, convID int64) error {
	if _, err := tx.Exec(ctx, `SELECT 1 FROM users WHERE id = $1 FOR KEY SHARE`, actor.UserID); err != nil {
		return fmt.Errorf("lock reacting user %d: %w", actor.UserID, err)
	}
	acc, err := accessTo(ctx, tx, actor, convID)
	if err != nil {
		return err
	}
	if !acc.member {
		return errReadOnly()
	}
	var frozen bool
	if err := tx.QueryRow(ctx, `SELECT frozen_at IS NOT NULL FROM conversations WHERE id = $1`, convID).Scan(&frozen); err != nil {
		return fmt.Errorf("conversation %d frozen: %w", convID, err)
	}
	if frozen {
		return domain.Errorf(domain.CodeFrozen, "this conversation is paused: no reactions until it is back on")
	}
	return nil
}

// lockReactable locks message messageID of conversation convID against a
// deletion and other reactions until tx ends (FOR NO KEY UPDATE: the
// reactions' foreign key checks still pass), so that the counts each
// reaction's event carries are read in the order the reactions commit.
func lockReactable(ctx context.Context, tx pgx.Tx, convID, messageID int64) error {
	var deleted, system bool
	err := tx.QueryRow(ctx, `
		SELECT deleted_at IS NOT NULL, type = 'system' FROM messages
		WHERE id = $1 AND conversation_id = $2 FOR NO KEY UPDATE`, messageID, convID).Scan(&deleted, &system)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return &domain.Error{Code: domain.CodeNotFound, Field: "message_id", Message: "no such message in this conversation"}
	case err != nil:
		return fmt.Errorf("lock message %d: %w", messageID, err)
	case deleted:
		return domain.Errorf(domain.CodeConflict, "this message was deleted: it cannot get reactions")
	case system:
		return domain.Errorf(domain.CodeConflict, "messages the server wrote cannot get reactions")
	}
	return nil
}

// writeReaction inserts or deletes one reaction and tells whether a row
// changed.
func writeReaction(ctx context.Context, tx pgx.Tx, userID, messageID int64, kind string, on bool) (bool, error) {
	sql := `INSERT INTO message_reactions (message_id, user_id, kind) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`
	if !on {
		sql = `DELETE FROM message_reactions WHERE message_id = $1 AND user_id = $2 AND kind = $3`
	}
	tag, err := tx.Exec(ctx, sql, messageID, userID, kind)
	if err != nil {
		return false, fmt.Errorf("reaction %s of %d on message %d: %w", kind, userID, messageID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// reactionRow is one reaction on a message: who put which kind.
type reactionRow struct {
	userID int64
	kind   string
}

// reactionRows are all the reactions on one message.
type reactionRows []reactionRow

// reactionsOn reads every reaction on a message, for the counts each
// reader is shown.
func reactionsOn(ctx context.Context, tx pgx.Tx, messageID int64) (reactionRows, error) {
	rows, err := tx.Query(ctx, `SELECT user_id, kind FROM message_reactions WHERE message_id = $1`, messageID)
	if err != nil {
		return nil, fmt.Errorf("reactions on message %d: %w", messageID, err)
	}
	var out reactionRows
	var r reactionRow
	_, err = pgx.ForEachRow(rows, []any{&r.userID, &r.kind}, func() error { out = append(out, r); return nil })
	if err != nil {
		return nil, fmt.Errorf("reactions on message %d: %w", messageID, err)
	}
	return out, nil
}

// seenBy is the counts per kind, with viewerID's own marked: what
// History shows them.
func (rows reactionRows) seenBy(viewerID int64) domain.Reactions {
	out := domain.Reactions{}
	for _, kind := range domain.ReactionKinds {
		r := domain.Reaction{Kind: kind}
		for _, row := range rows {
			if row.kind == kind {
				r.Count++
				r.Mine = r.Mine || row.userID == viewerID
			}
		}
		if r.Count > 0 {
			out = append(out, r)
		}
	}
	return out
}

// reactionEvents writes message.reactions about a message to every reader
// of its conversation (convAudience: its members and their parents, as
// for its messages), each with the counts as their History shows them:
// only their own reaction is marked, and a deleted message has none.
func reactionEvents(ctx context.Context, tx pgx.Tx, convID, messageID int64, rs reactionRows, deleted bool) error {
	vs, err := convAudience(ctx, tx, convID)
	if err != nil {
		return err
	}
	evs, err := eventlog.FanOut(eventlog.MessageReactions, nil, viewerIDs(vs), func(id int64) any {
		d := domain.MessageReactions{ConversationID: convID, MessageID: messageID, Reactions: rs.seenBy(id)}
		if deleted {
			d.Reactions = nil
		}
		return d
	})
	if err != nil {
		return err
	}
	return eventlog.Append(ctx, tx, evs)
}

// removeReactions deletes every reaction userID made (their account is
// being removed) and tells the readers of each message the new counts.
func removeReactions(ctx context.Context, tx pgx.Tx, userID int64) error {
	rows, err := tx.Query(ctx, `
		WITH gone AS (DELETE FROM message_reactions WHERE user_id = $1 RETURNING message_id)
		SELECT m.conversation_id, m.id, m.deleted_at IS NOT NULL FROM messages m
		WHERE m.id IN (SELECT message_id FROM gone) ORDER BY m.id`, userID)
	if err != nil {
		return fmt.Errorf("remove reactions of user %d: %w", userID, err)
	}
	type touched struct {
		conv, msg int64
		deleted   bool
	}
	var ts []touched
	var t touched
	if _, err = pgx.ForEachRow(rows, []any{&t.conv, &t.msg, &t.deleted}, func() error { ts = append(ts, t); return nil }); err != nil {
		return fmt.Errorf("remove reactions of user %d: %w", userID, err)
	}
	for _, t := range ts {
		rs, err := reactionsOn(ctx, tx, t.msg)
		if err != nil {
			return err
		}
		if err := reactionEvents(ctx, tx, t.conv, t.msg, rs, t.deleted); err != nil {
			return err
		}
	}
	return nil
}

// dropReactions deletes the reactions on messages just deleted in tx
// (softDelete, an account's scrubbed messages): a deleted message shows
// none to anyone, so none is kept. Their readers learn it from the
// message.deleted event written with the deletion.
func dropReactions(ctx context.Context, tx pgx.Tx, messageIDs []int64) error {
	if len(messageIDs) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `DELETE FROM message_reactions WHERE message_id = ANY($1)`, messageIDs); err != nil {
		return fmt.Errorf("drop reactions of %d deleted messages: %w", len(messageIDs), err)
	}
	return nil
}

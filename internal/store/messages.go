package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/audit"
	"pixelpals/internal/domain"
	"pixelpals/internal/eventlog"
)

// MessageColumns are a message's columns, of the table aliased m, in the
// order messageFields scans them (ScanMessage reads a row of them). An
// image message also names its thumbnail and its stored size (so a
// client reserves its space before it loads), read from the upload it
// carries: gone with it (a tombstone, an erased message).
var MessageColumns = `m.id, m.conversation_id, m.sender_id, m.type, m.content, m.media_id, m.media_url, m.client_id,
	coalesce(m.created_at, CURRENT_TIMESTAMP), m.deleted_at,
	` + messageThumbURL + `,
	` + messageImageSide("width") + `, ` + messageImageSide("height")

// messageThumbURL is an image message's thumbnail, NULL for any other
// message.
const messageThumbURL = `CASE WHEN m.type = 'image' AND m.media_id IS NOT NULL THEN '` + domain.MediaPath + `' || m.media_id || '?size=thumb' END`

// messageImageSide is the stored width or height of an image message's
// upload, NULL for any other message. The CASE runs the subquery only for
// an image: as a condition inside it, every text message of a page or a
// send batch ran two subplans for nothing.
func messageImageSide(col string) string {
	return `CASE WHEN m.type = 'image' THEN (SELECT b.` + col + ` FROM media md JOIN media_blobs b ON b.sha256 = md.sha256
		WHERE md.id = m.media_id) END`
}

// messageFields are the scan targets of MessageColumns, for a query that
// selects more than a message (the report queue).
func messageFields(m *domain.Message) []any {
	return []any{&m.ID, &m.ConversationID, &m.SenderID, &m.Type, &m.Content, &m.MediaID, &m.MediaURL, &m.ClientID, &m.CreatedAt, &m.DeletedAt,
		&m.MediaThumbURL, &m.MediaWidth, &m.MediaHeight}
}

// ScanMessage reads a row of MessageColumns.
func ScanMessage(row pgx.Row) (domain.Message, error) {
	var m domain.Message
	err := row.Scan(messageFields(&m)...)
	m.Deleted = m.DeletedAt != nil
	return m, err
}

// viewed shapes a message for one viewer: a deleted message is a
// tombstone unless seeDeleted (parents of members, admins), and the
// client id is the sender's business only.
func viewed(m domain.Message, viewerID int64, seeDeleted bool) domain.Message {
	if m.Deleted && !seeDeleted {
		m.Content, m.MediaID, m.MediaURL = nil, nil, nil
		m.MediaThumbURL, m.MediaWidth, m.MediaHeight = nil, nil, nil
	}
	if m.Deleted { // for everyone: a deleted message's reactions are no one's business
		m.Reactions = nil
	}
	if m.SenderID != viewerID {
		m.ClientID = nil
	}
	return m
}

// messageNotSeen turns "you cannot see this conversation" into "no such
// message", so a message's existence is not told; other errors (a lost
// connection, a cancelled request) stay what they are.
func messageNotSeen(err error) error {
	if domain.ErrorCode(err) == domain.CodeNotFound {
		return domain.Errorf(domain.CodeNotFound, "no such message")
	}
	return err
}

// nextMessageTimeSQL is the created_at of a new message in conversation
// $1, written while the writer holds that conversation's row lock until
// it commits. History is keyset-paged on (created_at, id), and a reader
// paging while others write is promised every message exactly once in a
// stable order (docs/chat.md, "History paging"). That holds only if keys
// grow in commit order within a conversation: hence the lock, held from
// before the key is taken until commit; the time read after the lock
// (clock_timestamp, not the transaction's start); and never less than the
// conversation's newest message, so that a wall clock stepping back cannot
// put a new message below one already paged past (a tie is broken by the
// id, which the sequence hands out under the same lock). One index probe
// of idx_messages_history.
const nextMessageTimeSQL = `GREATEST(clock_timestamp()::timestamp,
	(SELECT max(created_at) FROM messages WHERE conversation_id = $1))`

// MessageKey is a position in a conversation's history (newest first).
type MessageKey struct {
	CreatedAt time.Time
	ID        int64
}

// History returns up to limit messages of a conversation older than
// before (nil: the newest), newest first. Each page is one index range
// scan of idx_messages_history, so its cost does not depend on how long
// the conversation is.
func (db *DB) History(ctx context.Context, actor *domain.Actor, convID int64, before *MessageKey, limit int) ([]domain.Message, error) {
	acc, err := accessTo(ctx, db.Pool, actor, convID)
	if err != nil {
		return nil, err
	}
	var rows pgx.Rows
	if before == nil {
		rows, err = db.Pool.Query(ctx, `
			SELECT `+MessageColumns+` FROM messages m
			WHERE m.conversation_id = $1
			ORDER BY m.created_at DESC, m.id DESC
			LIMIT $2`, convID, limit)
	} else {
		rows, err = db.Pool.Query(ctx, `
			SELECT `+MessageColumns+` FROM messages m
			WHERE m.conversation_id = $1 AND (m.created_at, m.id) < ($2, $3)
			ORDER BY m.created_at DESC, m.id DESC
			LIMIT $4`, convID, before.CreatedAt, before.ID, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("history of conversation %d: %w", convID, err)
	}
	msgs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Message, error) { return ScanMessage(r) })
	if err != nil {
		return nil, fmt.Errorf("history of conversation %d: %w", convID, err)
	}
	if err := loadReactions(ctx, db.Pool, msgs, actor.UserID); err != nil {
		return nil, err
	}
	seeDeleted := acc.parentOfMember || actor.IsAdmin()
	for i := range msgs {
		msgs[i] = viewed(msgs[i], actor.UserID, seeDeleted)
	}
	return msgs, nil
}

// DeleteMessage soft-deletes a message: its sender, a guardian of its sender
// or an admin may. Members then see a tombstone; parents and admins still
// see the content until the retention purge erases it (internal/retention,
// after PIXELPALS_RETENTION_DAYS). Deleting by a parent or an admin is
// audited.
func (db *DB) DeleteMessage(ctx context.Context, actor *domain.Actor, id int64) error {
	return db.Transact(ctx, func(tx pgx.Tx) error {
		m, err := lockMessage(ctx, tx, id, actor.UserID)
		if err != nil {
			return err
		}
		if m.senderID != actor.UserID && !m.guardedByActor && !actor.IsAdmin() {
			if _, err := accessTo(ctx, tx, actor, m.convID); err != nil {
				return messageNotSeen(err)
			}
			return domain.Errorf(domain.CodeForbidden, "only the sender, a parent of the sender or an admin deletes a message")
		}
		return softDelete(ctx, tx, actor, m)
	})
}

// lockedMessage is what deleting a message needs to know of it.
type lockedMessage struct {
	id, convID, senderID int64
	senderIsChild        bool // the sender has guardians
	guardedByActor       bool // the actor is a guardian of the sender
	system               bool
}

// lockMessage loads a message for update, as actorID sees its sender.
func lockMessage(ctx context.Context, tx pgx.Tx, id, actorID int64) (lockedMessage, error) {
	m := lockedMessage{id: id}
	err := tx.QueryRow(ctx, `
		SELECT m.conversation_id, m.sender_id, s.parent_id IS NOT NULL,
		       coalesce(`+GuardianSQL("s", "$2")+`, false), m.type = 'system'
		FROM messages m JOIN users s ON s.id = m.sender_id
		WHERE m.id = $1 FOR UPDATE OF m`, id, actorID).Scan(&m.convID, &m.senderID, &m.senderIsChild, &m.guardedByActor, &m.system)
	if errors.Is(err, pgx.ErrNoRows) {
		return m, domain.Errorf(domain.CodeNotFound, "no such message")
	}
	if err != nil {
		return m, fmt.Errorf("load message %d: %w", id, err)
	}
	return m, nil
}

// softDelete marks a message deleted (a message already deleted stays as
// it is) and audits it when someone other than the sender did it. System
// messages cannot be deleted.
func softDelete(ctx context.Context, tx pgx.Tx, actor *domain.Actor, m lockedMessage) error {
	if m.system {
		return domain.Errorf(domain.CodeConflict, "system messages cannot be deleted")
	}
	tag, err := tx.Exec(ctx, `UPDATE messages SET deleted_at = CURRENT_TIMESTAMP WHERE id = $1 AND deleted_at IS NULL`, m.id)
	if err != nil {
		return fmt.Errorf("delete message %d: %w", m.id, err)
	}
	if tag.RowsAffected() == 0 {
		return nil
	}
	if err := dropReactions(ctx, tx, []int64{m.id}); err != nil {
		return err
	}
	deleted, err := messageByID(ctx, tx, m.id)
	if err != nil {
		return err
	}
	if err := messageEvents(ctx, tx, eventlog.MessageDeleted, deleted); err != nil {
		return err
	}
	if err := tombstoneCreatedEvents(ctx, tx, deleted); err != nil {
		return err
	}
	if m.senderID == actor.UserID {
		return nil
	}
	after := map[string]any{"message_id": m.id, "conversation_id": m.convID, "sender_id": m.senderID, "deleted": true}
	if m.senderIsChild {
		after["child_id"] = m.senderID
	}
	return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: audit.MessageDelete, EntityType: "message", EntityID: m.id, After: after})
}

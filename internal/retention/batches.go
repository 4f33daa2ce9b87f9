package retention

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/eventlog"
	"pixelpals/internal/store"
)

// The retention purge's batches (Steps). Each is one short
// transaction over at most limit rows, which it locks with SKIP LOCKED: a
// row a user is deleting or a sender is writing right now is left for the
// next batch rather than waited for, and no batch holds a conversation's
// rows for longer than one small UPDATE. Times are UTC wall clock, as the
// TIMESTAMP columns hold them.

// EraseDeletedMessages erases the content and media reference of up to
// limit messages soft-deleted before cutoff, oldest first, keeping the row
// (a tombstone: history, reports and audit still point at it). Clearing
// media_id matters most: access to an upload goes through it, and an
// upload no message or profile names any more is then the next step's.
//
// The same statement erases the content from the live events that still
// hold it (the parents' message.deleted, the admins' report.filed, any
// message.created), found through the indexes of migration 00011, so a
// replay never returns what the purge erased.
func EraseDeletedMessages(ctx context.Context, db *store.DB, cutoff time.Time, limit int) (int64, error) {
	var n int64
	err := db.Pool.QueryRow(ctx, `
		WITH erased AS (
			UPDATE messages SET content = NULL, media_url = NULL, media_id = NULL
			WHERE id IN (
				SELECT id FROM messages
				WHERE deleted_at IS NOT NULL AND (content IS NOT NULL OR media_url IS NOT NULL)
				  AND deleted_at < $1::timestamp
				ORDER BY deleted_at
				LIMIT $2
				FOR UPDATE SKIP LOCKED)
			RETURNING id::text AS id
		), message_events AS (
			UPDATE live_events SET data = data || '{"content": null, "media_id": null, "media_url": null, "media_thumb_url": null, "media_width": null, "media_height": null}'::jsonb
			WHERE type IN (`+eventlog.MessageCreated.Literal()+`, `+eventlog.MessageDeleted.Literal()+`) AND data->>'id' IN (SELECT id FROM erased)
		), report_events AS (
			UPDATE live_events SET data = jsonb_set(data, '{message}', data->'message' || '{"content": null, "media_id": null, "media_url": null, "media_thumb_url": null, "media_width": null, "media_height": null}'::jsonb)
			WHERE type = `+eventlog.ReportFiled.Literal()+` AND data->'message'->>'id' IN (SELECT id FROM erased)
		)
		SELECT count(*) FROM erased`, cutoff.UTC(), limit).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("erase deleted messages: %w", err)
	}
	return n, nil
}

// DeleteExpiredSessions deletes up to limit sessions that were no longer
// usable at now: past their absolute expiry or idle too long.
func DeleteExpiredSessions(ctx context.Context, db *store.DB, now time.Time, limit int) (int64, error) {
	now = now.UTC()
	// A seq scan that stops at limit rows: the table holds about one row
	// per live session, since every login clears its user's dead ones.
	tag, err := db.Pool.Exec(ctx, `
		DELETE FROM sessions
		WHERE id IN (
			SELECT id FROM sessions
			WHERE expires_at <= $1::timestamp OR last_seen_at <= $2::timestamp
			LIMIT $3
			FOR UPDATE SKIP LOCKED)`,
		now, now.Add(-store.IdleTimeout), limit)
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	return tag.RowsAffected(), nil
}

// DeleteUnreferencedMedia deletes up to limit uploads that no message and
// no profile names and that were uploaded before cutoff, then the blobs
// nobody's upload holds any more, in one transaction. The cutoff leaves a
// fresh upload alone while its sender is still writing the message.
func DeleteUnreferencedMedia(ctx context.Context, db *store.DB, cutoff time.Time, limit int) (int64, error) {
	var n int64
	err := db.Transact(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
			DELETE FROM media WHERE id IN (
				SELECT md.id FROM media md
				WHERE md.created_at < $1::timestamp
				  AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.media_id = md.id)
				  AND NOT EXISTS (SELECT 1 FROM profiles p WHERE p.avatar_media_id = md.id)
				ORDER BY md.id
				LIMIT $2
				FOR UPDATE SKIP LOCKED)
			RETURNING sha256`, cutoff.UTC(), limit)
		if err != nil {
			return fmt.Errorf("delete unreferenced media: %w", err)
		}
		sums, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
		if err != nil {
			return fmt.Errorf("delete unreferenced media: %w", err)
		}
		n = int64(len(sums))
		return store.DeleteUnusedBlobs(ctx, tx, sums)
	})
	return n, err
}

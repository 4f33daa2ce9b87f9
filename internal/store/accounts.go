package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/domain"
	"pixelpals/internal/eventlog"
)

// lockUser loads a live user for update. It first locks the rows of the
// user and of their children, in ascending id order, before anything else:
// an account action (deleting a family above all) must hold every users
// row it will change before it takes the rule and conversation locks
// (rule.go's lock order), or it deadlocks with a child's send.
func lockUser(ctx context.Context, tx pgx.Tx, id int64) (domain.User, error) {
	if _, err := tx.Exec(ctx, `
		SELECT id FROM users WHERE (id = $1 OR parent_id = $1) AND deleted_at IS NULL
		ORDER BY id FOR UPDATE`, id); err != nil {
		return domain.User{}, fmt.Errorf("lock user %d and children: %w", id, err)
	}
	u, err := scanUser(tx.QueryRow(ctx, `
		SELECT `+userColumns+` FROM users u
		WHERE u.id = $1 AND u.deleted_at IS NULL FOR UPDATE`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return u, domain.Errorf(domain.CodeNotFound, "no such user")
	}
	if err != nil {
		return u, fmt.Errorf("lock user %d: %w", id, err)
	}
	return u, nil
}

// removeAccount deletes a user's personal data (SPEC §9): their profile
// (and with it their game logins), memberships, sessions and the content of
// every message they sent. The users row itself is deleted when nothing
// points at it any more; otherwise (the append-only audit log names the
// user as an actor, or their scrubbed messages remain for the other
// members' history) it stays as a tombstone without email, password or name.
//
// This is the one place accounts are removed: a feature that stores more
// personal data adds its clean-up here.
func removeAccount(ctx context.Context, tx pgx.Tx, userID int64) error {
	// First, with the rule lock, leave the chat: conversations (each
	// re-checked), links, friend code, report reasons.
	if err := removeChatData(ctx, tx, userID); err != nil {
		return fmt.Errorf("remove personal data of user %d: %w", userID, err)
	}
	// Their reactions go, and the readers of each message see the new counts.
	if err := removeReactions(ctx, tx, userID); err != nil {
		return err
	}
	// Their uploads go with them, while the profile still names the avatar.
	if err := removeMedia(ctx, tx, userID); err != nil {
		return err
	}
	scrubbed, err := scrubMessages(ctx, tx, userID)
	if err != nil {
		return err
	}
	scrubbedIDs := make([]int64, len(scrubbed))
	for i, m := range scrubbed {
		scrubbedIDs[i] = m.ID
	}
	if err := dropReactions(ctx, tx, scrubbedIDs); err != nil {
		return err
	}
	steps := []string{
		`DELETE FROM conversation_members WHERE user_id = $1`,
		`DELETE FROM sessions WHERE user_id = $1`,
		`DELETE FROM profiles WHERE user_id = $1`,
		// A guardian leaving, or a child leaving their guardians (who
		// guards whom is personal data); after leaving every conversation,
		// so no rule re-check is due.
		`DELETE FROM guardians WHERE guardian_id = $1 OR child_id = $1`,
		// The child's invitations, and those a guardian made and nobody
		// used (an account gone invites nobody any more).
		`DELETE FROM guardian_invites WHERE child_id = $1 OR (created_by = $1 AND used_at IS NULL)`,
		// Live events that hold their name or text (events.go).
		`DELETE FROM live_events WHERE subject_ids @> ARRAY[$1::bigint]`,
	}
	for _, sql := range steps {
		if _, err := tx.Exec(ctx, sql, userID); err != nil {
			return fmt.Errorf("remove personal data of user %d: %w", userID, err)
		}
	}
	// After the step above deleted their old events (message.created with
	// the text among them), and after they left every conversation: the
	// other members and their parents get message.deleted for each
	// scrubbed message, as History now shows it to them, so open clients
	// drop the text and a replay from an older cursor ends on the tombstone.
	if err := messageEvents(ctx, tx, eventlog.MessageDeleted, scrubbed...); err != nil {
		return fmt.Errorf("remove personal data of user %d: %w", userID, err)
	}
	return deleteOrTombstone(ctx, tx, userID)
}

// deleteOrTombstone deletes the users row of a removed account, or, when
// something still points at it (the audit log, scrubbed messages), leaves
// it as a tombstone without email, password or name.
func deleteOrTombstone(ctx context.Context, tx pgx.Tx, userID int64) error {
	// In a savepoint: a DELETE that fails must not abort tx.
	err := savepoint(ctx, tx, func(sp pgx.Tx) error {
		_, err := sp.Exec(ctx, `DELETE FROM users WHERE id = $1`, userID)
		return err
	})
	if err == nil {
		return nil
	}
	if pgCode(err) != codeForeignKeyViolation {
		return fmt.Errorf("delete user %d: %w", userID, err)
	}
	_, err = tx.Exec(ctx, `
		UPDATE users SET email = 'deleted-' || id || '@deleted.invalid', password_hash = '!',
		       approved_by_admin = false, suspended_at = NULL,
		       deleted_at = CURRENT_TIMESTAMP, updated_at = CURRENT_TIMESTAMP
		WHERE id = $1`, userID)
	if err != nil {
		return fmt.Errorf("tombstone user %d: %w", userID, err)
	}
	return nil
}

// scrubMessages erases the content and media of every message userID sent
// and marks it deleted, returning the messages that changed (not those
// already deleted and erased), in history order. System messages are left
// alone: they hold only events and user ids, never text a person wrote.
func scrubMessages(ctx context.Context, tx pgx.Tx, userID int64) ([]domain.Message, error) {
	rows, err := tx.Query(ctx, `
		UPDATE messages AS m SET content = NULL, media_id = NULL, media_url = NULL,
		       deleted_at = coalesce(m.deleted_at, CURRENT_TIMESTAMP)
		WHERE m.sender_id = $1 AND m.type <> 'system'
		  AND (m.deleted_at IS NULL OR m.content IS NOT NULL OR m.media_id IS NOT NULL OR m.media_url IS NOT NULL)
		RETURNING `+MessageColumns, userID)
	if err != nil {
		return nil, fmt.Errorf("scrub messages of user %d: %w", userID, err)
	}
	msgs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Message, error) { return ScanMessage(r) })
	if err != nil {
		return nil, fmt.Errorf("scrub messages of user %d: %w", userID, err)
	}
	slices.SortFunc(msgs, func(a, b domain.Message) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return msgs, nil
}

// removeFamily removes a parent's children (those they are the primary
// guardian of: lockUser locked them), then the parent. A child they are
// another guardian of stays with its primary guardian.
func removeFamily(ctx context.Context, tx pgx.Tx, parentID int64) error {
	rows, err := tx.Query(ctx, `SELECT id FROM users u WHERE `+PrimaryChildOfSQL("u", "$1"), parentID)
	if err != nil {
		return fmt.Errorf("list children of %d: %w", parentID, err)
	}
	children, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return fmt.Errorf("list children of %d: %w", parentID, err)
	}
	for _, c := range children {
		if err := removeAccount(ctx, tx, c); err != nil {
			return err
		}
	}
	return removeAccount(ctx, tx, parentID)
}

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

// Leak-guard notices (issue 19.7, docs/controls.md): a parent is told once
// per child and game, however often the guard stopped that password, and
// the notice stays, across reloads and devices, until the parent dismisses
// it. A notice is not a row of its own: it is the child's hits of that game
// not yet dismissed (leak_guard_hits.dismissed_at, migration 00015), so it
// cannot drift from the dashboard.

// maxNotices bounds the list: one per child and game is few in any family.
const maxNotices = 200

// LeakNotice is one child's stopped attempts with one game's password.
type LeakNotice struct {
	// ID is the newest hit's: dismissing it dismisses the notice's hits up
	// to that one, so a hit that came after the parent looked stays told.
	ID       int64  `json:"id"`
	ChildID  int64  `json:"child_id"`
	GameName string `json:"game_name"`
	Count    int64  `json:"count"`
	// ConversationID is the newest hit's chat, when the child is a member.
	ConversationID *int64    `json:"conversation_id"`
	FirstAt        time.Time `json:"first_at"`
	LastAt         time.Time `json:"last_at"`
}

// leakNoticesSQL groups the undismissed hits of $1's children by child and
// game, the newest hit's row carrying the group's figures; newest first.
var leakNoticesSQL = `
		SELECT id, child_id, game_name, n, conversation_id, first_at, created_at FROM (
			SELECT DISTINCT ON (h.child_id, h.game_name)
			       h.id, h.child_id, h.game_name, h.conversation_id, h.created_at,
			       count(*) OVER g AS n, min(h.created_at) OVER g AS first_at
			FROM users k
			JOIN leak_guard_hits h ON h.child_id = k.id AND h.dismissed_at IS NULL
			WHERE ` + ChildOfSQL("k", "$1") + `
			WINDOW g AS (PARTITION BY h.child_id, h.game_name)
			ORDER BY h.child_id, h.game_name, h.id DESC
		) n
		ORDER BY created_at DESC, id DESC
		LIMIT $2`

// LeakNotices lists the acting parent's notices.
func (db *DB) LeakNotices(ctx context.Context, actor *domain.Actor) ([]LeakNotice, error) {
	rows, err := db.Pool.Query(ctx, leakNoticesSQL, actor.UserID, maxNotices)
	if err != nil {
		return nil, fmt.Errorf("leak notices of %d: %w", actor.UserID, err)
	}
	notices, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (LeakNotice, error) {
		var n LeakNotice
		err := r.Scan(&n.ID, &n.ChildID, &n.GameName, &n.Count, &n.ConversationID, &n.FirstAt, &n.LastAt)
		return n, err
	})
	if err != nil {
		return nil, fmt.Errorf("leak notices of %d: %w", actor.UserID, err)
	}
	return notices, nil
}

// DismissLeakNotice dismisses the notice whose newest hit the parent saw
// was id: that hit and the older undismissed ones of the same child and
// game. A hit of another family's child is 404; a notice already dismissed
// (another session of the parent's) changes nothing and is no error.
// Audited as leak_guard.notice_dismiss; notice.dismissed tells the
// parent's sessions.
func (db *DB) DismissLeakNotice(ctx context.Context, actor *domain.Actor, id int64) error {
	return db.Transact(ctx, func(tx pgx.Tx) error {
		var childID int64
		var game string
		err := tx.QueryRow(ctx, `
			SELECT h.child_id, h.game_name FROM leak_guard_hits h JOIN users k ON k.id = h.child_id
			WHERE h.id = $1 AND `+ChildOfSQL("k", "$2"), id, actor.UserID).Scan(&childID, &game)
		if errors.Is(err, pgx.ErrNoRows) {
			return domain.Errorf(domain.CodeNotFound, "no such notice")
		}
		if err != nil {
			return fmt.Errorf("load notice %d: %w", id, err)
		}
		tag, err := tx.Exec(ctx, `
			UPDATE leak_guard_hits SET dismissed_at = CURRENT_TIMESTAMP
			WHERE child_id = $1 AND game_name = $2 AND id <= $3 AND dismissed_at IS NULL`, childID, game, id)
		if err != nil {
			return fmt.Errorf("dismiss notice %d: %w", id, err)
		}
		if tag.RowsAffected() == 0 {
			return nil
		}
		data := map[string]any{"id": id, "child_id": childID, "game_name": game}
		after := map[string]any{"id": id, "child_id": childID, "game_name": game, "hits": tag.RowsAffected()}
		if err := audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: audit.LeakNoticeDismiss, EntityType: "user",
			EntityID: childID, After: after}); err != nil {
			return err
		}
		return eventlog.Append(ctx, tx, []eventlog.Event{{Type: eventlog.NoticeDismissed, To: []int64{actor.UserID}, About: []int64{childID}, Data: data}})
	})
}

package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/audit"
	"pixelpals/internal/domain"
)

// The activity dashboard (issue 12.4, docs/controls.md): what a child did
// in a window (the API asks for the last 30 days), one query per section.
// The plans at a family with 100k messages are in bench/activity_test.go.

// ActivityWindow is the dashboard's span.
const ActivityWindow = 30 * 24 * time.Hour

// activityLimit bounds each list section.
const activityLimit = 200

// Activity is one child's dashboard.
type Activity struct {
	ChildID     int64             `json:"child_id"`
	Since       time.Time         `json:"since"`
	Until       time.Time         `json:"until"`
	Contacts    []ActivityContact `json:"contacts"`
	NewContacts []ActivityLink    `json:"new_contacts"`
	Reports     []domain.Report   `json:"reports"`
	Images      ActivityImages    `json:"images"`
	SleepMode   []ActivitySleep   `json:"sleep_mode_changes"`
	LeakGuard   []ActivityLeakHit `json:"leak_guard_hits"`
}

// ActivityContact is someone the child exchanged messages with.
type ActivityContact struct {
	UserID        int64     `json:"user_id"`
	DisplayName   string    `json:"display_name"`
	Messages      int64     `json:"messages"`
	LastContactAt time.Time `json:"last_contact_at"`
}

// ActivityLink is a contact link or request made in the window.
type ActivityLink struct {
	ID           int64     `json:"id"`
	OtherChildID int64     `json:"other_child_id"`
	OtherName    string    `json:"other_display_name"`
	Status       string    `json:"status"`
	Blocked      bool      `json:"blocked"`
	CreatedAt    time.Time `json:"created_at"`
}

// ActivityImages counts image messages.
type ActivityImages struct {
	Sent     int64 `json:"sent"`
	Received int64 `json:"received"`
}

// ActivitySleep is one sleep-mode change (from the audit log).
type ActivitySleep struct {
	Action  audit.Action `json:"action"`
	ActorID int64        `json:"actor_id"`
	At      time.Time    `json:"at"`
}

// ActivityLeakHit is one send the leak guard refused.
type ActivityLeakHit struct {
	ID             int64     `json:"id"`
	GameName       string    `json:"game_name"`
	ConversationID *int64    `json:"conversation_id"`
	At             time.Time `json:"at"`
}

// The section queries; $1 is the child, $2 the start of the window, $3 its
// end (exclusive), $4 the list limit where there is one.
const (
	activityContactsSQL = `
		WITH mine AS (SELECT conversation_id FROM conversation_members WHERE user_id = $1),
		     peers AS (SELECT m.conversation_id, m.user_id FROM conversation_members m JOIN mine USING (conversation_id)
		               WHERE m.user_id <> $1)
		SELECT p.user_id, coalesce(pr.display_name, ''), count(*), max(msg.created_at)
		FROM peers p
		JOIN messages msg ON msg.conversation_id = p.conversation_id
		 AND msg.created_at >= $2 AND msg.created_at < $3
		 AND msg.sender_id IN ($1, p.user_id) AND msg.type <> 'system' AND msg.deleted_at IS NULL
		LEFT JOIN profiles pr ON pr.user_id = p.user_id
		GROUP BY p.user_id, pr.display_name
		ORDER BY max(msg.created_at) DESC, p.user_id
		LIMIT $4`
	activityLinksSQL = `
		SELECT ct.id, o.id, coalesce(pr.display_name, ''),
		       ct.a_approved_at IS NOT NULL AND ct.b_approved_at IS NOT NULL, ct.blocked_at IS NOT NULL, ct.created_at
		FROM contacts ct
		JOIN users o ON o.id = CASE WHEN ct.child_a_id = $1 THEN ct.child_b_id ELSE ct.child_a_id END
		LEFT JOIN profiles pr ON pr.user_id = o.id
		WHERE (ct.child_a_id = $1 OR ct.child_b_id = $1) AND ct.created_at >= $2 AND ct.created_at < $3
		ORDER BY ct.created_at DESC, ct.id DESC
		LIMIT $4`
	activityImagesSQL = `
		SELECT count(*) FILTER (WHERE msg.sender_id = $1), count(*) FILTER (WHERE msg.sender_id <> $1)
		FROM conversation_members cm
		JOIN messages msg ON msg.conversation_id = cm.conversation_id
		 AND msg.created_at >= $2 AND msg.created_at < $3 AND msg.type = 'image' AND msg.deleted_at IS NULL
		WHERE cm.user_id = $1`
	activitySleepSQL = `
		SELECT action, actor_id, created_at
		FROM audit_logs
		WHERE entity_type = 'user' AND entity_id = $1 AND action IN ('` + string(audit.SleepModeSet) + `', '` + string(audit.SleepModeClear) + `')
		  AND created_at >= $2 AND created_at < $3
		ORDER BY created_at DESC, id DESC
		LIMIT $4`
	activityLeakSQL = `
		SELECT id, game_name, conversation_id, created_at
		FROM leak_guard_hits
		WHERE child_id = $1 AND created_at >= $2 AND created_at < $3
		ORDER BY created_at DESC, id DESC
		LIMIT $4`
)

// ActivitySections names each section's query, for EXPLAIN. The reports
// section is the families' one report view (reportViewSQL, as the
// parent reads it), so it is not listed here: its parameters differ.
var ActivitySections = map[string]string{
	"contacts": activityContactsSQL, "new_contacts": activityLinksSQL,
	"images": activityImagesSQL, "sleep_mode_changes": activitySleepSQL, "leak_guard_hits": activityLeakSQL,
}

// ChildActivity is the acting parent's child's dashboard for [until-window,
// until), read in one REPEATABLE READ snapshot.
func (db *DB) ChildActivity(ctx context.Context, actor *domain.Actor, childID int64, until time.Time) (Activity, error) {
	until = until.UTC().Truncate(time.Microsecond)
	a := Activity{ChildID: childID, Since: until.Add(-ActivityWindow), Until: until,
		Contacts: []ActivityContact{}, NewContacts: []ActivityLink{}, Reports: []domain.Report{},
		SleepMode: []ActivitySleep{}, LeakGuard: []ActivityLeakHit{}}
	err := db.transact(ctx, txSnapshot, func(tx pgx.Tx) error {
		if err := isOwnChild(ctx, tx, actor, childID); err != nil {
			return err
		}
		return a.read(ctx, tx, actor)
	})
	return a, err
}

// read fills a's sections, one query each, in tx.
func (a *Activity) read(ctx context.Context, tx pgx.Tx, actor *domain.Actor) error {
	args := []any{a.ChildID, a.Since, a.Until, activityLimit}
	var err error
	if a.Contacts, err = appendSection(ctx, tx, a.Contacts, activityContactsSQL, args, scanActivityContact); err != nil {
		return fmt.Errorf("activity contacts: %w", err)
	}
	if a.NewContacts, err = appendSection(ctx, tx, a.NewContacts, activityLinksSQL, args, scanActivityLink); err != nil {
		return fmt.Errorf("activity links: %w", err)
	}
	// The reports the child page lists (GET /reports?child_id=), in
	// the window: one view, so the two pages cannot disagree.
	reports, err := reportsSeenBy(ctx, tx, actor.UserID,
		reportScope{childID: a.ChildID, since: &a.Since, until: &a.Until, limit: activityLimit})
	if err != nil {
		return fmt.Errorf("activity reports: %w", err)
	}
	a.Reports = append(a.Reports, reports...)
	if err := tx.QueryRow(ctx, activityImagesSQL, args[:3]...).Scan(&a.Images.Sent, &a.Images.Received); err != nil {
		return fmt.Errorf("activity images: %w", err)
	}
	if a.SleepMode, err = appendSection(ctx, tx, a.SleepMode, activitySleepSQL, args, scanActivitySleep); err != nil {
		return fmt.Errorf("activity sleep mode: %w", err)
	}
	if a.LeakGuard, err = appendSection(ctx, tx, a.LeakGuard, activityLeakSQL, args, scanActivityLeakHit); err != nil {
		return fmt.Errorf("activity leak guard: %w", err)
	}
	return nil
}

// appendSection appends the rows of one section's query to list.
func appendSection[T any](ctx context.Context, tx pgx.Tx, list []T, sql string, args []any, scan pgx.RowToFunc[T]) ([]T, error) {
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return list, err
	}
	return pgx.AppendRows(list, rows, scan)
}

func scanActivityContact(r pgx.CollectableRow) (ActivityContact, error) {
	var c ActivityContact
	err := r.Scan(&c.UserID, &c.DisplayName, &c.Messages, &c.LastContactAt)
	return c, err
}

func scanActivityLink(r pgx.CollectableRow) (ActivityLink, error) {
	var l ActivityLink
	var approved bool
	err := r.Scan(&l.ID, &l.OtherChildID, &l.OtherName, &approved, &l.Blocked, &l.CreatedAt)
	l.Status = contactStatus(approved)
	return l, err
}

func scanActivitySleep(r pgx.CollectableRow) (ActivitySleep, error) {
	var s ActivitySleep
	err := r.Scan(&s.Action, &s.ActorID, &s.At)
	return s, err
}

func scanActivityLeakHit(r pgx.CollectableRow) (ActivityLeakHit, error) {
	var h ActivityLeakHit
	err := r.Scan(&h.ID, &h.GameName, &h.ConversationID, &h.At)
	return h, err
}

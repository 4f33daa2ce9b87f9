package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/domain"
	"pixelpals/internal/notify"
)

// The notifications each action writes (internal/notify, docs/notifications.md),
// in the action's transaction. Each action calls one of these; who is told is
// decided here. A parent is never told of their own action.

// notifyContactRequest tells each parent whose approval link id still
// needs (read after the requester's own approval, if any).
func notifyContactRequest(ctx context.Context, tx pgx.Tx, actor *domain.Actor, id int64) error {
	c, err := readContact(ctx, tx, id, false)
	if err != nil {
		return err
	}
	about := map[string]int64{"contact_id": c.id}
	var notes []notify.Note
	if !c.aApproved && c.parentA != actor.UserID {
		notes = append(notes, notify.Note{To: c.parentA, Kind: notify.ContactRequest, Child: c.a, About: about})
	}
	if !c.bApproved && c.parentB != actor.UserID {
		notes = append(notes, notify.Note{To: c.parentB, Kind: notify.ContactRequest, Child: c.b, About: about})
	}
	return notify.Queue(ctx, tx, notes...)
}

// notifyContactOutcome tells the parents of link c other than the actor
// that it was approved by both families, or declined.
func notifyContactOutcome(ctx context.Context, tx pgx.Tx, actor *domain.Actor, c contactRow, kind notify.Kind) error {
	about := map[string]int64{"contact_id": c.id}
	var notes []notify.Note
	for _, side := range []struct{ parent, child int64 }{{c.parentA, c.a}, {c.parentB, c.b}} {
		if side.parent != actor.UserID {
			notes = append(notes, notify.Note{To: side.parent, Kind: kind, Child: side.child, About: about})
		}
	}
	return notify.Queue(ctx, tx, notes...)
}

// notifyAccount tells a signing-up parent that an admin approved or
// declined them. A declined account is removed in the same transaction, so
// its address goes with the note.
func notifyAccount(ctx context.Context, tx pgx.Tx, u domain.User, kind notify.Kind) error {
	n := notify.Note{To: u.ID, Kind: kind}
	if kind == notify.AccountDeclined {
		n.Email = u.Email
	}
	return notify.Queue(ctx, tx, n)
}

// notifyChildAccount tells a child's parent what an admin did to the
// child's account; for any other account it does nothing.
func notifyChildAccount(ctx context.Context, tx pgx.Tx, u domain.User, kind notify.Kind) error {
	if u.Role != domain.RoleChild || u.ParentID == nil {
		return nil
	}
	return notify.Queue(ctx, tx, notify.Note{To: *u.ParentID, Kind: kind, Child: u.ID})
}

// notifyLeakGuard tells the child's parent that the leak guard stopped a send.
func notifyLeakGuard(ctx context.Context, tx pgx.Tx, parentID, childID, hitID int64) error {
	return notify.Queue(ctx, tx, notify.Note{To: parentID, Kind: notify.LeakGuard, Child: childID,
		About: map[string]int64{"leak_guard_hit_id": hitID}})
}

// notifyBlock tells the blocker's parent and the blocked child's parent.
func notifyBlock(ctx context.Context, tx pgx.Tx, c contactRow, blocker int64) error {
	about := map[string]int64{"contact_id": c.id}
	own, other := notify.Note{To: c.parentA, Kind: notify.ChildBlocked, Child: c.a, About: about},
		notify.Note{To: c.parentB, Kind: notify.ChildWasBlocked, Child: c.b, About: about}
	if blocker == c.b {
		own, other = notify.Note{To: c.parentB, Kind: notify.ChildBlocked, Child: c.b, About: about},
			notify.Note{To: c.parentA, Kind: notify.ChildWasBlocked, Child: c.a, About: about}
	}
	return notify.Queue(ctx, tx, own, other)
}

// notifyReport tells the families of report id: the parent of a child who
// reported (filed) and of the child whose message it is; when resolved,
// both. The actor (a reporting parent) is not told of their own report.
func notifyReport(ctx context.Context, tx pgx.Tx, actor *domain.Actor, id int64, resolved bool) error {
	var reporter, reporterParent, sender, senderParent *int64
	err := tx.QueryRow(ctx, `
		SELECT rep.id, rep.parent_id, snd.id, snd.parent_id
		FROM reports r JOIN messages m ON m.id = r.message_id
		LEFT JOIN users rep ON rep.id = r.reporter_id AND rep.role = 'CHILD'
		LEFT JOIN users snd ON snd.id = m.sender_id AND snd.role = 'CHILD'
		WHERE r.id = $1`, id).Scan(&reporter, &reporterParent, &sender, &senderParent)
	if err != nil {
		return fmt.Errorf("families of report %d: %w", id, err)
	}
	about := map[string]int64{"report_id": id}
	byKind, aboutKind := notify.ReportByChild, notify.ReportAboutChild
	if resolved {
		byKind, aboutKind = notify.ReportResolved, notify.ReportResolved
	}
	var notes []notify.Note
	if reporter != nil && reporterParent != nil && *reporterParent != actor.UserID {
		notes = append(notes, notify.Note{To: *reporterParent, Kind: byKind, Child: *reporter, About: about})
	}
	if sender != nil && senderParent != nil && *senderParent != actor.UserID {
		notes = append(notes, notify.Note{To: *senderParent, Kind: aboutKind, Child: *sender, About: about})
	}
	return notify.Queue(ctx, tx, notes...)
}

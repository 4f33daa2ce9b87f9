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

// notifyContactRequest tells each guardian whose family's approval link
// id still needs (read after the requester's own approval, if any).
func notifyContactRequest(ctx context.Context, tx pgx.Tx, actor *domain.Actor, id int64) error {
	c, err := readContact(ctx, tx, id, false)
	if err != nil {
		return err
	}
	about := map[string]int64{"contact_id": c.id}
	var notes []notify.Note
	if !c.aApproved {
		notes = append(notes, guardianNotes(actor, c.guardiansA, notify.Note{Kind: notify.ContactRequest, Child: c.a, About: about})...)
	}
	if !c.bApproved {
		notes = append(notes, guardianNotes(actor, c.guardiansB, notify.Note{Kind: notify.ContactRequest, Child: c.b, About: about})...)
	}
	return notify.Queue(ctx, tx, notes...)
}

// guardianNotes addresses note to each of guardians but the actor.
func guardianNotes(actor *domain.Actor, guardians []int64, note notify.Note) []notify.Note {
	var notes []notify.Note
	for _, g := range guardians {
		if g != actor.UserID {
			n := note
			n.To = g
			notes = append(notes, n)
		}
	}
	return notes
}

// notifyContactOutcome tells the guardians of link c other than the actor
// that it was approved by both families, or declined.
func notifyContactOutcome(ctx context.Context, tx pgx.Tx, actor *domain.Actor, c contactRow, kind notify.Kind) error {
	about := map[string]int64{"contact_id": c.id}
	notes := guardianNotes(actor, c.guardiansA, notify.Note{Kind: kind, Child: c.a, About: about})
	notes = append(notes, guardianNotes(actor, c.guardiansB, notify.Note{Kind: kind, Child: c.b, About: about})...)
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

// notifyChildAccount tells a child's guardians what an admin did to the
// child's account; for any other account it does nothing.
func notifyChildAccount(ctx context.Context, tx pgx.Tx, u domain.User, kind notify.Kind) error {
	if u.Role != domain.RoleChild {
		return nil
	}
	g, err := guardiansOf(ctx, tx, []int64{u.ID})
	if err != nil {
		return err
	}
	return notify.Queue(ctx, tx, guardianNotes(&domain.Actor{}, g[u.ID], notify.Note{Kind: kind, Child: u.ID})...)
}

// notifyLeakGuard tells the child's guardians that the leak guard stopped a send.
func notifyLeakGuard(ctx context.Context, tx pgx.Tx, guardians []int64, childID, hitID int64) error {
	return notify.Queue(ctx, tx, guardianNotes(&domain.Actor{}, guardians, notify.Note{Kind: notify.LeakGuard, Child: childID,
		About: map[string]int64{"leak_guard_hit_id": hitID}})...)
}

// notifyBlock tells the blocker's guardians and the blocked child's.
func notifyBlock(ctx context.Context, tx pgx.Tx, c contactRow, blocker int64) error {
	about := map[string]int64{"contact_id": c.id}
	other := c.a
	if blocker == c.a {
		other = c.b
	}
	notes := guardianNotes(&domain.Actor{}, c.guardiansOfSide(blocker), notify.Note{Kind: notify.ChildBlocked, Child: blocker, About: about})
	notes = append(notes, guardianNotes(&domain.Actor{}, c.guardiansOfSide(other), notify.Note{Kind: notify.ChildWasBlocked, Child: other, About: about})...)
	return notify.Queue(ctx, tx, notes...)
}

// notifyReport tells the families of report id: the guardians of a child
// who reported (filed) and of the child whose message it is; when
// resolved, both. The actor (a reporting parent) is not told of their own
// report.
func notifyReport(ctx context.Context, tx pgx.Tx, actor *domain.Actor, id int64, resolved bool) error {
	var reporter, sender *int64
	err := tx.QueryRow(ctx, `
		SELECT rep.id, snd.id
		FROM reports r JOIN messages m ON m.id = r.message_id
		LEFT JOIN users rep ON rep.id = r.reporter_id AND rep.role = 'CHILD'
		LEFT JOIN users snd ON snd.id = m.sender_id AND snd.role = 'CHILD'
		WHERE r.id = $1`, id).Scan(&reporter, &sender)
	if err != nil {
		return fmt.Errorf("families of report %d: %w", id, err)
	}
	about := map[string]int64{"report_id": id}
	byKind, aboutKind := notify.ReportByChild, notify.ReportAboutChild
	if resolved {
		byKind, aboutKind = notify.ReportResolved, notify.ReportResolved
	}
	var notes []notify.Note
	for _, side := range []struct {
		child *int64
		kind  notify.Kind
	}{{reporter, byKind}, {sender, aboutKind}} {
		if side.child == nil {
			continue
		}
		g, err := guardiansOf(ctx, tx, []int64{*side.child})
		if err != nil {
			return err
		}
		notes = append(notes, guardianNotes(actor, g[*side.child], notify.Note{Kind: side.kind, Child: *side.child, About: about})...)
	}
	return notify.Queue(ctx, tx, notes...)
}

package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/audit"
	"pixelpals/internal/domain"
	"pixelpals/internal/eventlog"
	"pixelpals/internal/notify"
)

// Approvals a parent can judge (issue 21.4): a parent's GET /contacts
// describes the other family's child of each pending link, and the child a
// request was addressed to can decline it.

// approvedFriendsSQL selects the ids of child's approved contacts.
func approvedFriendsSQL(child string) string {
	return `SELECT CASE WHEN ct.child_a_id = ` + child + ` THEN ct.child_b_id ELSE ct.child_a_id END
		FROM contacts ct WHERE ` + child + ` IN (ct.child_a_id, ct.child_b_id) AND ` + approvedLinkSQL
}

// contactApprovalsSQL ($1 the parent, $2 link ids) describes, for each
// pending link between a child of the parent and another family's child,
// that other child: their display name, their guardians' display names
// (vetted accounts only, UsableSQL: a guardian awaiting an admin's
// approval or suspended is nobody to judge the family by; never a login
// name), since when the link waits, and
// how many approved contacts the two children share. A link between two
// children the parent looks after has no other family, and no row.
var contactApprovalsSQL = `
	SELECT ct.id, mine.id, other.id, coalesce(op.display_name, ''), ct.created_at,
	       coalesce((SELECT array_agg(gp.display_name ORDER BY gp.user_id)
	                 FROM profiles gp JOIN users g ON g.id = gp.user_id AND ` + UsableSQL("g") + `
	                 WHERE gp.user_id IN (` + guardianIDsSQL("other.id") + `)), '{}'),
	       (SELECT count(*) FROM (` + approvedFriendsSQL("mine.id") + ` INTERSECT ` + approvedFriendsSQL("other.id") + `) common)
	FROM contacts ct
	JOIN users mine ON mine.id IN (ct.child_a_id, ct.child_b_id) AND ` + ChildOfSQL("mine", "$1") + `
	JOIN users other ON other.id = CASE WHEN mine.id = ct.child_a_id THEN ct.child_b_id ELSE ct.child_a_id END
	LEFT JOIN profiles op ON op.user_id = other.id
	WHERE ct.id = ANY($2) AND $1 <> ALL (ARRAY(` + guardianIDsSQL("other.id") + `))
	  AND NOT (ct.a_approved_at IS NOT NULL AND ct.b_approved_at IS NOT NULL)`

// addApprovals fills in Approval on the pending links of a parent's list.
func (db *DB) addApprovals(ctx context.Context, actor *domain.Actor, contacts []domain.Contact) error {
	var ids []int64
	for _, c := range contacts {
		if c.Status == domain.ContactPending {
			ids = append(ids, c.ID)
		}
	}
	if !actor.IsParent() || len(ids) == 0 {
		return nil
	}
	rows, err := db.Pool.Query(ctx, contactApprovalsSQL, actor.UserID, ids)
	if err != nil {
		return fmt.Errorf("approvals of %d links: %w", len(ids), err)
	}
	byLink := map[int64]*domain.ContactApproval{}
	var id int64
	var a domain.ContactApproval
	_, err = pgx.ForEachRow(rows, []any{&id, &a.ChildID, &a.OtherChildID, &a.OtherDisplayName, &a.RequestedAt, &a.OtherGuardians, &a.CommonContacts},
		func() error {
			a.OtherAvatarURL = domain.AvatarURL(a.OtherChildID)
			found := a
			byLink[id] = &found
			return nil
		})
	if err != nil {
		return fmt.Errorf("approvals of %d links: %w", len(ids), err)
	}
	for i := range contacts {
		contacts[i].Approval = byLink[contacts[i].ID]
	}
	return nil
}

// addressedChild is the child a pending link's request was addressed to:
// the one on the side that did not ask. It is 0 when that is not known
// (the asker's account is gone) or both sides asked (one parent asked for
// two of their own children).
func (c contactRow) addressedChild(requestedBy *int64) int64 {
	if requestedBy == nil {
		return 0
	}
	askedA := *requestedBy == c.a || c.guardsA(*requestedBy)
	askedB := *requestedBy == c.b || c.guardsB(*requestedBy)
	switch {
	case askedA && !askedB:
		return c.b
	case askedB && !askedA:
		return c.a
	}
	return 0
}

// DeclineContact: the child a pending request was addressed to declines
// it ("not now"). The link goes, as after a parent's reject, and both
// families hear contact.declined with the link as it was, its status
// declined; that a child declines is the route table's to decide. A
// blocked link stays for the blocker's parent to see and unblock.
func (db *DB) DeclineContact(ctx context.Context, actor *domain.Actor, id int64) (domain.Contact, error) {
	var out domain.Contact
	err := db.transact(ctx, txRetry, func(tx pgx.Tx) error {
		c, err := readContact(ctx, tx, id, false)
		if err != nil {
			return err
		}
		if actor.UserID != c.a && actor.UserID != c.b {
			return domain.Errorf(domain.CodeNotFound, "no such contact")
		}
		if _, err := lockUsers(ctx, tx, actor.UserID, c.a, c.b); err != nil {
			return err
		}
		if c, err = readContact(ctx, tx, id, true); err != nil {
			return err
		}
		if out, err = contactIn(ctx, tx, id); err != nil {
			return err
		}
		if err := checkDeclinable(c, out, actor); err != nil {
			return err
		}
		out.Status = domain.ContactDeclined
		return decline(ctx, tx, actor, c, out)
	})
	return out, err
}

// checkDeclinable refuses to decline link c (seen as contact) unless it is
// pending, not blocked, and addressed to the acting child.
func checkDeclinable(c contactRow, contact domain.Contact, actor *domain.Actor) error {
	switch {
	case c.approvedByBoth:
		return domain.Errorf(domain.CodeConflict, "this link is approved; only a parent can remove it")
	case contact.BlockedBy != nil:
		return domain.Errorf(domain.CodeConflict, "this link is blocked; only a parent can change it")
	case c.addressedChild(contact.RequestedBy) != actor.UserID:
		return domain.Errorf(domain.CodeForbidden, "only the child the request was sent to can decline it")
	}
	return nil
}

// decline removes declined link c (locked, both children rule-locked),
// audits it, tells both families and re-checks the pair's conversations
// (none can need the link, which was never approved, but the rule is
// re-checked on every contact change).
func decline(ctx context.Context, tx pgx.Tx, actor *domain.Actor, c contactRow, declined domain.Contact) error {
	if _, err := tx.Exec(ctx, `DELETE FROM contacts WHERE id = $1`, c.id); err != nil {
		return fmt.Errorf("decline contact %d: %w", c.id, err)
	}
	if err := audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: audit.ContactDecline, EntityType: "contact", EntityID: c.id,
		Before: contactAudit(c, actor, domain.ContactPending), After: contactAudit(c, actor, domain.ContactDeclined)}); err != nil {
		return err
	}
	if err := eventlog.Append(ctx, tx, []eventlog.Event{{Type: eventlog.ContactDeclined, To: contactFamilies(c),
		Data: declined, About: []int64{c.a, c.b}}}); err != nil {
		return err
	}
	// The asking family's guardians are told as after a parent's reject
	// ("… declined by the other family"); the decliner's own guardians see
	// the event, and the link gone from their list.
	asker := c.a
	if actor.UserID == c.a {
		asker = c.b
	}
	if err := notify.Queue(ctx, tx, guardianNotes(actor, c.guardiansOfSide(asker), notify.Note{Kind: notify.ContactDeclined, Child: asker,
		About: map[string]int64{"contact_id": c.id}})...); err != nil {
		return err
	}
	return recheckPair(ctx, tx, actor.UserID, c.a, c.b)
}

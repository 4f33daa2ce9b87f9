package store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/audit"
	"pixelpals/internal/domain"
	"pixelpals/internal/eventlog"
	"pixelpals/internal/notify"
)

// Friend codes are 10 characters from an alphabet without look-alikes
// (no 0/O, 1/I/L): 31^10, about 2^49.5 codes, drawn with crypto/rand.
const (
	friendCodeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
	friendCodeLength   = 10
)

func newFriendCode() (string, error) { return randomCode(friendCodeLength) }

// randomCode draws n characters of friendCodeAlphabet (friend codes,
// guardian invitations).
func randomCode(n int) (string, error) {
	const size = len(friendCodeAlphabet)
	limit := 256 - 256%size // reject bytes that would bias the draw
	code := make([]byte, 0, n)
	buf := make([]byte, 32)
	for len(code) < n {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("random code: %w", err)
		}
		for _, b := range buf {
			if int(b) < limit && len(code) < n {
				code = append(code, friendCodeAlphabet[int(b)%size])
			}
		}
	}
	return string(code), nil
}

// ParseFriendCode normalizes a friend code as typed (any case, spaces and
// dashes ignored) and checks its shape.
func ParseFriendCode(s string) (string, error) {
	c, err := parseCode(s, friendCodeLength)
	if err != nil {
		return "", domain.Invalid("friend_code", "must be the %d-character friend code shown to the child", friendCodeLength)
	}
	return c, nil
}

// parseCode normalizes a code of n characters of friendCodeAlphabet as
// typed: any case, spaces and dashes ignored.
func parseCode(s string, n int) (string, error) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, strings.ToUpper(strings.TrimSpace(s)))
	if len(s) != n || strings.Trim(s, friendCodeAlphabet) != "" {
		return "", errors.New("not a code")
	}
	return s, nil
}

// ownChildSQL is true when $1 is a live child who is the actor $2 or a
// child of the actor.
var ownChildSQL = `EXISTS (SELECT 1 FROM users u WHERE u.id = $1 AND (u.id = $2 AND ` + LiveChildSQL("u") + ` OR ` + ChildOfSQL("u", "$2") + `))`

// FriendCode returns the child's friend code, creating it on first use.
// Only the child and their parent may see it.
func (db *DB) FriendCode(ctx context.Context, actor *domain.Actor, childID int64) (string, error) {
	var ok bool
	if err := db.Pool.QueryRow(ctx, `SELECT `+ownChildSQL, childID, actor.UserID).Scan(&ok); err != nil {
		return "", fmt.Errorf("check child %d: %w", childID, err)
	}
	if !ok {
		return "", domain.Errorf(domain.CodeNotFound, "no such child")
	}
	for range 3 { // a fresh code can collide with another child's, very rarely
		code, err := newFriendCode()
		if err != nil {
			return "", err
		}
		_, err = db.Pool.Exec(ctx, `INSERT INTO friend_codes (user_id, code) VALUES ($1, $2) ON CONFLICT (user_id) DO NOTHING`, childID, code)
		if pgCode(err) == codeUniqueViolation {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("create friend code of %d: %w", childID, err)
		}
		err = db.Pool.QueryRow(ctx, `SELECT code FROM friend_codes WHERE user_id = $1`, childID).Scan(&code)
		if err != nil {
			return "", fmt.Errorf("read friend code of %d: %w", childID, err)
		}
		return code, nil
	}
	return "", fmt.Errorf("create friend code of %d: repeated collisions", childID)
}

// RegenerateFriendCode gives the parent's child a new friend code; the old
// one stops working at once.
func (db *DB) RegenerateFriendCode(ctx context.Context, actor *domain.Actor, childID int64) (string, error) {
	var code string
	err := db.childAction(ctx, actor, childID, audit.FriendCodeRegenerate, func(tx pgx.Tx, child domain.User) (any, error) {
		var err error
		if code, err = newFriendCode(); err != nil {
			return nil, err
		}
		_, err = tx.Exec(ctx, `
			INSERT INTO friend_codes (user_id, code) VALUES ($1, $2)
			ON CONFLICT (user_id) DO UPDATE SET code = EXCLUDED.code, created_at = CURRENT_TIMESTAMP`, childID, code)
		if err != nil {
			return nil, fmt.Errorf("store friend code of %d: %w", childID, err)
		}
		// The code itself is a secret of the family's: not audited.
		return map[string]any{"child_id": childID, "friend_code_changed": true}, nil
	})
	return code, err
}

// contactRow is a contacts row with its children's families: each side's
// guardians (guardiansOf: primary first), any of whom acts for that side.
type contactRow struct {
	id             int64
	a, b           int64 // child_a_id < child_b_id
	guardiansA     []int64
	guardiansB     []int64
	aApproved      bool
	bApproved      bool
	approvedByBoth bool
}

func (c contactRow) guardsA(userID int64) bool { return slices.Contains(c.guardiansA, userID) }
func (c contactRow) guardsB(userID int64) bool { return slices.Contains(c.guardiansB, userID) }

func (c contactRow) parentOf(actorID int64) bool { return c.guardsA(actorID) || c.guardsB(actorID) }

// guardiansOfSide are the guardians of child (c.a or c.b).
func (c contactRow) guardiansOfSide(child int64) []int64 {
	if child == c.a {
		return c.guardiansA
	}
	return c.guardiansB
}

// sideOf is the child on the actor's side of the link, for the audit's
// child_id: the actor when a child, else the actor's child (the lower id
// when they are a guardian of both).
func (c contactRow) sideOf(actor *domain.Actor) (mine, other int64) {
	if actor.UserID == c.a || (!actor.IsChild() && c.guardsA(actor.UserID)) {
		return c.a, c.b
	}
	return c.b, c.a
}

const contactRowColumns = `ct.id, ct.child_a_id, ct.child_b_id, ct.a_approved_at IS NOT NULL, ct.b_approved_at IS NOT NULL`

func scanContactRow(row pgx.Row) (contactRow, error) {
	var c contactRow
	err := row.Scan(&c.id, &c.a, &c.b, &c.aApproved, &c.bApproved)
	c.approvedByBoth = c.aApproved && c.bApproved
	return c, err
}

// withGuardians fills in the guardians of each link's children.
func withGuardians(ctx context.Context, q rowsQuerier, links []contactRow) error {
	var ids []int64
	for _, c := range links {
		ids = append(ids, c.a, c.b)
	}
	g, err := guardiansOf(ctx, q, ids)
	if err != nil {
		return err
	}
	for i := range links {
		links[i].guardiansA, links[i].guardiansB = g[links[i].a], g[links[i].b]
	}
	return nil
}

// readContact reads a contact link with its children's guardians, locking
// it when lock is set.
func readContact(ctx context.Context, tx pgx.Tx, id int64, lock bool) (contactRow, error) {
	sql := `SELECT ` + contactRowColumns + ` FROM contacts ct WHERE ct.id = $1`
	if lock {
		sql += ` FOR UPDATE OF ct`
	}
	c, err := scanContactRow(tx.QueryRow(ctx, sql, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return c, domain.Errorf(domain.CodeNotFound, "no such contact")
	}
	if err != nil {
		return c, fmt.Errorf("load contact %d: %w", id, err)
	}
	links := []contactRow{c}
	if err := withGuardians(ctx, tx, links); err != nil {
		return c, err
	}
	return links[0], nil
}

// loadContact is readContact for a parent of either child; to anyone else
// the link is not_found.
func loadContact(ctx context.Context, tx pgx.Tx, actor *domain.Actor, id int64, lock bool) (contactRow, error) {
	c, err := readContact(ctx, tx, id, lock)
	if err == nil && !c.parentOf(actor.UserID) {
		return c, domain.Errorf(domain.CodeNotFound, "no such contact")
	}
	return c, err
}

// approveSides records the acting guardian's approval, and who gave it, on
// each side of the link whose child they are a guardian of (both sides for
// siblings): one approval from each family. It reports whether anything
// changed.
func approveSides(ctx context.Context, tx pgx.Tx, c contactRow, parentID int64) (bool, error) {
	tag, err := tx.Exec(ctx, `
		UPDATE contacts SET
			a_approved_at = CASE WHEN $2::boolean THEN coalesce(a_approved_at, CURRENT_TIMESTAMP) ELSE a_approved_at END,
			a_approved_by = CASE WHEN $2::boolean AND a_approved_at IS NULL THEN $4 ELSE a_approved_by END,
			b_approved_at = CASE WHEN $3::boolean THEN coalesce(b_approved_at, CURRENT_TIMESTAMP) ELSE b_approved_at END,
			b_approved_by = CASE WHEN $3::boolean AND b_approved_at IS NULL THEN $4 ELSE b_approved_by END
		WHERE id = $1 AND (($2 AND a_approved_at IS NULL) OR ($3 AND b_approved_at IS NULL))`,
		c.id, c.guardsA(parentID), c.guardsB(parentID), parentID)
	if err != nil {
		return false, fmt.Errorf("approve contact %d: %w", c.id, err)
	}
	return tag.RowsAffected() > 0, nil
}

// contactAudit is what the audit log records of a contact change: ids
// only, with child_id the child on the actor's side.
func contactAudit(c contactRow, actor *domain.Actor, status string) map[string]any {
	mine, other := c.sideOf(actor)
	return map[string]any{"contact_id": c.id, "child_id": mine, "other_child_id": other, "status": status}
}

func contactStatus(approved bool) string {
	if approved {
		return domain.ContactApproved
	}
	return domain.ContactPending
}

// RequestContact asks for a link between a child and the child whose
// friend code is given: a child asks for themself (childID 0 or their own
// id), a parent for their child childID, approving their side at once.
// Asking again for an existing link returns it (created false), after
// recording a requesting parent's approval.
func (db *DB) RequestContact(ctx context.Context, actor *domain.Actor, code string, childID int64) (domain.Contact, bool, error) {
	switch {
	case actor.IsChild():
		if childID != 0 && childID != actor.UserID {
			return domain.Contact{}, false, domain.Errorf(domain.CodeForbidden, "children ask for contacts only for themselves")
		}
		childID = actor.UserID
	case childID == 0: // a parent (the route table admits only family)
		return domain.Contact{}, false, domain.Invalid("child_id", "name the child the link is for")
	}
	var other int64
	err := db.Pool.QueryRow(ctx, `
		SELECT f.user_id FROM friend_codes f JOIN users u ON u.id = f.user_id AND u.deleted_at IS NULL
		WHERE f.code = $1`, code).Scan(&other)
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.Contact{}, false, &domain.Error{Code: domain.CodeNotFound, Message: "no child has this friend code", Field: "friend_code"}
	}
	if err != nil {
		return domain.Contact{}, false, fmt.Errorf("look up friend code: %w", err)
	}
	if other == childID {
		return domain.Contact{}, false, domain.Invalid("friend_code", "this is the child's own friend code")
	}
	a, b := min(childID, other), max(childID, other)
	var id int64
	var created bool
	err = db.transact(ctx, txRetry, func(tx pgx.Tx) error {
		if _, err := lockUsers(ctx, tx, actor.UserID, a, b); err != nil {
			return err
		}
		// Both still there, now that their rule locks hold off deletion?
		var mine, live bool
		err := tx.QueryRow(ctx, `SELECT `+ownChildSQL+`,
			EXISTS (SELECT 1 FROM users u WHERE u.id = $3 AND `+LiveChildSQL("u")+`)`,
			childID, actor.UserID, other).Scan(&mine, &live)
		if err != nil {
			return fmt.Errorf("check children %d, %d: %w", childID, other, err)
		}
		if !mine {
			return domain.Errorf(domain.CodeNotFound, "no such child")
		}
		if !live {
			return &domain.Error{Code: domain.CodeNotFound, Message: "no child has this friend code", Field: "friend_code"}
		}
		id, created, err = requestLink(ctx, tx, actor, a, b)
		return err
	})
	if err != nil {
		return domain.Contact{}, false, err
	}
	c, err := contactIn(ctx, db.Pool, id)
	return c, created, err
}

// requestLink creates or finds the link a–b (both rule-locked by the
// caller) and records a requesting parent's approval.
func requestLink(ctx context.Context, tx pgx.Tx, actor *domain.Actor, a, b int64) (id int64, created bool, err error) {
	err = tx.QueryRow(ctx, `
		INSERT INTO contacts (child_a_id, child_b_id, requested_by) VALUES ($1, $2, $3)
		ON CONFLICT (child_a_id, child_b_id) DO NOTHING
		RETURNING id`, a, b, actor.UserID).Scan(&id)
	created = err == nil
	if errors.Is(err, pgx.ErrNoRows) {
		err = tx.QueryRow(ctx, `SELECT id FROM contacts WHERE child_a_id = $1 AND child_b_id = $2`, a, b).Scan(&id)
	}
	if err != nil {
		return 0, false, fmt.Errorf("request contact %d-%d: %w", a, b, err)
	}
	c, err := readContact(ctx, tx, id, true)
	if err != nil {
		return 0, false, err
	}
	if created {
		if err := audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: audit.ContactRequest, EntityType: "contact", EntityID: id,
			After: contactAudit(c, actor, domain.ContactPending)}); err != nil {
			return 0, false, err
		}
	}
	if actor.IsParent() {
		// Asking again after approving is no conflict: the link is
		// returned. A new request's own approval is part of the request.
		if err := approve(ctx, tx, actor, c, !created); err != nil && domain.ErrorCode(err) != domain.CodeConflict {
			return 0, false, err
		}
	}
	if created {
		if err := contactEvent(ctx, tx, eventlog.ContactRequested, c); err != nil {
			return 0, false, err
		}
		if err := notifyContactRequest(ctx, tx, actor, id); err != nil {
			return 0, false, err
		}
	}
	return id, created, nil
}

// approve records the parent's approval of link c (locked, both children
// rule-locked) and, when that completes it, thaws the conversations it
// makes valid again. announce writes the contact.approved event.
func approve(ctx context.Context, tx pgx.Tx, actor *domain.Actor, c contactRow, announce bool) error {
	changed, err := approveSides(ctx, tx, c, actor.UserID)
	if err != nil {
		return err
	}
	if !changed {
		return domain.Errorf(domain.CodeConflict, "you have already approved this link")
	}
	after, err := readContact(ctx, tx, c.id, false)
	if err != nil {
		return err
	}
	if err := audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: audit.ContactApprove, EntityType: "contact", EntityID: c.id,
		Before: contactAudit(c, actor, contactStatus(c.approvedByBoth)),
		After:  contactAudit(after, actor, contactStatus(after.approvedByBoth))}); err != nil {
		return err
	}
	if announce {
		if err := contactEvent(ctx, tx, eventlog.ContactApproved, after); err != nil {
			return err
		}
	}
	if after.approvedByBoth {
		if err := notifyContactOutcome(ctx, tx, actor, after, notify.ContactApproved); err != nil {
			return err
		}
		return recheckPair(ctx, tx, actor.UserID, c.a, c.b)
	}
	return nil
}

// contactChange loads link id for a parent of either child, takes both
// children's rule locks and the row lock, and runs change.
func (db *DB) contactChange(ctx context.Context, actor *domain.Actor, id int64, change func(tx pgx.Tx, c contactRow) error) error {
	return db.transact(ctx, txRetry, func(tx pgx.Tx) error {
		c, err := loadContact(ctx, tx, actor, id, false)
		if err != nil {
			return err
		}
		if _, err := lockUsers(ctx, tx, actor.UserID, c.a, c.b); err != nil {
			return err
		}
		if c, err = loadContact(ctx, tx, actor, id, true); err != nil {
			return err
		}
		return change(tx, c)
	})
}

// ApproveContact records the acting parent's approval of a link.
func (db *DB) ApproveContact(ctx context.Context, actor *domain.Actor, id int64) (domain.Contact, error) {
	err := db.contactChange(ctx, actor, id, func(tx pgx.Tx, c contactRow) error {
		return approve(ctx, tx, actor, c, true)
	})
	if err != nil {
		return domain.Contact{}, err
	}
	return contactIn(ctx, db.Pool, id)
}

// RejectContact turns down a pending link request.
func (db *DB) RejectContact(ctx context.Context, actor *domain.Actor, id int64) error {
	return db.contactChange(ctx, actor, id, func(tx pgx.Tx, c contactRow) error {
		if c.approvedByBoth {
			return domain.Errorf(domain.CodeConflict, "this link is approved; revoke it instead")
		}
		if err := notifyContactOutcome(ctx, tx, actor, c, notify.ContactDeclined); err != nil {
			return err
		}
		return removeLink(ctx, tx, actor, c, audit.ContactReject)
	})
}

// RevokeContact ends a link, approved or not: every conversation that no
// longer satisfies the contact rule freezes.
func (db *DB) RevokeContact(ctx context.Context, actor *domain.Actor, id int64) error {
	return db.contactChange(ctx, actor, id, func(tx pgx.Tx, c contactRow) error {
		return removeLink(ctx, tx, actor, c, audit.ContactRevoke)
	})
}

func removeLink(ctx context.Context, tx pgx.Tx, actor *domain.Actor, c contactRow, action audit.Action) error {
	if _, err := tx.Exec(ctx, `DELETE FROM contacts WHERE id = $1`, c.id); err != nil {
		return fmt.Errorf("delete contact %d: %w", c.id, err)
	}
	if err := audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: action, EntityType: "contact", EntityID: c.id,
		Before: contactAudit(c, actor, contactStatus(c.approvedByBoth))}); err != nil {
		return err
	}
	if err := contactRevokedEvent(ctx, tx, c); err != nil {
		return err
	}
	return recheckPair(ctx, tx, actor.UserID, c.a, c.b)
}

const contactColumns = `ct.id, ct.requested_by, ct.created_at, ct.a_approved_at, ct.b_approved_at,
	ct.child_a_id, coalesce(pa.display_name, ''), ct.child_b_id, coalesce(pb.display_name, ''), ct.blocked_by, ct.blocked_at,
	ct.a_approved_by, coalesce(qa.display_name, ''), ct.b_approved_by, coalesce(qb.display_name, '')`

const contactFrom = `contacts ct
	LEFT JOIN profiles pa ON pa.user_id = ct.child_a_id
	LEFT JOIN profiles pb ON pb.user_id = ct.child_b_id
	LEFT JOIN profiles qa ON qa.user_id = ct.a_approved_by
	LEFT JOIN profiles qb ON qb.user_id = ct.b_approved_by`

func scanContact(r pgx.CollectableRow) (domain.Contact, error) {
	var c domain.Contact
	var a, b domain.ContactChild
	err := r.Scan(&c.ID, &c.RequestedBy, &c.CreatedAt, &a.ParentApprovedAt, &b.ParentApprovedAt,
		&a.ChildID, &a.DisplayName, &b.ChildID, &b.DisplayName, &c.BlockedBy, &c.BlockedAt,
		&a.ApprovedBy, &a.ApprovedByName, &b.ApprovedBy, &b.ApprovedByName)
	a.ParentApproved, b.ParentApproved = a.ParentApprovedAt != nil, b.ParentApprovedAt != nil
	c.Status = contactStatus(a.ParentApproved && b.ParentApproved)
	if c.Status == domain.ContactApproved {
		c.ApprovedAt = a.ParentApprovedAt
		if b.ParentApprovedAt.After(*a.ParentApprovedAt) {
			c.ApprovedAt = b.ParentApprovedAt
		}
	}
	c.Children = []domain.ContactChild{a, b}
	return c, err
}

// contactIn loads one contact link as its families see it.
func contactIn(ctx context.Context, q rowsQuerier, id int64) (domain.Contact, error) {
	rows, err := q.Query(ctx, `SELECT `+contactColumns+` FROM `+contactFrom+` WHERE ct.id = $1`, id)
	if err != nil {
		return domain.Contact{}, fmt.Errorf("load contact %d: %w", id, err)
	}
	c, err := pgx.CollectExactlyOneRow(rows, scanContact)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, domain.Errorf(domain.CodeNotFound, "no such contact")
	}
	if err != nil {
		return c, fmt.Errorf("load contact %d: %w", id, err)
	}
	return c, nil
}

// ListContacts returns contact links newest first: a child's own, or for a
// parent those of their child childID (0: of all their children), each
// pending one with what the parent needs to judge it (approvals.go).
func (db *DB) ListContacts(ctx context.Context, actor *domain.Actor, childID, afterID int64, limit int) ([]domain.Contact, error) {
	children, err := db.childrenInView(ctx, actor, childID)
	if err != nil {
		return nil, err
	}
	rows, err := db.Pool.Query(ctx, `
		SELECT `+contactColumns+` FROM `+contactFrom+`
		WHERE (ct.child_a_id = ANY($1) OR ct.child_b_id = ANY($1))
		  AND ($2 = 0 OR ct.id < $2)
		ORDER BY ct.id DESC
		LIMIT $3`, children, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("list contacts: %w", err)
	}
	contacts, err := pgx.CollectRows(rows, scanContact)
	if err != nil {
		return nil, fmt.Errorf("list contacts: %w", err)
	}
	return contacts, db.addApprovals(ctx, actor, contacts)
}

// childrenInView resolves whose data a child or parent lists: a child only
// their own (childID 0 or their id); a parent their child childID, or all
// their children when childID is 0. Another family's child is not_found.
func (db *DB) childrenInView(ctx context.Context, actor *domain.Actor, childID int64) ([]int64, error) {
	switch {
	case actor.IsChild():
		if childID != 0 && childID != actor.UserID {
			return nil, domain.Errorf(domain.CodeForbidden, "children see only their own")
		}
		return []int64{actor.UserID}, nil
	}
	// A parent: the route table admits only family, and a parent's view
	// holds only their own children.
	rows, err := db.Pool.Query(ctx, `
		SELECT id FROM users u
		WHERE `+ChildOfSQL("u", "$1")+` AND ($2 = 0 OR u.id = $2)`, actor.UserID, childID)
	if err != nil {
		return nil, fmt.Errorf("children of %d: %w", actor.UserID, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("children of %d: %w", actor.UserID, err)
	}
	if childID != 0 && len(ids) == 0 {
		return nil, domain.Errorf(domain.CodeNotFound, "no such child")
	}
	return ids, nil
}

// approvedContactSQL (in ViewProfile: $1 the profile's user, $2 the
// viewer) is true when they are approved contacts, or when a child of the
// viewer has a link with $1, pending or approved, so that a parent can look
// at who asks before approving.
var approvedContactSQL = `(` + approvedPairSQL + ` OR EXISTS (
	SELECT 1 FROM contacts ct JOIN users k ON k.id IN (ct.child_a_id, ct.child_b_id)
	WHERE ` + GuardianSQL("k", "$2") + ` AND $1::int IN (ct.child_a_id, ct.child_b_id)))`

// exportChildContacts lists a child's contact links for their export.
func exportChildContacts(ctx context.Context, tx pgx.Tx, childID int64) ([]domain.Contact, error) {
	rows, err := tx.Query(ctx, `
		SELECT `+contactColumns+` FROM `+contactFrom+`
		WHERE ct.child_a_id = $1 OR ct.child_b_id = $1 ORDER BY ct.id`, childID)
	if err != nil {
		return nil, fmt.Errorf("export contacts: %w", err)
	}
	contacts, err := pgx.CollectRows(rows, scanContact)
	if err != nil {
		return nil, fmt.Errorf("export contacts: %w", err)
	}
	return contacts, nil
}

// removeContacts deletes a departing child's friend code and links (see
// removeChatData for the order).
func removeContacts(ctx context.Context, tx pgx.Tx, userID int64) error {
	if _, err := tx.Exec(ctx, `DELETE FROM friend_codes WHERE user_id = $1`, userID); err != nil {
		return fmt.Errorf("delete friend code: %w", err)
	}
	rows, err := tx.Query(ctx, `
		WITH gone AS (DELETE FROM contacts WHERE child_a_id = $1 OR child_b_id = $1 RETURNING id, child_a_id, child_b_id)
		SELECT gone.id, gone.child_a_id, gone.child_b_id, false, false FROM gone ORDER BY gone.id`, userID)
	if err != nil {
		return fmt.Errorf("delete contacts: %w", err)
	}
	links, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (contactRow, error) { return scanContactRow(r) })
	if err != nil {
		return fmt.Errorf("delete contacts: %w", err)
	}
	if err := withGuardians(ctx, tx, links); err != nil {
		return err
	}
	for _, c := range links {
		if err := contactRevokedEvent(ctx, tx, c); err != nil {
			return err
		}
	}
	return nil
}

// Package notify tells parents what needs them (issue 22, docs/notifications.md):
// Queue writes a notification into the outbox in the transaction of the
// action it is about, and a Worker delivers the outbox by email, once per
// row across every instance.
//
// A notification holds ids only. What a mail says is decided here, at
// delivery, from its kind and the child's current display name: never a
// message's text, a report's reason, a password or a token.
package notify

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
)

// Kind is what a notification is about.
type Kind string

// The kinds of notification. Their sentences are in mail.go; a parent
// chooses the delivery of each Settable kind (settings.go).
const (
	ContactRequest   Kind = "contact_request"    // a contact link waits for your approval
	ContactApproved  Kind = "contact_approved"   // the other family approved a link of your child's
	ContactDeclined  Kind = "contact_declined"   // the other family turned a link request down
	AccountApproved  Kind = "account_approved"   // an admin approved your sign-up
	AccountDeclined  Kind = "account_declined"   // an admin declined your sign-up (the account is gone)
	LeakGuard        Kind = "leak_guard"         // the leak guard stopped your child sending a game password
	ReportByChild    Kind = "report_by_child"    // your child reported a message
	ReportAboutChild Kind = "report_about_child" // a message your child sent was reported
	ReportResolved   Kind = "report_resolved"    // a report by or about your child was resolved
	ChildBlocked     Kind = "child_blocked"      // your child blocked a contact
	ChildWasBlocked  Kind = "child_was_blocked"  // a contact blocked your child
	ChildSuspended   Kind = "child_suspended"    // an admin suspended your child's account
	ChildDeleted     Kind = "child_deleted"      // an admin deleted your child's account
)

// Kinds lists every kind, in the order the settings show them.
var Kinds = []Kind{ContactRequest, ContactApproved, ContactDeclined, LeakGuard, ReportByChild, ReportAboutChild,
	ReportResolved, ChildBlocked, ChildWasBlocked, ChildSuspended, ChildDeleted, AccountApproved, AccountDeclined}

// Note is one notification to write.
type Note struct {
	// To is the parent it is for.
	To int64
	// Email is set only when To's account is removed in the same
	// transaction (a declined sign-up): where to send it all the same.
	Email string
	Kind  Kind
	// Child is the child it is about (0: none).
	Child int64
	// About holds the other ids it is about ("contact_id", "report_id"...):
	// numbers only, so no text can slip in.
	About map[string]int64
}

// Queue writes notes in tx, the transaction of the action they are about,
// so that they exist exactly when the action committed. A note whose
// recipient turned its kind off is not written; one they want in a daily
// digest waits in state "digest". Notes to the same parent of the same
// kind and child are written once.
func Queue(ctx context.Context, tx pgx.Tx, notes ...Note) error {
	var done []Note
	for _, n := range notes {
		if n.To == 0 || slices.ContainsFunc(done, func(d Note) bool { return d.To == n.To && d.Kind == n.Kind && d.Child == n.Child }) {
			continue
		}
		done = append(done, n)
		if err := queue(ctx, tx, n); err != nil {
			return err
		}
	}
	return nil
}

func queue(ctx context.Context, tx pgx.Tx, n Note) error {
	about := n.About
	if about == nil {
		about = map[string]int64{}
	}
	var email, child any
	if n.Email != "" {
		email = n.Email
	}
	if n.Child != 0 {
		child = n.Child
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO notifications (recipient_id, recipient_email, kind, child_id, about, state)
		SELECT $1, $2, $3, $4, $5, CASE coalesce(s.delivery, 'now') WHEN 'daily' THEN 'digest' ELSE 'pending' END
		FROM (SELECT) AS one
		LEFT JOIN notification_settings s ON s.user_id = $1 AND s.kind = $3
		WHERE coalesce(s.delivery, 'now') <> 'off'`, n.To, email, string(n.Kind), child, about)
	if err != nil {
		return fmt.Errorf("queue %s notification to %d: %w", n.Kind, n.To, err)
	}
	return nil
}

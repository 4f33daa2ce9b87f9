package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/eventlog"
)

// The contact rule (SPEC §4) lives in this file, and only here.
//
// A conversation satisfies the rule when
//   - every pair of children in it are approved contacts (both parents
//     approved the link) and neither child has blocked the other (a
//     blocked link stays, but counts as not approved until the blocker's
//     parent unblocks it: internal/store/blocks.go),
//   - every adult in it is a guardian (GuardianSQL: the primary or
//     another, issue 21) of a child in it (so admins, who have no children,
//     are never members, and two adults never talk alone) and of every
//     child in it: a child talks to no adult but their own guardians, even
//     in a group with an approved contact, whose guardians only approved
//     the children's link; and
//   - a direct conversation has exactly two members.
//
// For a direct conversation "guardian" is widened to "guardian or active
// trusted grown-up" (TrustedSQL, issue 21.3: an adult of another family
// every guardian of the child approved), for a direct conversation only: a
// trusted grown-up is never in a group with the child, and, since a direct
// conversation has two members, never with another adult. So a child talks
// only with one of their own guardians, one of their trusted grown-ups or
// an approved contact. A conversation that breaks the rule
// is frozen (conversations.frozen_at set): nobody can send to it until the
// rule holds again, when it thaws. Every change that can make the rule stop
// or start holding re-checks the conversations it touches, in the same
// transaction: creating a conversation and adding a member (refused when
// the result would break the rule), removing a member, approving, rejecting
// and revoking a contact, blocking and unblocking one, adding and removing
// a guardian, a trusted grown-up becoming active or being revoked, and
// deleting an account.
//
// Locking. Changes run at READ COMMITTED and serialize on locks that are
// always taken in this order, so that two transactions never wait on each
// other in a cycle:
//  1. the users rows (FOR KEY SHARE; account actions hold FOR UPDATE, taken
//     before anything else), so that an account deletion and a change
//     writing rows that reference the account cannot deadlock on the
//     foreign-key checks;
//  2. the rule lock of each user whose contacts or memberships the change
//     reads or writes (a transaction-scoped advisory lock per user id, in
//     ascending id order): contact changes lock both children, adding a
//     member locks the new member, creating a conversation locks every
//     member, adding or removing a guardian locks the child and that
//     guardian, proposing, approving or revoking a trusted grown-up locks
//     the child and that adult, deleting an account locks that user;
//  3. the row of each conversation whose members or frozen state change
//     (SELECT ... FOR UPDATE, in ascending id order). Sending a message
//     takes the same row lock (FOR NO KEY UPDATE), so a send and a member
//     removal or freeze never interleave, and sends to one conversation
//     commit in the order of their created_at, which keeps history cursors
//     from ever skipping a late-committing message.
//
// Each re-check runs as a new statement after its locks are held, so it
// sees every change committed before it. A contact change that commits
// while a member is being added is seen either by the add (which then
// refuses) or, once the add commits, by the contact change's own re-check
// of the conversations holding both children.

// adultMayTalkSQL is true when adult u may share conversation c with child
// k: a guardian of k, or, in a direct conversation only, an active trusted
// grown-up of k.
var adultMayTalkSQL = `(` + GuardianSQL("k", "u.id") + ` OR (NOT coalesce(c.is_group, false) AND ` + TrustedSQL("k", "u.id") + `))`

// ruleHoldsSQL is true when conversation c satisfies the contact rule.
var ruleHoldsSQL = `(
	(c.is_group OR (SELECT count(*) FROM conversation_members WHERE conversation_id = c.id) = 2)
	AND NOT EXISTS (
		-- an adult who is no guardian of a child in the conversation
		SELECT 1 FROM conversation_members m JOIN users u ON u.id = m.user_id
		WHERE m.conversation_id = c.id AND u.role <> 'CHILD'
		  AND NOT EXISTS (
			SELECT 1 FROM conversation_members mk JOIN users k ON k.id = mk.user_id
			WHERE mk.conversation_id = c.id AND k.role = 'CHILD' AND ` + adultMayTalkSQL + `))
	AND NOT EXISTS (
		-- an adult in a conversation with a child they are no guardian of
		SELECT 1
		FROM conversation_members m JOIN users u ON u.id = m.user_id AND u.role <> 'CHILD'
		JOIN conversation_members mk ON mk.conversation_id = m.conversation_id
		JOIN users k ON k.id = mk.user_id AND k.role = 'CHILD'
		WHERE m.conversation_id = c.id AND NOT coalesce(` + adultMayTalkSQL + `, false))
	AND NOT EXISTS (
		-- two children without an approved contact link
		SELECT 1
		FROM conversation_members m1 JOIN users k1 ON k1.id = m1.user_id AND k1.role = 'CHILD'
		JOIN conversation_members m2 ON m2.conversation_id = m1.conversation_id AND m2.user_id > m1.user_id
		JOIN users k2 ON k2.id = m2.user_id AND k2.role = 'CHILD'
		WHERE m1.conversation_id = c.id
		  AND NOT EXISTS (
			SELECT 1 FROM contacts ct
			WHERE ct.child_a_id = m1.user_id AND ct.child_b_id = m2.user_id
			  AND ct.a_approved_at IS NOT NULL AND ct.b_approved_at IS NOT NULL AND ct.blocked_at IS NULL))
)`

// approvedPairSQL is true when users $1 and $2 are approved contacts and
// the link is not blocked.
const approvedPairSQL = `EXISTS (
	SELECT 1 FROM contacts ct
	WHERE ct.child_a_id = least($1::int, $2::int) AND ct.child_b_id = greatest($1::int, $2::int)
	  AND ` + approvedLinkSQL + `)`

// approvedLinkSQL is true when contacts row ct is an approved link: both
// families approved it and neither child has blocked it.
const approvedLinkSQL = `ct.a_approved_at IS NOT NULL AND ct.b_approved_at IS NOT NULL AND ct.blocked_at IS NULL`

// ruleLockSpace is the first key of the per-user rule locks
// (pg_advisory_xact_lock(int, int)); the second is the user id.
const ruleLockSpace = 0x70705f72 // "pp_r"

// lockUsers locks the users' rows (KEY SHARE) and takes their rule locks,
// each in ascending id order, and returns how many of them are live
// accounts.
func lockUsers(ctx context.Context, tx pgx.Tx, ids ...int64) (live int, err error) {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	rows, err := tx.Query(ctx, `SELECT id FROM users WHERE id = ANY($1) AND deleted_at IS NULL ORDER BY id FOR KEY SHARE`, ids)
	if err != nil {
		return 0, fmt.Errorf("lock users: %w", err)
	}
	found, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return 0, fmt.Errorf("lock users: %w", err)
	}
	for _, id := range ids {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, $2::int)`, ruleLockSpace, id); err != nil {
			return 0, fmt.Errorf("rule lock of user %d: %w", id, err)
		}
	}
	return len(found), nil
}

// lockConversations locks the rows of the conversations, in ascending id
// order (ORDER BY is applied before the locking clause), and returns the
// ids that exist.
func lockConversations(ctx context.Context, tx pgx.Tx, ids []int64) ([]int64, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := tx.Query(ctx, `SELECT id FROM conversations WHERE id = ANY($1) ORDER BY id FOR UPDATE`, ids)
	if err != nil {
		return nil, fmt.Errorf("lock conversations: %w", err)
	}
	locked, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("lock conversations: %w", err)
	}
	return locked, nil
}

// conversationsWithBoth returns the conversations that have both users as
// members.
func conversationsWithBoth(ctx context.Context, tx pgx.Tx, a, b int64) ([]int64, error) {
	rows, err := tx.Query(ctx, `
		SELECT x.conversation_id
		FROM conversation_members x JOIN conversation_members y USING (conversation_id)
		WHERE x.user_id = $1 AND y.user_id = $2`, a, b)
	if err != nil {
		return nil, fmt.Errorf("conversations of users %d and %d: %w", a, b, err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

// recheckPair re-checks every conversation holding both children after
// their contact link changed. The caller holds both children's rule locks,
// so no conversation can gain either of them meanwhile.
func recheckPair(ctx context.Context, tx pgx.Tx, actorID, a, b int64) error {
	ids, err := conversationsWithBoth(ctx, tx, a, b)
	if err != nil {
		return err
	}
	if ids, err = lockConversations(ctx, tx, ids); err != nil {
		return err
	}
	return recheck(ctx, tx, actorID, ids)
}

// ruleHolds evaluates the rule for one conversation.
func ruleHolds(ctx context.Context, tx pgx.Tx, convID int64) (bool, error) {
	var ok bool
	err := tx.QueryRow(ctx, `SELECT `+ruleHoldsSQL+` FROM conversations c WHERE c.id = $1`, convID).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("check contact rule of conversation %d: %w", convID, err)
	}
	return ok, nil
}

// recheck freezes each of the conversations (locked by the caller) that
// breaks the rule and thaws each that satisfies it again, posting a system
// message, sent in actorID's name, for every change.
func recheck(ctx context.Context, tx pgx.Tx, actorID int64, convIDs []int64) error {
	if len(convIDs) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, `
		UPDATE conversations c
		SET frozen_at = CASE WHEN r.ok THEN NULL ELSE CURRENT_TIMESTAMP END
		FROM (SELECT c.id, `+ruleHoldsSQL+` AS ok FROM conversations c WHERE c.id = ANY($1)) r
		WHERE c.id = r.id AND (c.frozen_at IS NULL) <> r.ok
		RETURNING c.id, r.ok`, convIDs)
	if err != nil {
		return fmt.Errorf("re-check contact rule: %w", err)
	}
	type change struct {
		id     int64
		thawed bool
	}
	changes, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (change, error) {
		var c change
		return c, r.Scan(&c.id, &c.thawed)
	})
	if err != nil {
		return fmt.Errorf("re-check contact rule: %w", err)
	}
	for _, c := range changes {
		event, live := "conversation_frozen", eventlog.ConvFrozen
		if c.thawed {
			event, live = "conversation_unfrozen", eventlog.ConvUnfrozen
		}
		if err := conversationEvent(ctx, tx, live, c.id, nil, 0); err != nil {
			return err
		}
		if err := systemMessage(ctx, tx, c.id, actorID, systemEvent{Event: event}); err != nil {
			return err
		}
	}
	return nil
}

// systemEvent is the content of a system message: structured, naming users
// only by id, never by name, so that a deleted account's names vanish from
// every table but the audit log. Title is a group's new title ("renamed"):
// the members' own words, as readable as the group's title itself.
type systemEvent struct {
	Event  string `json:"event"`
	UserID int64  `json:"user_id,omitempty"`
	Title  string `json:"title,omitempty"`
}

// systemMessage posts a server-written message to a conversation the
// caller has locked (and keeps locked until commit: see nextMessageTimeSQL). senderID is the user whose action caused it.
func systemMessage(ctx context.Context, tx pgx.Tx, convID, senderID int64, e systemEvent) error {
	content, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("system message: %w", err)
	}
	m, err := ScanMessage(tx.QueryRow(ctx, `
		INSERT INTO messages AS m (conversation_id, sender_id, type, content, created_at)
		VALUES ($1, $2, 'system', $3, `+nextMessageTimeSQL+`)
		RETURNING `+MessageColumns, convID, senderID, string(content)))
	if err != nil {
		return fmt.Errorf("system message in conversation %d: %w", convID, err)
	}
	return messageEvents(ctx, tx, eventlog.MessageCreated, m)
}

package store

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/audit"
	"pixelpals/internal/domain"
	"pixelpals/internal/eventlog"
)

// Blocks (issue 12.3, docs/controls.md): a child blocks one of their
// contacts. The link stays; the contact rule (rule.go) counts a blocked link
// as not approved, so the pair's direct chat and every group they share
// freeze for everyone (recheckPair, under the same locks as any contact
// change) until the blocker's parent unblocks, or removes one of them from
// a group. Only that parent can unblock.

type blockNote struct {
	ContactID      int64 `json:"contact_id"`
	ChildID        int64 `json:"child_id"`
	BlockedChildID int64 `json:"blocked_child_id"`
}

// blockChange locks link id and both children the way contactChange does
// (rule locks of the actor and both children, then the link's row) and
// runs change with the link's current blocker (nil when none).
func (db *DB) blockChange(ctx context.Context, actor *domain.Actor, id int64,
	visible func(c contactRow) bool, change func(tx pgx.Tx, c contactRow, blockedBy *int64) error) (domain.Contact, error) {
	var out domain.Contact
	err := db.transact(ctx, txRetry, func(tx pgx.Tx) error {
		c, err := readContact(ctx, tx, id, false)
		if err != nil {
			return err
		}
		if !visible(c) {
			return domain.Errorf(domain.CodeNotFound, "no such contact")
		}
		if _, err := lockUsers(ctx, tx, actor.UserID, c.a, c.b); err != nil {
			return err
		}
		if c, err = readContact(ctx, tx, id, true); err != nil {
			return err
		}
		var blockedBy *int64
		if err := tx.QueryRow(ctx, `SELECT blocked_by FROM contacts WHERE id = $1`, id).Scan(&blockedBy); err != nil {
			return fmt.Errorf("read block of contact %d: %w", id, err)
		}
		if err := change(tx, c, blockedBy); err != nil {
			return err
		}
		out, err = contactIn(ctx, tx, id)
		return err
	})
	return out, err
}

// BlockContact: the acting child blocks link id (one of their own; that
// only children block is the route table's to decide).
func (db *DB) BlockContact(ctx context.Context, actor *domain.Actor, id int64) (domain.Contact, error) {
	return db.blockChange(ctx, actor, id, func(c contactRow) bool { return actor.UserID == c.a || actor.UserID == c.b },
		func(tx pgx.Tx, c contactRow, blockedBy *int64) error {
			if blockedBy != nil {
				return domain.Errorf(domain.CodeConflict, "this contact is already blocked")
			}
			if _, err := tx.Exec(ctx, `UPDATE contacts SET blocked_by = $2, blocked_at = CURRENT_TIMESTAMP WHERE id = $1`,
				c.id, actor.UserID); err != nil {
				return fmt.Errorf("block contact %d: %w", c.id, err)
			}
			mine, other := c.sideOf(actor)
			if err := audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: audit.ContactBlock, EntityType: "contact", EntityID: c.id,
				After: contactAudit(c, actor, "blocked")}); err != nil {
				return err
			}
			if err := eventlog.Append(ctx, tx, []eventlog.Event{{Type: eventlog.ContactBlocked, To: append([]int64{mine}, c.guardiansOfSide(mine)...),
				Data: blockNote{c.id, mine, other}}}); err != nil {
				return err
			}
			if err := notifyBlock(ctx, tx, c, mine); err != nil {
				return err
			}
			return recheckPair(ctx, tx, actor.UserID, c.a, c.b)
		})
}

// UnblockContact: the parent of the child who blocked link id lifts the
// block; the pair's conversations thaw where the rule holds again.
func (db *DB) UnblockContact(ctx context.Context, actor *domain.Actor, id int64) (domain.Contact, error) {
	return db.blockChange(ctx, actor, id, func(c contactRow) bool { return c.parentOf(actor.UserID) },
		func(tx pgx.Tx, c contactRow, blockedBy *int64) error {
			if blockedBy == nil {
				return domain.Errorf(domain.CodeConflict, "this contact is not blocked")
			}
			blocker, other := c.a, c.b
			if *blockedBy == c.b {
				blocker, other = c.b, c.a
			}
			if !slices.Contains(c.guardiansOfSide(blocker), actor.UserID) {
				return domain.Errorf(domain.CodeForbidden, "only a guardian of the child who blocked can unblock")
			}
			if _, err := tx.Exec(ctx, `UPDATE contacts SET blocked_by = NULL, blocked_at = NULL WHERE id = $1`, c.id); err != nil {
				return fmt.Errorf("unblock contact %d: %w", c.id, err)
			}
			if err := audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: audit.ContactUnblock, EntityType: "contact", EntityID: c.id,
				Before: map[string]any{"contact_id": c.id, "child_id": blocker, "other_child_id": other, "status": "blocked"}}); err != nil {
				return err
			}
			if err := eventlog.Append(ctx, tx, []eventlog.Event{{Type: eventlog.ContactUnblocked, To: append([]int64{blocker}, c.guardiansOfSide(blocker)...),
				Data: blockNote{c.id, blocker, other}}}); err != nil {
				return err
			}
			return recheckPair(ctx, tx, actor.UserID, c.a, c.b)
		})
}

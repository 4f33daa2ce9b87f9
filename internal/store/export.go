package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/audit"
	"pixelpals/internal/domain"
)

// ChildExport is everything held about a child (SPEC §9), for their parent.
type ChildExport struct {
	ExportedAt      time.Time            `json:"exported_at"`
	User            domain.User          `json:"user"`
	Profile         domain.Profile       `json:"profile"`
	Contacts        []domain.Contact     `json:"contacts"`
	Conversations   []ExportConversation `json:"conversations"`
	GameCredentials []ExportCredential   `json:"game_credentials"`
	// SleepMode is the child's quiet hours (spans in minutes after local
	// midnight, as stored), null when none is set.
	SleepMode *SleepSchedule `json:"sleep_mode"`
	// LeakGuardHits are the sends the password-leak guard refused, naming
	// the game only: neither the password nor the message is kept.
	LeakGuardHits []ActivityLeakHit `json:"leak_guard_hits"`
	// Reactions are the reactions the child put on messages.
	Reactions []ExportReaction `json:"reactions"`
	// TrustedAdults are the child's trusted grown-ups, pending and active
	// (issue 21.3): names and dates, never a code or its hash.
	TrustedAdults []ExportTrusted `json:"trusted_adults"`
	AuditLogs     []audit.Record  `json:"audit_logs"`
}

// ExportConversation is a conversation the child is in, with the messages
// the child can see (deleted ones as tombstones).
type ExportConversation struct {
	ID        int64           `json:"id"`
	IsGroup   bool            `json:"is_group"`
	Title     *string         `json:"title"`
	CreatedAt time.Time       `json:"created_at"`
	MemberIDs []int64         `json:"member_ids"`
	Messages  []ExportMessage `json:"messages"`
}

// ExportMessage is one message as the child sees it.
type ExportMessage struct {
	ID        int64      `json:"id"`
	SenderID  int64      `json:"sender_id"`
	Type      string     `json:"type"`
	Content   *string    `json:"content"`
	MediaID   *int64     `json:"media_id"`
	MediaURL  *string    `json:"media_url"`
	CreatedAt time.Time  `json:"created_at"`
	DeletedAt *time.Time `json:"deleted_at"`
}

// ExportCredential is a game login without its password.
type ExportCredential struct {
	ID        int64     `json:"id"`
	GameName  string    `json:"game_name"`
	Username  string    `json:"username"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ExportChild gathers everything held about the acting guardian's child, in
// one repeatable-read snapshot so the parts agree with each other.
func (db *DB) ExportChild(ctx context.Context, actor *domain.Actor, childID int64) (ChildExport, error) {
	var out ChildExport
	err := db.transact(ctx, txSnapshot, func(tx pgx.Tx) error {
		var err error
		if out.User, out.Profile, err = db.userAndProfile(ctx, tx, childID); err != nil {
			return err
		}
		var mine bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users u WHERE u.id = $1 AND `+ChildOfSQL("u", "$2")+`)`,
			childID, actor.UserID).Scan(&mine); err != nil {
			return fmt.Errorf("check child %d: %w", childID, err)
		}
		if !mine {
			return domain.Errorf(domain.CodeNotFound, "no such child")
		}
		if out.Conversations, err = exportConversations(ctx, tx, childID); err != nil {
			return err
		}
		if out.GameCredentials, err = exportCredentials(ctx, tx, childID); err != nil {
			return err
		}
		if out.Contacts, err = exportChildContacts(ctx, tx, childID); err != nil {
			return err
		}
		if out.SleepMode, err = exportSleep(ctx, tx, childID); err != nil {
			return err
		}
		if out.LeakGuardHits, err = exportLeakHits(ctx, tx, childID); err != nil {
			return err
		}
		if out.Reactions, err = exportReactions(ctx, tx, childID); err != nil {
			return err
		}
		if out.TrustedAdults, err = exportTrusted(ctx, tx, childID); err != nil {
			return err
		}
		out.AuditLogs, err = exportAudit(ctx, tx, childID)
		return err
	})
	out.ExportedAt = time.Now().UTC()
	return out, err
}

func exportConversations(ctx context.Context, tx pgx.Tx, childID int64) ([]ExportConversation, error) {
	rows, err := tx.Query(ctx, `
		SELECT c.id, coalesce(c.is_group, false), c.title, coalesce(c.created_at, CURRENT_TIMESTAMP),
		       array(SELECT user_id FROM conversation_members WHERE conversation_id = c.id ORDER BY user_id)
		FROM conversations c JOIN conversation_members m ON m.conversation_id = c.id
		WHERE m.user_id = $1
		ORDER BY c.id`, childID)
	if err != nil {
		return nil, fmt.Errorf("export conversations: %w", err)
	}
	convs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ExportConversation, error) {
		var c ExportConversation
		err := r.Scan(&c.ID, &c.IsGroup, &c.Title, &c.CreatedAt, &c.MemberIDs)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("export conversations: %w", err)
	}
	for i := range convs {
		rows, err := tx.Query(ctx, `
			SELECT id, sender_id, type,
			       CASE WHEN deleted_at IS NULL THEN content END,
			       CASE WHEN deleted_at IS NULL THEN media_id END,
			       CASE WHEN deleted_at IS NULL THEN media_url END,
			       coalesce(created_at, CURRENT_TIMESTAMP), deleted_at
			FROM messages WHERE conversation_id = $1
			ORDER BY created_at, id`, convs[i].ID)
		if err != nil {
			return nil, fmt.Errorf("export messages: %w", err)
		}
		convs[i].Messages, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (ExportMessage, error) {
			var m ExportMessage
			err := r.Scan(&m.ID, &m.SenderID, &m.Type, &m.Content, &m.MediaID, &m.MediaURL, &m.CreatedAt, &m.DeletedAt)
			return m, err
		})
		if err != nil {
			return nil, fmt.Errorf("export messages: %w", err)
		}
	}
	return convs, nil
}

func exportCredentials(ctx context.Context, tx pgx.Tx, childID int64) ([]ExportCredential, error) {
	rows, err := tx.Query(ctx, `
		SELECT g.id, g.game_name, g.username, coalesce(g.created_at, CURRENT_TIMESTAMP), coalesce(g.updated_at, CURRENT_TIMESTAMP)
		FROM game_credentials g JOIN profiles p ON p.id = g.profile_id
		WHERE p.user_id = $1 ORDER BY g.id`, childID)
	if err != nil {
		return nil, fmt.Errorf("export game credentials: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (ExportCredential, error) {
		var c ExportCredential
		err := r.Scan(&c.ID, &c.GameName, &c.Username, &c.CreatedAt, &c.UpdatedAt)
		return c, err
	})
}

// exportAudit returns the audit entries about the child: done by them, done
// to their account, or naming them as child_id (keeper, contacts, reports).
// Columns as audit.Scan reads them.
func exportAudit(ctx context.Context, tx pgx.Tx, childID int64) ([]audit.Record, error) {
	// The client address of an action by staff (an admin) is theirs, not
	// the family's: it is left out, and so is a moderator's note (it may
	// speak of the other family's child, and is staff's own words).
	rows, err := tx.Query(ctx, `
		SELECT id, actor_id, action, entity_type, entity_id, before_json, after_json - 'note',
		       CASE WHEN actor_id = $1 OR EXISTS (SELECT 1 FROM users k WHERE k.id = $1 AND `+GuardianSQL("k", "actor_id")+`) THEN ip END,
		       coalesce(created_at, CURRENT_TIMESTAMP)
		FROM audit_logs
		WHERE actor_id = $1
		   OR (entity_type = 'user' AND entity_id = $1)
		   OR (after_json->>'child_id')::int = $1
		   OR (before_json->>'child_id')::int = $1
		ORDER BY id`, childID)
	if err != nil {
		return nil, fmt.Errorf("export audit logs: %w", err)
	}
	return pgx.CollectRows(rows, audit.Scan)
}

func exportSleep(ctx context.Context, tx pgx.Tx, childID int64) (*SleepSchedule, error) {
	s, err := scanSleep(tx.QueryRow(ctx, `SELECT `+sleepColumns+` FROM sleep_schedules WHERE child_id = $1`, childID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("export sleep mode: %w", err)
	}
	return &s, nil
}

func exportLeakHits(ctx context.Context, tx pgx.Tx, childID int64) ([]ActivityLeakHit, error) {
	rows, err := tx.Query(ctx, `
		SELECT id, game_name, conversation_id, created_at
		FROM leak_guard_hits WHERE child_id = $1 ORDER BY id`, childID)
	if err != nil {
		return nil, fmt.Errorf("export leak guard hits: %w", err)
	}
	hits, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ActivityLeakHit, error) {
		var h ActivityLeakHit
		err := r.Scan(&h.ID, &h.GameName, &h.ConversationID, &h.At)
		return h, err
	})
	if err != nil {
		return nil, fmt.Errorf("export leak guard hits: %w", err)
	}
	if hits == nil {
		hits = []ActivityLeakHit{}
	}
	return hits, nil
}

// ExportReaction is one reaction the child put on a message.
type ExportReaction struct {
	ConversationID int64     `json:"conversation_id"`
	MessageID      int64     `json:"message_id"`
	Kind           string    `json:"kind"`
	CreatedAt      time.Time `json:"created_at"`
}

func exportReactions(ctx context.Context, tx pgx.Tx, childID int64) ([]ExportReaction, error) {
	rows, err := tx.Query(ctx, `
		SELECT m.conversation_id, r.message_id, r.kind, r.created_at
		FROM message_reactions r JOIN messages m ON m.id = r.message_id
		WHERE r.user_id = $1 ORDER BY r.message_id, r.kind`, childID)
	if err != nil {
		return nil, fmt.Errorf("export reactions: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ExportReaction, error) {
		var x ExportReaction
		err := r.Scan(&x.ConversationID, &x.MessageID, &x.Kind, &x.CreatedAt)
		return x, err
	})
	if err != nil {
		return nil, fmt.Errorf("export reactions: %w", err)
	}
	if out == nil {
		out = []ExportReaction{}
	}
	return out, nil
}

// ExportTrusted is one trusted grown-up of the child: who, proposed by
// whom and when, approved by whom and when, active since when.
type ExportTrusted struct {
	AdultID        int64            `json:"adult_id"`
	DisplayName    string           `json:"display_name"`
	Status         string           `json:"status"` // "pending" or "active"
	ProposedByName *string          `json:"proposed_by_display_name"`
	ProposedAt     time.Time        `json:"proposed_at"`
	ActiveAt       *time.Time       `json:"active_at"`
	Approvals      []ExportApproval `json:"approvals"`
}

// ExportApproval is one guardian's approval of a trusted grown-up.
type ExportApproval struct {
	DisplayName string    `json:"display_name"`
	ApprovedAt  time.Time `json:"approved_at"`
}

// exportTrustedSQL lists the trusted grown-ups of child $1 with their
// approvals. A proposer or approver whose account is gone has no name
// (proposed_by is NULL, or the approval went with the account).
const exportTrustedSQL = `
	SELECT t.adult_id, coalesce(ap.display_name, ''), t.active_at IS NOT NULL, pp.display_name, t.proposed_at, t.active_at,
	       array(SELECT coalesce(gp.display_name, '') FROM trusted_approvals a LEFT JOIN profiles gp ON gp.user_id = a.guardian_id
	             WHERE a.child_id = t.child_id AND a.adult_id = t.adult_id ORDER BY a.approved_at, a.guardian_id),
	       array(SELECT a.approved_at FROM trusted_approvals a
	             WHERE a.child_id = t.child_id AND a.adult_id = t.adult_id ORDER BY a.approved_at, a.guardian_id)
	FROM trusted_adults t
	LEFT JOIN profiles ap ON ap.user_id = t.adult_id
	LEFT JOIN profiles pp ON pp.user_id = t.proposed_by
	WHERE t.child_id = $1
	ORDER BY t.proposed_at, t.adult_id`

func exportTrusted(ctx context.Context, tx pgx.Tx, childID int64) ([]ExportTrusted, error) {
	rows, err := tx.Query(ctx, exportTrustedSQL, childID)
	if err != nil {
		return nil, fmt.Errorf("export trusted grown-ups: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ExportTrusted, error) {
		var x ExportTrusted
		var active bool
		var names []string
		var at []time.Time
		if err := r.Scan(&x.AdultID, &x.DisplayName, &active, &x.ProposedByName, &x.ProposedAt, &x.ActiveAt, &names, &at); err != nil {
			return x, err
		}
		x.Status = "pending"
		if active {
			x.Status = "active"
		}
		x.Approvals = make([]ExportApproval, len(names))
		for i := range names {
			x.Approvals[i] = ExportApproval{DisplayName: names[i], ApprovedAt: at[i]}
		}
		return x, nil
	})
	if err != nil {
		return nil, fmt.Errorf("export trusted grown-ups: %w", err)
	}
	if out == nil {
		out = []ExportTrusted{}
	}
	return out, nil
}

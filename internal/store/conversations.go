package store

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/domain"
	"pixelpals/internal/eventlog"
	"pixelpals/internal/locale"
)

// MaxGroupMembers bounds a group, and with it the cost of checking the
// contact rule (every pair of children).
const MaxGroupMembers = 50

// ruleError refuses a change the contact rule does not allow. It names no
// member: whether an id is unknown or just not allowed is not told.
func ruleError(field string) error {
	return &domain.Error{Code: domain.CodeForbidden, Field: field,
		Message: "the contact rule does not allow this conversation: a child talks only with their own parent " +
			"and with approved contacts, every two children in a group must be approved contacts, " +
			"and every adult in it must be the parent of every child in it"}
}

// NewConversation is a conversation to create. MemberIDs need not hold the
// creator, who is always a member.
type NewConversation struct {
	MemberIDs []int64
	IsGroup   bool
	Title     string // groups only
}

// CreateConversation creates a direct conversation or a group, refused
// unless it satisfies the contact rule. A direct conversation that exists
// already is returned instead (created false).
func (db *DB) CreateConversation(ctx context.Context, actor *domain.Actor, nc NewConversation) (domain.Conversation, bool, error) {
	members := append(slices.Clone(nc.MemberIDs), actor.UserID)
	slices.Sort(members)
	members = slices.Compact(members)
	switch {
	case !nc.IsGroup && len(members) != 2:
		return domain.Conversation{}, false, domain.Invalid("member_ids", "a direct conversation has exactly two members: you and one other")
	case nc.IsGroup && (len(members) < 2 || len(members) > MaxGroupMembers):
		return domain.Conversation{}, false, domain.Invalid("member_ids", "a group has 2 to %d members, you included", MaxGroupMembers)
	}
	id, created, err := db.createConversation(ctx, actor, nc, members)
	if err != nil {
		return domain.Conversation{}, false, err
	}
	c, err := db.Conversation(ctx, actor, id)
	return c, created, err
}

// CreateConversationFor creates a group for a parent's own child: the
// child is its creator and owner, as if they had made it. The parent, who
// shares a chat only with their own children (docs/chat.md), is not in
// it and reads it as any chat of their child's.
func (db *DB) CreateConversationFor(ctx context.Context, parent *domain.Actor, childID int64, nc NewConversation) (domain.Conversation, error) {
	if _, err := db.childrenInView(ctx, parent, childID); err != nil {
		return domain.Conversation{}, err
	}
	child := &domain.Actor{UserID: childID, Role: domain.RoleChild, Active: true}
	c, _, err := db.CreateConversation(ctx, child, nc)
	if err != nil {
		return domain.Conversation{}, err
	}
	return db.Conversation(ctx, parent, c.ID)
}

// createConversation writes a conversation of members (sorted, without
// duplicates, the creator among them), or finds the direct one.
func (db *DB) createConversation(ctx context.Context, actor *domain.Actor, nc NewConversation, members []int64) (int64, bool, error) {
	var id int64
	var created bool
	err := db.transact(ctx, txRetry, func(tx pgx.Tx) error {
		live, err := lockUsers(ctx, tx, members...)
		if err != nil {
			return err
		}
		if !nc.IsGroup {
			found, err := directBetween(ctx, tx, members[0], members[1])
			if err != nil || found != 0 {
				id, created = found, false
				return err
			}
		}
		if live != len(members) {
			return ruleError("member_ids")
		}
		id, created = 0, true
		return insertConversation(ctx, tx, actor, nc, members, &id)
	})
	return id, created, err
}

// directBetween finds the direct conversation of two users, or 0.
func directBetween(ctx context.Context, tx pgx.Tx, a, b int64) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `
		SELECT c.id FROM conversations c
		JOIN conversation_members x ON x.conversation_id = c.id AND x.user_id = $1
		JOIN conversation_members y ON y.conversation_id = c.id AND y.user_id = $2
		WHERE NOT coalesce(c.is_group, false)
		ORDER BY c.id LIMIT 1`, a, b).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("find direct conversation of %d and %d: %w", a, b, err)
	}
	return id, nil
}

// insertConversation writes the conversation and its members (all
// rule-locked by the caller) and refuses it unless the rule holds.
func insertConversation(ctx context.Context, tx pgx.Tx, actor *domain.Actor, nc NewConversation, members []int64, id *int64) error {
	var title *string
	if nc.IsGroup {
		title = &nc.Title
	}
	err := tx.QueryRow(ctx, `
		INSERT INTO conversations (is_group, title, created_by) VALUES ($1, $2, $3) RETURNING id`,
		nc.IsGroup, title, actor.UserID).Scan(id)
	if err != nil {
		return fmt.Errorf("insert conversation: %w", err)
	}
	// The creator owns a group; a direct conversation has no owner.
	_, err = tx.Exec(ctx, `
		INSERT INTO conversation_members (conversation_id, user_id, role_in_convo)
		SELECT $1, m, CASE WHEN $4 AND m = $3 THEN 'owner' ELSE 'member' END FROM unnest($2::int[]) m`,
		*id, members, actor.UserID, nc.IsGroup)
	if err != nil {
		return fmt.Errorf("insert members of conversation %d: %w", *id, err)
	}
	ok, err := ruleHolds(ctx, tx, *id)
	if err != nil {
		return err
	}
	if !ok {
		return ruleError("member_ids")
	}
	return conversationEvent(ctx, tx, eventlog.ConvCreated, *id, nil, 0)
}

// convAccess is what one actor may do with one conversation.
type convAccess struct {
	isGroup        bool
	member         bool
	owner          bool
	parentOfMember bool // a parent of a child member: reads everything, read-only
	adminReported  bool // an admin, and a message in it was reported
}

func (a convAccess) canRead() bool { return a.member || a.parentOfMember || a.adminReported }

// accessTo loads the actor's access to a conversation (visibility.go:
// member, parent of a member, admin of a reported one); one they may not
// read is not_found. The member's row is joined for its role too.
func accessTo(ctx context.Context, q querier, actor *domain.Actor, convID int64) (convAccess, error) {
	var a convAccess
	err := q.QueryRow(ctx, `
		SELECT coalesce(c.is_group, false), m.user_id IS NOT NULL, coalesce(m.role_in_convo = 'owner', false),
		       `+ParentOfMemberSQL("c.id", "$2")+`,
		       $3::boolean AND `+AdminReadsSQL("c.id")+`
		FROM conversations c
		LEFT JOIN conversation_members m ON m.conversation_id = c.id AND m.user_id = $2
		WHERE c.id = $1`, convID, actor.UserID, actor.IsAdmin()).
		Scan(&a.isGroup, &a.member, &a.owner, &a.parentOfMember, &a.adminReported)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && !a.canRead()) {
		return a, domain.Errorf(domain.CodeNotFound, "no such conversation")
	}
	if err != nil {
		return a, fmt.Errorf("access to conversation %d: %w", convID, err)
	}
	return a, nil
}

// errReadOnly refuses a change by someone who may only read.
func errReadOnly() error {
	return domain.Errorf(domain.CodeForbidden, "you can read this conversation but are not a member of it")
}

// Conversation returns one conversation for a member, a parent of a member
// (read-only) or an admin when a message in it was reported (read-only).
func (db *DB) Conversation(ctx context.Context, actor *domain.Actor, id int64) (domain.Conversation, error) {
	if _, err := accessTo(ctx, db.Pool, actor, id); err != nil {
		return domain.Conversation{}, err
	}
	convs, err := conversationsFor(ctx, db.Pool, actor.UserID, []int64{id})
	if err != nil {
		return domain.Conversation{}, err
	}
	if len(convs) == 0 {
		return domain.Conversation{}, domain.Errorf(domain.CodeNotFound, "no such conversation")
	}
	return convs[0], nil
}

// ListConversations returns conversations newest first: the actor's own
// and, for a parent, those of all their children (read-only for them);
// childID narrows a parent's list to one child's conversations. A chat the
// actor hid (HideConversation) is left out of their own list, never of
// their parent's.
func (db *DB) ListConversations(ctx context.Context, actor *domain.Actor, childID, afterID int64, limit int) ([]domain.Conversation, error) {
	whose := []int64{actor.UserID}
	switch {
	case childID != 0 && childID != actor.UserID:
		kids, err := db.childrenInView(ctx, actor, childID)
		if err != nil {
			return nil, err
		}
		whose = kids
	case childID == 0 && actor.IsParent():
		kids, err := db.childrenInView(ctx, actor, 0)
		if err != nil {
			return nil, err
		}
		whose = append(whose, kids...)
	}
	rows, err := db.Pool.Query(ctx, `
		SELECT DISTINCT conversation_id FROM conversation_members
		WHERE user_id = ANY($1) AND ($2 = 0 OR conversation_id < $2)
		  AND (hidden_at IS NULL OR user_id <> $4) -- hidden only from the member's own list
		ORDER BY conversation_id DESC
		LIMIT $3`, whose, afterID, limit, actor.UserID)
	if err != nil {
		return nil, fmt.Errorf("list conversations of %v: %w", whose, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("list conversations of %v: %w", whose, err)
	}
	return conversationsFor(ctx, db.Pool, actor.UserID, ids)
}

// conversationsFor loads the conversations with their members, in the
// order of ids, as viewer sees them (read-only unless a member), through q:
// the pool, or a transaction whose own changes its events must show.
func conversationsFor(ctx context.Context, q rowsQuerier, viewerID int64, ids []int64) ([]domain.Conversation, error) {
	if len(ids) == 0 {
		return []domain.Conversation{}, nil
	}
	rows, err := q.Query(ctx, `
		SELECT c.id, coalesce(c.is_group, false), c.title, c.created_by, coalesce(c.created_at, CURRENT_TIMESTAMP), c.frozen_at
		FROM conversations c WHERE c.id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("load conversations: %w", err)
	}
	byID := map[int64]*domain.Conversation{}
	convs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*domain.Conversation, error) {
		c := &domain.Conversation{Members: []domain.Member{}, ChildIDs: []int64{}, DeletedMemberIDs: []int64{}, ReadOnly: true}
		err := r.Scan(&c.ID, &c.IsGroup, &c.Title, &c.CreatedBy, &c.CreatedAt, &c.FrozenAt)
		c.Frozen = c.FrozenAt != nil
		byID[c.ID] = c
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("load conversations: %w", err)
	}
	if err := loadMembers(ctx, q, byID, ids, viewerID); err != nil {
		return nil, err
	}
	if err := loadDepartures(ctx, q, byID, ids); err != nil {
		return nil, err
	}
	if err := loadReadStates(ctx, q, byID, ids, viewerID); err != nil {
		return nil, err
	}
	out := make([]domain.Conversation, 0, len(convs))
	for _, id := range ids {
		if c, ok := byID[id]; ok {
			out = append(out, *c)
		}
	}
	return out, nil
}

// loadMembers adds their members to the conversations byID (ids), each
// as viewer sees it: their own children among them, and read-only unless
// a member.
func loadMembers(ctx context.Context, q rowsQuerier, byID map[int64]*domain.Conversation, ids []int64, viewerID int64) error {
	rows, err := q.Query(ctx, `
		SELECT m.conversation_id, m.user_id, u.role, coalesce(m.role_in_convo, 'member'),
		       coalesce(p.display_name, ''), coalesce(m.joined_at, CURRENT_TIMESTAMP),
		       coalesce(`+GuardianSQL("u", "$2")+`, false)
		FROM conversation_members m JOIN users u ON u.id = m.user_id
		LEFT JOIN profiles p ON p.user_id = m.user_id
		WHERE m.conversation_id = ANY($1)
		ORDER BY m.conversation_id, m.joined_at, m.user_id`, ids, viewerID)
	if err != nil {
		return fmt.Errorf("load members: %w", err)
	}
	var convID int64
	var m domain.Member
	var ownChild bool
	_, err = pgx.ForEachRow(rows, []any{&convID, &m.UserID, &m.Role, &m.RoleInConvo, &m.DisplayName, &m.JoinedAt, &ownChild}, func() error {
		c := byID[convID]
		if c == nil {
			return nil
		}
		c.Members = append(c.Members, m)
		if ownChild {
			c.ChildIDs = append(c.ChildIDs, m.UserID)
		}
		c.VisibleToParents = c.VisibleToParents || m.Role == domain.RoleChild
		c.ReadOnly = c.ReadOnly && m.UserID != viewerID
		return nil
	})
	if err != nil {
		return fmt.Errorf("load members: %w", err)
	}
	return nil
}

// groupOwner refuses what only a group's owner may do (add a member,
// rename) to anyone else: a reader who is no member, any member of a
// direct conversation (direct says why), a member who is not the owner
// (notOwner says why).
func (acc convAccess) groupOwner(direct, notOwner string) error {
	switch {
	case !acc.member:
		return errReadOnly()
	case !acc.isGroup:
		return &domain.Error{Code: domain.CodeConflict, Message: direct}
	case !acc.owner:
		return &domain.Error{Code: domain.CodeForbidden, Message: notOwner}
	}
	return nil
}

// lockConversation locks one conversation's row and loads the actor's
// access to it.
func lockConversation(ctx context.Context, tx pgx.Tx, actor *domain.Actor, convID int64) (convAccess, error) {
	if _, err := lockConversations(ctx, tx, []int64{convID}); err != nil {
		return convAccess{}, err
	}
	return accessTo(ctx, tx, actor, convID)
}

// AddMember adds a user to a group: only its owner may, and only when the
// group still satisfies the contact rule afterwards.
func (db *DB) AddMember(ctx context.Context, actor *domain.Actor, convID, userID int64) (domain.Conversation, error) {
	err := db.transact(ctx, txRetry, func(tx pgx.Tx) error {
		live, err := lockUsers(ctx, tx, actor.UserID, userID)
		if err != nil {
			return err
		}
		acc, err := lockConversation(ctx, tx, actor, convID)
		if err == nil {
			err = acc.groupOwner(locale.Text("a direct conversation has exactly two members"), locale.Text("only the group's owner adds members"))
		}
		switch {
		case err != nil:
			return err
		case userID != actor.UserID && live < 2:
			return ruleError("user_id")
		}
		tag, err := tx.Exec(ctx, `
			INSERT INTO conversation_members (conversation_id, user_id) VALUES ($1, $2)
			ON CONFLICT DO NOTHING`, convID, userID)
		if err != nil {
			return fmt.Errorf("add member %d to conversation %d: %w", userID, convID, err)
		}
		if tag.RowsAffected() == 0 {
			return &domain.Error{Code: domain.CodeConflict, Message: "already a member", Field: "user_id"}
		}
		if err := checkGroupSize(ctx, tx, convID); err != nil {
			return err
		}
		ok, err := ruleHolds(ctx, tx, convID)
		if err != nil {
			return err
		}
		if !ok {
			return ruleError("user_id")
		}
		// Someone is back in a chat its members may have hidden.
		if _, err := tx.Exec(ctx, `UPDATE conversation_members SET hidden_at = NULL WHERE conversation_id = $1`, convID); err != nil {
			return fmt.Errorf("unhide conversation %d: %w", convID, err)
		}
		if err := conversationEvent(ctx, tx, eventlog.ConvMemberAdded, convID, nil, userID); err != nil {
			return err
		}
		if err := systemMessage(ctx, tx, convID, actor.UserID, systemEvent{Event: "member_added", UserID: userID}); err != nil {
			return err
		}
		// A group frozen for want of a parent's child may thaw now.
		return recheck(ctx, tx, actor.UserID, []int64{convID})
	})
	if err != nil {
		return domain.Conversation{}, err
	}
	return db.Conversation(ctx, actor, convID)
}

func checkGroupSize(ctx context.Context, tx pgx.Tx, convID int64) error {
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM conversation_members WHERE conversation_id = $1`, convID).Scan(&n); err != nil {
		return fmt.Errorf("count members of conversation %d: %w", convID, err)
	}
	if n > MaxGroupMembers {
		return domain.Errorf(domain.CodeConflict, "a group has at most %d members", MaxGroupMembers)
	}
	return nil
}

// RemoveMember takes a user out of a group: the owner removes anyone, a
// member leaves, and a parent takes their own child out. The group is then
// re-checked: it freezes if, say, the child of a parent in it has gone.
func (db *DB) RemoveMember(ctx context.Context, actor *domain.Actor, convID, userID int64) error {
	return db.transact(ctx, txRetry, func(tx pgx.Tx) error {
		if _, err := lockUsers(ctx, tx, actor.UserID); err != nil {
			return err
		}
		acc, err := lockConversation(ctx, tx, actor, convID)
		if err != nil {
			return err
		}
		// Only a live child is the actor's own (ChildOfSQL). This used to
		// skip the deleted_at check; no access hung on it, since a deleted
		// account has left every conversation in its deletion's
		// transaction, but removing a deleted child is now answered as
		// removing anyone else is (403 for a non-owner) and no longer 404.
		var isParent bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users u WHERE u.id = $1 AND `+ChildOfSQL("u", "$2")+`)`,
			userID, actor.UserID).Scan(&isParent); err != nil {
			return fmt.Errorf("check child %d: %w", userID, err)
		}
		switch {
		case !(acc.owner || (acc.member && userID == actor.UserID) || isParent):
			if !acc.member {
				return errReadOnly()
			}
			return domain.Errorf(domain.CodeForbidden, "only the group's owner removes other members")
		case !acc.isGroup:
			return domain.Errorf(domain.CodeConflict, "nobody leaves a direct conversation")
		}
		event := "member_removed"
		if userID == actor.UserID {
			event = "member_left"
		}
		if err := leave(ctx, tx, convID, userID, actor.UserID, event); err != nil {
			return err
		}
		return recheck(ctx, tx, actor.UserID, []int64{convID})
	})
}

// leave takes userID out of a locked conversation, hands a group's
// ownership on when its owner goes, and posts the system message. The
// caller re-checks the rule.
func leave(ctx context.Context, tx pgx.Tx, convID, userID, actorID int64, event string) error {
	before, err := convAudience(ctx, tx, convID)
	if err != nil {
		return err
	}
	var role *string
	err = tx.QueryRow(ctx, `
		DELETE FROM conversation_members WHERE conversation_id = $1 AND user_id = $2
		RETURNING role_in_convo`, convID, userID).Scan(&role)
	if errors.Is(err, pgx.ErrNoRows) {
		return &domain.Error{Code: domain.CodeNotFound, Message: "not a member of this conversation", Field: "user_id"}
	}
	if err != nil {
		return fmt.Errorf("remove member %d from conversation %d: %w", userID, convID, err)
	}
	if role != nil && *role == domain.ConvoOwner {
		// The longest-standing member becomes the owner.
		_, err := tx.Exec(ctx, `
			UPDATE conversation_members SET role_in_convo = 'owner'
			WHERE (conversation_id, user_id) = (
				SELECT conversation_id, user_id FROM conversation_members
				WHERE conversation_id = $1 ORDER BY joined_at, user_id LIMIT 1)`, convID)
		if err != nil {
			return fmt.Errorf("hand on ownership of conversation %d: %w", convID, err)
		}
	}
	if err := conversationEvent(ctx, tx, eventlog.ConvMemberRemoved, convID, before, userID); err != nil {
		return err
	}
	return systemMessage(ctx, tx, convID, actorID, systemEvent{Event: event, UserID: userID})
}

// removeChatData removes a departing account from the chat (SPEC §9):
// with its rule lock held, it leaves every conversation (each re-checked,
// so a direct chat left with one member, or a group left with a parent but
// not their child, freezes), then its links and friend code go, and the
// text of its reports is cleared. System messages about it name it by id
// only.
func removeChatData(ctx context.Context, tx pgx.Tx, userID int64) error {
	if _, err := lockUsers(ctx, tx, userID); err != nil {
		return err
	}
	rows, err := tx.Query(ctx, `SELECT conversation_id FROM conversation_members WHERE user_id = $1`, userID)
	if err != nil {
		return fmt.Errorf("conversations of %d: %w", userID, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return fmt.Errorf("conversations of %d: %w", userID, err)
	}
	if ids, err = lockConversations(ctx, tx, ids); err != nil {
		return err
	}
	// The others are told the one leaving is a deleted account (migration
	// 00016); written first, so the events of their leaving say so too.
	if _, err := tx.Exec(ctx, `
		INSERT INTO conversation_departures (conversation_id, user_id)
		SELECT c, $2 FROM unnest($1::int[]) c ON CONFLICT DO NOTHING`, ids, userID); err != nil {
		return fmt.Errorf("record departures of %d: %w", userID, err)
	}
	for _, id := range ids {
		if err := leave(ctx, tx, id, userID, userID, "member_left"); err != nil {
			return err
		}
	}
	if err := recheck(ctx, tx, userID, ids); err != nil {
		return err
	}
	if err := removeContacts(ctx, tx, userID); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE reports SET reason = NULL WHERE reporter_id = $1`, userID); err != nil {
		return fmt.Errorf("clear report reasons of %d: %w", userID, err)
	}
	// Parental controls (docs/controls.md): the child's sleep schedule and
	// leak-guard entries go with them.
	if _, err := tx.Exec(ctx, `
		WITH s AS (DELETE FROM sleep_schedules WHERE child_id = $1)
		DELETE FROM leak_guard_hits WHERE child_id = $1`, userID); err != nil {
		return fmt.Errorf("remove parental controls of %d: %w", userID, err)
	}
	return nil
}

// RenameConversation gives a group a new title: only its owner may (a
// parent who reads it may not). The members read the change as a system
// message, which is also what tells their open chats and lists live.
func (db *DB) RenameConversation(ctx context.Context, actor *domain.Actor, convID int64, title string) (domain.Conversation, error) {
	err := db.transact(ctx, txRetry, func(tx pgx.Tx) error {
		acc, err := lockConversation(ctx, tx, actor, convID)
		if err == nil {
			err = acc.groupOwner(locale.Text("a direct conversation has no title"), locale.Text("only the group's owner renames it"))
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE conversations SET title = $2 WHERE id = $1`, convID, title); err != nil {
			return fmt.Errorf("rename conversation %d: %w", convID, err)
		}
		return systemMessage(ctx, tx, convID, actor.UserID, systemEvent{Event: "renamed", UserID: actor.UserID, Title: title})
	})
	if err != nil {
		return domain.Conversation{}, err
	}
	return db.Conversation(ctx, actor, convID)
}

package api_test

import (
	"context"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/store"
)

// chatState is the chat as the database holds it, read straight from the
// tables. Its ruleHolds is the contact rule (SPEC §4) written again, in Go
// and independently of the SQL in store/rule.go, so that the tests compare
// two implementations instead of one with itself.
type chatState struct {
	role      map[int64]string  // live users
	parent    map[int64]int64   // child → primary guardian (users.parent_id)
	guardians map[int64][]int64 // child → the other guardians (issue 21)
	// trusted: child → adult → active, for every proposed trusted
	// grown-up (issue 21.3); approvals: (child, adult) → the guardians who
	// approved.
	trusted   map[int64]map[int64]bool
	approvals map[[2]int64][]int64
	members   map[int64][]int64 // conversation → members, ascending
	owner     map[int64]int64   // group → its owner, if any
	isGroup   map[int64]bool
	frozen    map[int64]bool
	convIDs   []int64
	approved  map[[2]int64]bool // (lower, higher) child ids → both parents approved
	contacts  []contactRowJSON
	lastMsgID int64
}

type contactRowJSON struct {
	ID, A, B             int64
	AApproved, BApproved bool
	BlockedBy            int64 // 0: not blocked
	RequestedBy          int64 // 0: the asker's account is gone
}

func pair(a, b int64) [2]int64 { return [2]int64{min(a, b), max(a, b)} }

func loadChatState(t testing.TB, db *store.DB) *chatState {
	t.Helper()
	ctx := context.Background()
	s := &chatState{role: map[int64]string{}, parent: map[int64]int64{}, guardians: map[int64][]int64{}, members: map[int64][]int64{},
		trusted: map[int64]map[int64]bool{}, approvals: map[[2]int64][]int64{},
		owner: map[int64]int64{}, isGroup: map[int64]bool{}, frozen: map[int64]bool{}, approved: map[[2]int64]bool{}}
	scan := func(sql string, each func(r pgx.Rows) error) {
		rows, err := db.Pool.Query(ctx, sql)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := each(rows); err != nil {
				t.Fatal(err)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	scan(`SELECT id, role, coalesce(parent_id, 0) FROM users WHERE deleted_at IS NULL`, func(r pgx.Rows) error {
		var id, p int64
		var role string
		err := r.Scan(&id, &role, &p)
		s.role[id], s.parent[id] = role, p
		return err
	})
	scan(`SELECT child_id, guardian_id FROM guardians ORDER BY child_id, guardian_id`, func(r pgx.Rows) error {
		var k, g int64
		err := r.Scan(&k, &g)
		s.guardians[k] = append(s.guardians[k], g)
		return err
	})
	scan(`SELECT child_id, adult_id, active_at IS NOT NULL FROM trusted_adults`, func(r pgx.Rows) error {
		var k, a int64
		var active bool
		err := r.Scan(&k, &a, &active)
		if s.trusted[k] == nil {
			s.trusted[k] = map[int64]bool{}
		}
		s.trusted[k][a] = active
		return err
	})
	scan(`SELECT child_id, adult_id, guardian_id FROM trusted_approvals ORDER BY 1, 2, 3`, func(r pgx.Rows) error {
		var k, a, g int64
		err := r.Scan(&k, &a, &g)
		s.approvals[[2]int64{k, a}] = append(s.approvals[[2]int64{k, a}], g)
		return err
	})
	scan(`SELECT id, coalesce(is_group, false), frozen_at IS NOT NULL FROM conversations ORDER BY id`, func(r pgx.Rows) error {
		var id int64
		var g, f bool
		err := r.Scan(&id, &g, &f)
		s.isGroup[id], s.frozen[id] = g, f
		s.convIDs = append(s.convIDs, id)
		return err
	})
	scan(`SELECT conversation_id, user_id, coalesce(role_in_convo, 'member') FROM conversation_members ORDER BY conversation_id, user_id`, func(r pgx.Rows) error {
		var c, u int64
		var role string
		err := r.Scan(&c, &u, &role)
		s.members[c] = append(s.members[c], u)
		if role == "owner" {
			s.owner[c] = u
		}
		return err
	})
	scan(`SELECT id, child_a_id, child_b_id, a_approved_at IS NOT NULL, b_approved_at IS NOT NULL, coalesce(blocked_by, 0), coalesce(requested_by, 0)
		FROM contacts ORDER BY id`, func(r pgx.Rows) error {
		var c contactRowJSON
		err := r.Scan(&c.ID, &c.A, &c.B, &c.AApproved, &c.BApproved, &c.BlockedBy, &c.RequestedBy)
		s.contacts = append(s.contacts, c)
		// A blocked link counts as not approved (blocks, issue 12.3).
		s.approved[pair(c.A, c.B)] = c.AApproved && c.BApproved && c.BlockedBy == 0
		return err
	})
	if err := db.Pool.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM messages`).Scan(&s.lastMsgID); err != nil {
		t.Fatal(err)
	}
	return s
}

// ruleHoldsFor is the contact rule for a set of members.
func (s *chatState) ruleHoldsFor(members []int64, isGroup bool) bool {
	if !isGroup && len(members) != 2 {
		return false
	}
	for _, u := range members {
		role, live := s.role[u]
		if !live {
			return false
		}
		if role == "CHILD" {
			continue
		}
		// An adult shares a conversation only with children they are a
		// guardian of, or, in a direct conversation only, an active
		// trusted grown-up of (issue 21.3), and with at least one.
		mayTalk := func(k int64) bool { return s.guards(k, u) || (!isGroup && s.trusted[k][u]) }
		hasChild := slices.ContainsFunc(members, func(k int64) bool { return s.role[k] == "CHILD" && mayTalk(k) })
		notTheirs := slices.ContainsFunc(members, func(k int64) bool { return s.role[k] == "CHILD" && !mayTalk(k) })
		if !hasChild || notTheirs {
			return false
		}
	}
	for i, x := range members {
		for _, y := range members[i+1:] {
			if s.role[x] == "CHILD" && s.role[y] == "CHILD" && !s.approved[pair(x, y)] {
				return false
			}
		}
	}
	return true
}

func (s *chatState) ruleHolds(conv int64) bool {
	return s.ruleHoldsFor(s.members[conv], s.isGroup[conv])
}

func (s *chatState) isMember(conv, user int64) bool { return slices.Contains(s.members[conv], user) }

// guards: user is a guardian of k, the primary or another.
func (s *chatState) guards(k, user int64) bool {
	return user != 0 && (s.parent[k] == user || slices.Contains(s.guardians[k], user))
}

// allGuardians are k's guardians, the primary first.
func (s *chatState) allGuardians(k int64) []int64 {
	return append([]int64{s.parent[k]}, s.guardians[k]...)
}

// parentOfMember: user is a guardian of a child in conv.
func (s *chatState) parentOfMember(conv, user int64) bool {
	return slices.ContainsFunc(s.members[conv], func(k int64) bool { return s.guards(k, user) && s.role[k] == "CHILD" })
}

// checkInvariants fails t unless every conversation's frozen state matches
// the rule.
func (s *chatState) checkInvariants(t testing.TB, step string) {
	t.Helper()
	for _, c := range s.convIDs {
		if want := !s.ruleHolds(c); s.frozen[c] != want {
			t.Fatalf("%s: conversation %d (group %v, members %v) frozen=%v, but the rule says frozen=%v",
				step, c, s.isGroup[c], s.members[c], s.frozen[c], want)
		}
	}
}

type newMessage struct {
	ID, Conv, Sender int64
	Type             string
}

// messagesSince reads the messages written after id.
func messagesSince(t testing.TB, db *store.DB, id int64) []newMessage {
	t.Helper()
	rows, err := db.Pool.Query(context.Background(),
		`SELECT id, conversation_id, sender_id, type FROM messages WHERE id > $1 ORDER BY id`, id)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (newMessage, error) {
		var m newMessage
		return m, r.Scan(&m.ID, &m.Conv, &m.Sender, &m.Type)
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

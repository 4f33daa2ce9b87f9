package store

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/notify"
)

// Who may see what (SPEC §3, §6, §12) lives in this file, and only here,
// as SQL fragments every read, event audience, replay and media check is
// built from: a change to a rule is made once, and the REST reads, the
// live events and the media served keep agreeing.
//
// Reading a conversation. A user may read conversation c when
//   - they are a member of it (MemberSQL);
//   - they are a guardian of a member (ParentOfMemberSQL): a guardian reads
//     all their children's chats, read-only, deleted messages included; or
//   - they are an admin and a message in it was reported (AdminReadsSQL):
//     admins read chats only through the report queue.
//
// The family readers (members and their parents) are also listed the
// other way round, per conversation, by convAudiencesSQL: who receives a
// conversation's live events. The test oracle (visibility_test.go) checks
// the list against the predicate and both against a plain-Go statement
// of the rule over random data.
//
// Guardians. Wherever a rule says "the parent" of a child it means any of
// the child's guardians (GuardianSQL, issue 21): the primary guardian
// (users.parent_id, as the seed wrote it) or one of the others (a row in
// guardians). Removing a guardian's row takes away, at once, everything
// the rules below gave them. Only a few rights are the primary's alone
// (PrimaryChildOfSQL): deleting the child, handing primary over, and the
// child's use of the service hanging on the primary's account
// (ParentUsableSQL).
//
// Own children. A guardian acts for "their child" only while that child's
// account lives (ChildOfSQL): a deleted child is nobody's, and another
// family's child is not_found.
//
// Usable accounts. A child may use the service only while their primary
// guardian may: approved by an admin, not suspended, not deleted (ParentUsableSQL).
// Login, every session lookup and the live sockets' re-check all ask it.
//
// Each fragment takes the SQL of its operands (a column or a parameter),
// and its subqueries use aliases of their own (vis_*), so that an operand
// naming an outer query's alias is never captured by an inner one. They
// are exported for the packages beside the store that write queries of
// their own on the same tables (the game-login keeper's own child).

// MemberSQL is true when user is a member of conversation conv.
func MemberSQL(conv, user string) string {
	return `EXISTS (SELECT 1 FROM conversation_members vis_m
		WHERE vis_m.conversation_id = ` + conv + ` AND vis_m.user_id = ` + user + `)`
}

// GuardianSQL is true when user is a guardian of the users row k (alive
// or not: callers that act on a child add LiveChildSQL): its primary
// guardian (k.parent_id) or another (a guardians row).
func GuardianSQL(k, user string) string {
	return `(` + k + `.parent_id = ` + user + ` OR EXISTS (SELECT 1 FROM guardians vis_g
		WHERE vis_g.child_id = ` + k + `.id AND vis_g.guardian_id = ` + user + `))`
}

// TrustedSQL is true when user is an active trusted grown-up of the users
// row k (issue 21.3: every guardian of k approved them). It gives them no
// reading right of its own: the contact rule (rule.go) lets them share a
// direct conversation with k, which they read as its member.
func TrustedSQL(k, user string) string {
	return `EXISTS (SELECT 1 FROM trusted_adults vis_t
		WHERE vis_t.child_id = ` + k + `.id AND vis_t.adult_id = ` + user + ` AND vis_t.active_at IS NOT NULL)`
}

// ParentOfMemberSQL is true when user is a guardian of a member of
// conversation conv.
func ParentOfMemberSQL(conv, user string) string {
	return `EXISTS (SELECT 1 FROM conversation_members vis_m JOIN users vis_k ON vis_k.id = vis_m.user_id
		WHERE vis_m.conversation_id = ` + conv + ` AND ` + GuardianSQL("vis_k", user) + `)`
}

// FamilyReadsSQL is true when user may read conversation conv as family:
// a member or the parent of one.
func FamilyReadsSQL(conv, user string) string {
	return `(` + MemberSQL(conv, user) + ` OR ` + ParentOfMemberSQL(conv, user) + `)`
}

// AdminReadsSQL is true when an admin may read conversation conv: a
// message in it was reported. Everything an admin may see of a
// conversation, its messages and the media they carry, goes by it.
func AdminReadsSQL(conv string) string {
	return `EXISTS (SELECT 1 FROM reports vis_r WHERE vis_r.conversation_id = ` + conv + `)`
}

// convAudiencesSQL lists the family readers of the conversations $1 (one
// row per conversation and reader: whether a member, whether a guardian of
// one), as FamilyReadsSQL decides. The members' primary guardians are
// looked up per member (LATERAL ... LIMIT), so that a generic plan
// (readbatch.ForceGenericSQL) cannot start from every child instead; the
// other guardians by the guardians primary key, which leads with the child.
var convAudiencesSQL = convAudiencesOf("$1")

// convAudiencesOf is convAudiencesSQL for the conversations of the SQL
// array expression convs.
func convAudiencesOf(convs string) string {
	return `
		SELECT c, v, bool_or(member), bool_or(parent) FROM (
			SELECT m.conversation_id AS c, m.user_id AS v, true AS member, false AS parent
			FROM conversation_members m WHERE m.conversation_id = ANY(` + convs + `)
			UNION ALL
			SELECT m.conversation_id, k.parent_id, false, true
			FROM conversation_members m
			CROSS JOIN LATERAL (SELECT parent_id FROM users k WHERE k.id = m.user_id AND k.parent_id IS NOT NULL LIMIT 1) k
			WHERE m.conversation_id = ANY(` + convs + `)
			UNION ALL
			SELECT m.conversation_id, g.guardian_id, false, true
			FROM conversation_members m JOIN guardians g ON g.child_id = m.user_id
			WHERE m.conversation_id = ANY(` + convs + `)
		) s GROUP BY c, v ORDER BY c, v`
}

// viewer is someone who may read a conversation: a member, a guardian of
// a member, or both (a parent in a chat with their child).
type viewer struct {
	id             int64
	member         bool
	parentOfMember bool
}

// convAudience lists who may read a conversation now as family
// (convAudiencesSQL). Admins read a conversation only once it is
// reported, through the report queue, and get no events of it.
func convAudience(ctx context.Context, q rowsQuerier, convID int64) ([]viewer, error) {
	rows, err := q.Query(ctx, convAudiencesSQL, []int64{convID})
	if err != nil {
		return nil, fmt.Errorf("audience of conversation %d: %w", convID, err)
	}
	audiences, err := collectAudiences(rows)
	if err != nil {
		return nil, fmt.Errorf("audience of conversation %d: %w", convID, err)
	}
	return audiences[convID], nil
}

// collectAudiences reads convAudiencesSQL's rows.
func collectAudiences(rows pgx.Rows) (map[int64][]viewer, error) {
	out := map[int64][]viewer{}
	var conv int64
	var v viewer
	_, err := pgx.ForEachRow(rows, []any{&conv, &v.id, &v.member, &v.parentOfMember}, func() error {
		out[conv] = append(out[conv], v)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("audiences of conversations: %w", err)
	}
	return out, nil
}

func viewerIDs(vs []viewer) []int64 {
	ids := make([]int64, len(vs))
	for i, v := range vs {
		ids[i] = v.id
	}
	return ids
}

func viewerOf(vs []viewer, id int64) (viewer, bool) {
	i := slices.IndexFunc(vs, func(v viewer) bool { return v.id == id })
	if i < 0 {
		return viewer{}, false
	}
	return vs[i], true
}

// guardianIDsSQL selects the ids of child's guardians (child an SQL
// expression for a users.id): GuardianSQL the other way round, for one
// child, as a subquery (the approval card's "the other family's grown-ups").
func guardianIDsSQL(child string) string {
	return `SELECT gu.parent_id FROM users gu WHERE gu.id = ` + child + ` AND gu.parent_id IS NOT NULL
		UNION ALL SELECT gg.guardian_id FROM guardians gg WHERE gg.child_id = ` + child
}

// guardiansOfSQL lists the guardians of the users $1 (child, guardian,
// primary), primary first: GuardianSQL the other way round, for the
// audiences of a child's events and notifications.
const guardiansOfSQL = `
		SELECT k.id, k.parent_id, true FROM users k WHERE k.id = ANY($1) AND k.parent_id IS NOT NULL
		UNION ALL
		SELECT g.child_id, g.guardian_id, false FROM guardians g WHERE g.child_id = ANY($1)
		ORDER BY 1, 3 DESC, 2`

// guardiansOf maps each of ids that has guardians to them, primary first.
func guardiansOf(ctx context.Context, q rowsQuerier, ids []int64) (map[int64][]int64, error) {
	rows, err := q.Query(ctx, guardiansOfSQL, ids)
	if err != nil {
		return nil, fmt.Errorf("guardians of %v: %w", ids, err)
	}
	out := map[int64][]int64{}
	var child, guardian int64
	var primary bool
	_, err = pgx.ForEachRow(rows, []any{&child, &guardian, &primary}, func() error {
		out[child] = append(out[child], guardian)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("guardians of %v: %w", ids, err)
	}
	return out, nil
}

// LiveChildSQL is true when users row u is a child whose account lives.
func LiveChildSQL(u string) string {
	return `(` + u + `.role = 'CHILD' AND ` + u + `.deleted_at IS NULL)`
}

// ChildOfSQL is true when users row u is a live child of whom parent is a
// guardian (primary or not).
func ChildOfSQL(u, parent string) string {
	return `(` + GuardianSQL(u, parent) + ` AND ` + LiveChildSQL(u) + `)`
}

// The notification worker's weekly summaries go to every guardian of a
// child (internal/notify cannot import the store, which imports it).
// Its mails about a child go only to guardians who may hear of them.
func init() { notify.ChildOfSQL, notify.UsableSQL = ChildOfSQL, UsableSQL }

// PrimaryChildOfSQL is true when users row u is a live child of whom
// parent is the primary guardian: for what only the primary may do
// (delete the child, hand primary over) and for a family's removal.
func PrimaryChildOfSQL(u, parent string) string {
	return `(` + u + `.parent_id = ` + parent + ` AND ` + LiveChildSQL(u) + `)`
}

// ParentUsableSQL is true when users row u may use the service as far as
// its parent goes: it is no child, or its parent (users row p, joined
// LEFT on u.parent_id) is usable (UsableSQL).
func ParentUsableSQL(u, p string) string {
	return `(` + u + `.role <> 'CHILD' OR ` + UsableSQL(p) + `)`
}

// UsableSQL is true when users row p (NULL too, as from a LEFT JOIN: then
// false) is an account an admin approved, not suspended and not deleted:
// a parent whose children may use the service, and a guardian other than
// the primary who may be told of the child or named to another family
// (issue 21: a guardian awaiting approval, or suspended, is not vetted).
func UsableSQL(p string) string {
	return `(coalesce(` + p + `.approved_by_admin, false) AND ` +
		p + `.suspended_at IS NULL AND ` + p + `.deleted_at IS NULL)`
}

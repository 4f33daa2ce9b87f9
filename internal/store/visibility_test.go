package store_test

import (
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/pgtest"
	"pixelpals/internal/store"
)

// visWorld is random data for the visibility oracle, as plain Go: the
// rule is stated over it below without SQL.
type visWorld struct {
	role           map[int64]string
	parent         map[int64]int64   // child -> primary guardian
	guardians      map[int64][]int64 // child -> the other guardians
	approved       map[int64]bool
	suspended      map[int64]bool
	deleted        map[int64]bool
	users, convs   []int64
	members        map[int64][]int64 // conversation -> members
	reported       map[int64]bool    // conversation -> a message in it reported
	mediaUploader  map[int64]int64
	mediaCarriedBy map[int64][]visMessage // upload -> messages carrying it
	mediaIDs       []int64
}

type visMessage struct {
	conv    int64
	deleted bool
}

func (w *visWorld) member(conv, u int64) bool { return slices.Contains(w.members[conv], u) }

// guards: u is a guardian of k, the primary or another.
func (w *visWorld) guards(k, u int64) bool {
	return u != 0 && (w.parent[k] == u || slices.Contains(w.guardians[k], u))
}

func (w *visWorld) parentOfMember(conv, u int64) bool {
	return slices.ContainsFunc(w.members[conv], func(m int64) bool { return w.guards(m, u) })
}

// adminReads: an admin reads a conversation once a message in it is reported.
func (w *visWorld) adminReads(conv, u int64) bool { return w.role[u] == "ADMIN" && w.reported[conv] }

// childOf: k is a live child of whom p is a guardian.
func (w *visWorld) childOf(k, p int64) bool {
	return w.role[k] == "CHILD" && !w.deleted[k] && w.guards(k, p)
}

// parentUsable: no child, or a child whose parent is approved, not
// suspended and not deleted.
func (w *visWorld) parentUsable(u int64) bool {
	if w.role[u] != "CHILD" {
		return true
	}
	p := w.parent[u]
	return w.approved[p] && !w.suspended[p] && !w.deleted[p]
}

// mediaVisible: the uploader and their parent; whoever reads a
// conversation where a message carries it, members only while the
// message is not deleted.
func (w *visWorld) mediaVisible(md, u int64, admin bool) bool {
	up := w.mediaUploader[md]
	if up == u || w.guards(up, u) {
		return true
	}
	for _, m := range w.mediaCarriedBy[md] {
		if w.parentOfMember(m.conv, u) || (admin && w.reported[m.conv]) || (!m.deleted && w.member(m.conv, u)) {
			return true
		}
	}
	return false
}

// TestVisibilityOracle checks each fragment of visibility.go against the
// rule stated in Go, over random families, chats, reports and uploads.
func TestVisibilityOracle(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db := pgtest.DB(t)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	w := buildVisWorld(ctx, t, db, rng)

	rows, err := db.Pool.Query(ctx, store.VisConvReadsSQL)
	check(t, err)
	var u, c int64
	var member, parentOf, admin bool
	_, err = pgx.ForEachRow(rows, []any{&u, &c, &member, &parentOf, &admin}, func() error {
		if member != w.member(c, u) || parentOf != w.parentOfMember(c, u) || admin != w.adminReads(c, u) {
			t.Errorf("user %d, conversation %d: SQL member/parent/admin %v/%v/%v, rule %v/%v/%v",
				u, c, member, parentOf, admin, w.member(c, u), w.parentOfMember(c, u), w.adminReads(c, u))
		}
		return nil
	})
	check(t, err)

	rows, err = db.Pool.Query(ctx, store.VisAudiencesSQL, w.convs)
	check(t, err)
	got := map[string]bool{}
	_, err = pgx.ForEachRow(rows, []any{&c, &u, &member, &parentOf}, func() error {
		got[fmt.Sprint(c, u, member, parentOf)] = true
		return nil
	})
	check(t, err)
	want := map[string]bool{}
	for _, c := range w.convs {
		for _, u := range w.users {
			if w.member(c, u) || w.parentOfMember(c, u) {
				want[fmt.Sprint(c, u, w.member(c, u), w.parentOfMember(c, u))] = true
			}
		}
	}
	if !mapsEqual(got, want) {
		t.Errorf("conversation audiences: SQL %v, rule %v", got, want)
	}

	rows, err = db.Pool.Query(ctx, store.VisChildOfSQL)
	check(t, err)
	var k, p int64
	var ok bool
	_, err = pgx.ForEachRow(rows, []any{&k, &p, &ok}, func() error {
		if ok != w.childOf(k, p) {
			t.Errorf("is %d a live child of %d: SQL %v, rule %v", k, p, ok, !ok)
		}
		return nil
	})
	check(t, err)

	rows, err = db.Pool.Query(ctx, store.VisParentUsableSQL)
	check(t, err)
	_, err = pgx.ForEachRow(rows, []any{&u, &ok}, func() error {
		if ok != w.parentUsable(u) {
			t.Errorf("may %d use the service as far as their parent goes: SQL %v, rule %v", u, ok, !ok)
		}
		return nil
	})
	check(t, err)

	for _, u := range w.users {
		isAdmin := w.role[u] == "ADMIN"
		rows, err = db.Pool.Query(ctx, store.VisMediaSQL, 0, u, isAdmin)
		check(t, err)
		var md int64
		_, err = pgx.ForEachRow(rows, []any{&md, &ok}, func() error {
			if ok != w.mediaVisible(md, u, isAdmin) {
				t.Errorf("may %d see upload %d: SQL %v, rule %v", u, md, ok, !ok)
			}
			return nil
		})
		check(t, err)
	}
}

func check(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func mapsEqual(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

// buildVisWorld writes random users, conversations, messages, reports and
// uploads, and returns them as plain Go.
func buildVisWorld(ctx context.Context, t *testing.T, db *store.DB, rng *rand.Rand) *visWorld {
	w := &visWorld{role: map[int64]string{}, parent: map[int64]int64{}, guardians: map[int64][]int64{}, approved: map[int64]bool{},
		suspended: map[int64]bool{}, deleted: map[int64]bool{}, members: map[int64][]int64{},
		reported: map[int64]bool{}, mediaUploader: map[int64]int64{}, mediaCarriedBy: map[int64][]visMessage{}}
	id := func(sql string, args ...any) int64 {
		t.Helper()
		var id int64
		check(t, db.Pool.QueryRow(ctx, sql, args...).Scan(&id))
		return id
	}
	n := 0
	user := func(role string, parent int64) int64 {
		n++
		approved, suspended, deleted := rng.IntN(4) > 0, rng.IntN(5) == 0, rng.IntN(6) == 0
		var parentID *int64
		if parent != 0 {
			parentID = &parent
		}
		u := id(`INSERT INTO users (email, password_hash, role, parent_id, approved_by_admin, suspended_at, deleted_at)
			VALUES ($1, 'x', $2, $3, $4, CASE WHEN $5 THEN now() END, CASE WHEN $6 THEN now() END) RETURNING id`,
			fmt.Sprintf("vis%d@example.com", n), role, parentID, approved, suspended, deleted)
		w.role[u], w.parent[u], w.approved[u], w.suspended[u], w.deleted[u] = role, parent, approved, suspended, deleted
		w.users = append(w.users, u)
		return u
	}
	var family []int64
	for range 2 {
		user("ADMIN", 0)
	}
	for range 5 {
		p := user("PARENT", 0)
		family = append(family, p)
		for range rng.IntN(4) {
			family = append(family, user("CHILD", p))
		}
	}
	// Further guardians: any parent of any family, of any child.
	var parents, children []int64
	for _, u := range w.users {
		switch w.role[u] {
		case "PARENT":
			parents = append(parents, u)
		case "CHILD":
			children = append(children, u)
		}
	}
	for range 2 * len(children) {
		k, g := children[rng.IntN(len(children))], parents[rng.IntN(len(parents))]
		if w.guards(k, g) {
			continue
		}
		id(`INSERT INTO guardians (child_id, guardian_id) VALUES ($1, $2) RETURNING child_id`, k, g)
		w.guardians[k] = append(w.guardians[k], g)
	}
	for range 8 {
		c := id(`INSERT INTO conversations (created_by) VALUES ($1) RETURNING id`, family[0])
		w.convs = append(w.convs, c)
		for _, i := range rng.Perm(len(family))[:1+rng.IntN(4)] {
			id(`INSERT INTO conversation_members (conversation_id, user_id) VALUES ($1, $2) RETURNING conversation_id`, c, family[i])
			w.members[c] = append(w.members[c], family[i])
		}
	}
	for i := range 12 {
		up := w.users[rng.IntN(len(w.users))]
		id(`INSERT INTO media_blobs (sha256, kind, content_type, size, data)
			VALUES (sha256($1::bytea), 'image', 'image/png', 1, $1::bytea) RETURNING 1`, []byte{byte(i)})
		md := id(`INSERT INTO media (uploader_id, sha256) VALUES ($1, sha256($2::bytea)) RETURNING id`, up, []byte{byte(i)})
		w.mediaUploader[md] = up
		w.mediaIDs = append(w.mediaIDs, md)
	}
	for range 20 {
		c := w.convs[rng.IntN(len(w.convs))]
		var media *int64
		if rng.IntN(2) == 0 {
			media = &w.mediaIDs[rng.IntN(len(w.mediaIDs))]
		}
		deleted := rng.IntN(3) == 0
		m := id(`INSERT INTO messages (conversation_id, sender_id, type, content, media_id, deleted_at)
			VALUES ($1, $2, 'text', 'hi', $3, CASE WHEN $4 THEN now() END) RETURNING id`, c, w.members[c][0], media, deleted)
		if media != nil {
			w.mediaCarriedBy[*media] = append(w.mediaCarriedBy[*media], visMessage{c, deleted})
		}
		if rng.IntN(4) == 0 {
			id(`INSERT INTO reports (message_id, conversation_id, reporter_id) VALUES ($1, $2, $3) RETURNING id`, m, c, w.members[c][0])
			w.reported[c] = true
		}
	}
	return w
}

// TestVisibilityDefinedOnce: the rules of visibility.go are spelled out
// nowhere else under internal/ (the grep of issue 20, kept): the packages
// beside the store use its exported fragments.
func TestVisibilityDefinedOnce(t *testing.T) {
	rules := map[string]*regexp.Regexp{
		"a parent usable":   regexp.MustCompile(`approved_by_admin, false\) AND \w+\.suspended_at IS NULL`),
		"an own live child": regexp.MustCompile(`parent_id = \$\d+ AND (\w+\.)?role = 'CHILD'`),
		"a live child":      regexp.MustCompile(`role = 'CHILD' AND (\w+\.)?deleted_at IS NULL`),
		"a member's parent": regexp.MustCompile(`JOIN users \w+ ON \w+\.id = \w+\.user_id\s+WHERE \w+\.conversation_id = [^\n]*parent_id = \$`),
		"a reported chat":   regexp.MustCompile(`FROM reports \w+ WHERE \w+\.conversation_id =`),
	}
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") ||
			path == filepath.Join("..", "store", "visibility.go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for name, re := range rules {
			if loc := re.FindIndex(src); loc != nil {
				t.Errorf("%s: the rule %q is written out again (at byte %d): use store/visibility.go's fragment", path, name, loc[0])
			}
		}
		return nil
	})
	check(t, err)
}

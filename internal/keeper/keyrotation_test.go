package keeper_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"pixelpals/internal/domain"
	"pixelpals/internal/keeper"
	"pixelpals/internal/pgtest"
	"pixelpals/internal/store"
	"pixelpals/internal/vault"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// keyLines are fixed random keys for versions 1..3, made once per run.
var keyLines = func() map[uint32]string {
	m := map[uint32]string{}
	for v := uint32(1); v <= 3; v++ {
		line, err := vault.GenerateKeyLine(v)
		if err != nil {
			panic(err)
		}
		m[v] = line
	}
	return m
}()

func ring(t *testing.T, versions ...uint32) *vault.Ring {
	t.Helper()
	var lines []string
	for _, v := range versions {
		lines = append(lines, keyLines[v])
	}
	r, err := vault.ParseRing(strings.Join(lines, ","))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// family is a parent and one child, made directly in the store.
type family struct {
	parent, child *domain.Actor
}

func newFamily(t *testing.T, db *store.DB, name string) family {
	t.Helper()
	ctx := context.Background()
	u, _, err := db.SignUpParent(ctx, name+"@example.com", "!", "Parent "+name)
	if err != nil {
		t.Fatal(err)
	}
	parent := &domain.Actor{UserID: u.ID, Role: domain.RoleParent, Active: true}
	c, err := db.CreateChild(ctx, parent, name+"-kid", "!", "Kid "+name)
	if err != nil {
		t.Fatal(err)
	}
	return family{parent: parent, child: &domain.Actor{UserID: c.User.ID, Role: domain.RoleChild, Active: true}}
}

func newAdmin(t *testing.T, db *store.DB) *domain.Actor {
	t.Helper()
	u, err := db.CreateAdmin(context.Background(), nil, "root@example.com", "!", "Root")
	if err != nil {
		t.Fatal(err)
	}
	a, err := db.AdminByEmail(context.Background(), " Root@Example.com ")
	if err != nil || a.UserID != u.ID || !a.IsAdmin() {
		t.Fatalf("AdminByEmail: %+v, %v", a, err)
	}
	return a
}

// keep stores n logins for the family's child under k, returning ids and
// the passwords by id.
func keep(t *testing.T, k *keeper.Keeper, f family, n int) ([]int64, map[int64]string) {
	t.Helper()
	var ids []int64
	pws := map[int64]string{}
	for i := range n {
		pw := fmt.Sprintf("password-%d", i)
		c, err := k.Create(context.Background(), f.parent, f.child.UserID,
			keeper.NewGameCredential{GameName: "Game", Username: fmt.Sprintf("user%d", i), Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
		pws[c.ID] = pw
	}
	return ids, pws
}

// versions counts rows by the key version in their ciphertext prefix.
func versions(t *testing.T, db *store.DB) map[int]int {
	t.Helper()
	rows, err := db.Pool.Query(context.Background(), `
		SELECT get_byte(password_ciphertext, 3) + 256 * get_byte(password_ciphertext, 2), count(*)
		FROM game_credentials GROUP BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int]int{}
	for rows.Next() {
		var v, n int
		if err := rows.Scan(&v, &n); err != nil {
			t.Fatal(err)
		}
		out[v] = n
	}
	return out
}

// allOpen checks every password opens with k and is what was stored.
func allOpen(t *testing.T, k *keeper.Keeper, child *domain.Actor, pws map[int64]string) {
	t.Helper()
	for id, want := range pws {
		got, err := k.Reveal(context.Background(), child, id)
		if err != nil || got != want {
			t.Fatalf("reveal %d: %q, %v; want %q", id, got, err, want)
		}
	}
}

func TestWrongKeyFails(t *testing.T) {
	t.Parallel()
	db := pgtest.DB(t)
	f := newFamily(t, db, "wrongkey")
	ids, _ := keep(t, keeper.New(db, ring(t, 1)), f, 1)

	// Same version number, different key bytes.
	other, err := vault.ParseRing(mustLine(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	for name, k := range map[string]*keeper.Keeper{
		"same version, other key": keeper.New(db, other),
		"key version missing":     keeper.New(db, ring(t, 2)),
	} {
		_, err := k.Reveal(context.Background(), f.child, ids[0])
		var ue *keeper.UnreadableError
		if !errors.As(err, &ue) || ue.ID != ids[0] || domain.ErrorCode(err) != domain.CodeCredentialUnreadable {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func mustLine(t *testing.T, v uint32) string {
	t.Helper()
	line, err := vault.GenerateKeyLine(v)
	if err != nil {
		t.Fatal(err)
	}
	return line
}

// TestRotationResumes stops a rotation after its first batch (as a cancel
// or crash would), then reruns it: every row ends on the new key and opens
// with a ring that no longer holds the old one.
func TestRotationResumes(t *testing.T) {
	t.Parallel()
	db := pgtest.DB(t)
	ctx := context.Background()
	admin := newAdmin(t, db)
	f := newFamily(t, db, "rotate")
	_, pws := keep(t, keeper.New(db, ring(t, 1)), f, 10)

	k12 := keeper.New(db, ring(t, 1, 2))
	// Two rows sealed under v2 already: new rows after the key was added.
	newer := newFamily(t, db, "newer")
	_, newerPWs := keep(t, k12, newer, 2)

	cctx, cancel := context.WithCancel(ctx)
	rep, err := k12.RotateKeys(cctx, admin, 3, func(keeper.RotationReport) { cancel() })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled rotation: %v", err)
	}
	if rep.Rotated != 3 || rep.AlreadyCurrent != 2 || rep.Remaining != 7 || len(rep.Failed) != 0 {
		t.Fatalf("cancelled rotation report: %+v", rep)
	}
	if got := versions(t, db); got[1] != 7 || got[2] != 5 {
		t.Fatalf("after the first batch: %v", got)
	}

	rep, err = k12.RotateKeys(ctx, admin, 3, nil)
	if err != nil || rep.Rotated != 7 || rep.AlreadyCurrent != 5 || rep.Remaining != 0 {
		t.Fatalf("rerun: %+v, %v", rep, err)
	}
	if got := versions(t, db); got[2] != 12 || len(got) != 1 {
		t.Fatalf("after the rerun: %v", got)
	}

	// Only the new key is needed now: the old one can be removed.
	k2 := keeper.New(db, ring(t, 2))
	allOpen(t, k2, f.child, pws)
	allOpen(t, k2, newer.child, newerPWs)

	// Each run left one audit entry with counts and versions only.
	rows, err := db.Pool.Query(ctx, `SELECT actor_id, entity_type, after_json FROM audit_logs WHERE action = 'keys.rotate' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var entries []map[string]any
	for rows.Next() {
		var actor int64
		var entity string
		var j []byte
		if err := rows.Scan(&actor, &entity, &j); err != nil {
			t.Fatal(err)
		}
		if actor != admin.UserID || entity != "vault" {
			t.Fatalf("audit actor %d entity %q", actor, entity)
		}
		var m map[string]any
		if err := json.Unmarshal(j, &m); err != nil {
			t.Fatalf("audit JSON %s: %v", j, err)
		}
		entries = append(entries, m)
		for _, line := range keyLines {
			if _, secret, _ := strings.Cut(line, ":"); strings.Contains(string(j), secret) {
				t.Fatalf("audit JSON holds a key: %s", j)
			}
		}
	}
	if len(entries) != 2 || entries[0]["completed"] != false || entries[1]["completed"] != true ||
		entries[1]["rotated"] != float64(7) || entries[1]["newest_version"] != float64(2) {
		t.Fatalf("audit entries: %v", entries)
	}
}

// TestRotationReportsUnopenableRows: a row that cannot be opened is named,
// left untouched, and does not stop the others.
func TestRotationReportsUnopenableRows(t *testing.T) {
	t.Parallel()
	db := pgtest.DB(t)
	ctx := context.Background()
	admin := newAdmin(t, db)
	f := newFamily(t, db, "broken")
	ids, pws := keep(t, keeper.New(db, ring(t, 1)), f, 5)
	bad := ids[2]
	if _, err := db.Pool.Exec(ctx, `UPDATE game_credentials SET username = 'tampered' WHERE id = $1`, bad); err != nil {
		t.Fatal(err)
	}
	var before []byte
	if err := db.Pool.QueryRow(ctx, `SELECT password_ciphertext FROM game_credentials WHERE id = $1`, bad).Scan(&before); err != nil {
		t.Fatal(err)
	}

	k := keeper.New(db, ring(t, 1, 2))
	for range 2 { // a rerun reports the same row again
		rep, err := k.RotateKeys(ctx, admin, 2, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Failed) != 1 || rep.Failed[0].ID != bad || rep.Remaining != 1 {
			t.Fatalf("report: %+v", rep)
		}
		if !strings.Contains(rep.Failed[0].Reason, "decryption failed") {
			t.Fatalf("reason: %q", rep.Failed[0].Reason)
		}
	}
	var after []byte
	if err := db.Pool.QueryRow(ctx, `SELECT password_ciphertext FROM game_credentials WHERE id = $1`, bad).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if string(before) != string(after) {
		t.Fatal("the unopenable row was changed")
	}
	delete(pws, bad)
	allOpen(t, keeper.New(db, ring(t, 2)), f.child, pws)
}

func TestRotationNeedsAnAdmin(t *testing.T) {
	t.Parallel()
	db := pgtest.DB(t)
	f := newFamily(t, db, "notadmin")
	k := keeper.New(db, ring(t, 1, 2))
	if _, err := k.RotateKeys(context.Background(), f.parent, 10, nil); domain.ErrorCode(err) != domain.CodeForbidden {
		t.Fatalf("parent rotating: %v", err)
	}
	if _, err := db.AdminByEmail(context.Background(), "notadmin@example.com"); domain.ErrorCode(err) != domain.CodeForbidden {
		t.Fatalf("AdminByEmail of a parent: %v", err)
	}
}

// TestRotationFingerprintsOlderLogins: a login kept before the leak guard
// existed has no fingerprint, even when it is on the newest key already;
// keys rotate gives it one without re-sealing it, and the guard then
// catches its password. A run with nothing to do changes nothing.
func TestRotationFingerprintsOlderLogins(t *testing.T) {
	t.Parallel()
	db := pgtest.DB(t)
	ctx := context.Background()
	admin := newAdmin(t, db)
	f := newFamily(t, db, "older")
	k := keeper.New(db, ring(t, 1))
	ids, pws := keep(t, k, f, 3)
	// As before migration 00010: no fingerprints at all.
	if _, err := db.Pool.Exec(ctx, `DELETE FROM leak_fingerprints`); err != nil {
		t.Fatal(err)
	}
	var before []byte
	if err := db.Pool.QueryRow(ctx, `SELECT password_ciphertext FROM game_credentials WHERE id = $1`, ids[0]).Scan(&before); err != nil {
		t.Fatal(err)
	}
	if hit, err := k.CheckLeak(ctx, f.child, "it is "+pws[ids[0]]); err != nil || hit != nil {
		t.Fatalf("without fingerprints: %+v, %v", hit, err)
	}

	rep, err := k.RotateKeys(ctx, admin, 2, nil)
	if err != nil || rep.Rotated != 0 || rep.Fingerprinted != 3 || rep.AlreadyCurrent != 3 || rep.Remaining != 0 || len(rep.Failed) != 0 {
		t.Fatalf("rotation on a one-key ring: %+v, %v", rep, err)
	}
	var n int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM leak_fingerprints WHERE key_version = 1`).Scan(&n); err != nil || n != 3 {
		t.Fatalf("%d fingerprints, want 3 (%v)", n, err)
	}
	var after []byte
	if err := db.Pool.QueryRow(ctx, `SELECT password_ciphertext FROM game_credentials WHERE id = $1`, ids[0]).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if string(before) != string(after) {
		t.Fatal("a row on the newest key was re-sealed")
	}
	for _, id := range ids {
		hit, err := k.CheckLeak(ctx, f.child, "psst "+strings.ToUpper(pws[id]))
		if err != nil || hit == nil || hit.CredentialID != id {
			t.Fatalf("login %d after the rotation: %+v, %v", id, hit, err)
		}
	}
	if rep, err := k.RotateKeys(ctx, admin, 2, nil); err != nil || rep.Fingerprinted != 0 || rep.Rotated != 0 {
		t.Fatalf("second run: %+v, %v", rep, err)
	}
}

// TestRotationFingerprintsRenamedLogins: a login renamed after a key was
// added is re-sealed under the new key by the rename while its fingerprint
// stays on the old key; keys rotate moves the fingerprint too, so the guard
// still catches the password once the old key is removed.
func TestRotationFingerprintsRenamedLogins(t *testing.T) {
	t.Parallel()
	db := pgtest.DB(t)
	ctx := context.Background()
	admin := newAdmin(t, db)
	f := newFamily(t, db, "renamed")
	ids, pws := keep(t, keeper.New(db, ring(t, 1)), f, 1)
	k12 := keeper.New(db, ring(t, 1, 2))
	name := "Renamed"
	if _, err := k12.Update(ctx, f.parent, ids[0], keeper.CredentialPatch{GameName: &name}); err != nil {
		t.Fatal(err)
	}
	if got := versions(t, db); got[2] != 1 {
		t.Fatalf("after the rename: %v", got)
	}
	rep, err := k12.RotateKeys(ctx, admin, 10, nil)
	if err != nil || rep.Rotated != 0 || rep.Fingerprinted != 1 || rep.Remaining != 0 {
		t.Fatalf("rotation: %+v, %v", rep, err)
	}
	hit, err := keeper.New(db, ring(t, 2)).CheckLeak(ctx, f.child, "x "+pws[ids[0]]+" y")
	if err != nil || hit == nil || hit.GameName != "Renamed" {
		t.Fatalf("with the old key removed: %+v, %v", hit, err)
	}
}

// asBefore00014 makes every fingerprint look as one written before
// migration 00014: normalization 1, no reversed fingerprint, and (since
// the old normalization's HMAC is not the new one's) an fp no text
// matches.
func asBefore00014(t *testing.T, db *store.DB) {
	t.Helper()
	if _, err := db.Pool.Exec(context.Background(), `
		UPDATE leak_fingerprints SET norm_version = 1, fp_rev = NULL, fp = sha256(fp)`); err != nil {
		t.Fatal(err)
	}
}

func reversed(s string) string {
	r := []rune(s)
	slices.Reverse(r)
	return string(r)
}

// TestLeakPrintsRefreshed: serve's start rewrites the fingerprints kept
// with the normalization before 00014 from the sealed passwords, so they
// match as documented (reversed too); a row that cannot be opened is
// reported and left; a second run has nothing to do.
func TestLeakPrintsRefreshed(t *testing.T) {
	t.Parallel()
	db := pgtest.DB(t)
	ctx := context.Background()
	f := newFamily(t, db, "refresh")
	k := keeper.New(db, ring(t, 1))
	ids, pws := keep(t, k, f, 5)
	asBefore00014(t, db)
	bad := ids[3]
	if _, err := db.Pool.Exec(ctx, `UPDATE game_credentials SET username = 'tampered' WHERE id = $1`, bad); err != nil {
		t.Fatal(err)
	}
	if hit, err := k.CheckLeak(ctx, f.child, reversed(pws[ids[0]])); err != nil || hit != nil {
		t.Fatalf("before the refresh: %+v, %v", hit, err)
	}

	n, failed, err := k.RefreshLeakPrints(ctx, 2)
	if err != nil || n != 4 || len(failed) != 1 || failed[0].ID != bad {
		t.Fatalf("refresh: %d, %+v, %v", n, failed, err)
	}
	for _, id := range ids {
		hit, err := k.CheckLeak(ctx, f.child, "psst "+reversed(pws[id]))
		if err != nil || (hit == nil || hit.CredentialID != id) != (id == bad) {
			t.Fatalf("login %d reversed after the refresh: %+v, %v", id, hit, err)
		}
	}
	var old int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM leak_fingerprints WHERE norm_version < 2`).Scan(&old); err != nil || old != 1 {
		t.Fatalf("%d old fingerprints left, want the unopenable one (%v)", old, err)
	}
	if n, failed, err := k.RefreshLeakPrints(ctx, 2); err != nil || n != 0 || len(failed) != 1 {
		t.Fatalf("second run: %d, %+v, %v", n, failed, err)
	}
}

// TestRotationRefreshesOldNormalization: keys rotate also rewrites the
// fingerprints of an older normalization on rows already on the newest
// key.
func TestRotationRefreshesOldNormalization(t *testing.T) {
	t.Parallel()
	db := pgtest.DB(t)
	ctx := context.Background()
	admin := newAdmin(t, db)
	f := newFamily(t, db, "renorm")
	k := keeper.New(db, ring(t, 1))
	ids, pws := keep(t, k, f, 3)
	asBefore00014(t, db)
	rep, err := k.RotateKeys(ctx, admin, 2, nil)
	if err != nil || rep.Fingerprinted != 3 || rep.Rotated != 0 {
		t.Fatalf("rotation: %+v, %v", rep, err)
	}
	for _, id := range ids {
		if hit, err := k.CheckLeak(ctx, f.child, reversed(pws[id])); err != nil || hit == nil || hit.CredentialID != id {
			t.Fatalf("login %d reversed after the rotation: %+v, %v", id, hit, err)
		}
	}
}

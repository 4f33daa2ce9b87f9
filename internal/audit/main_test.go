package audit_test

import (
	"context"
	"testing"

	"pixelpals/internal/pgtest"
	"pixelpals/internal/store"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// newParent signs up a parent account, for audit rows to name as actor.
func newParent(t *testing.T, db *store.DB, name string) int64 {
	t.Helper()
	u, _, err := db.SignUpParent(context.Background(), name+"@example.com", "!", "Parent "+name)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

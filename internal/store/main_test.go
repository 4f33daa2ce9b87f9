package store_test

import (
	"context"
	"testing"

	"pixelpals/internal/domain"
	"pixelpals/internal/pgtest"
	"pixelpals/internal/store"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

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

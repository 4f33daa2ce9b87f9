package store_test

import (
	"context"
	"testing"

	"pixelpals/internal/pgtest"
	"pixelpals/internal/store"
)

// TestPoolSize: the pool is DefaultMaxConns unless told otherwise.
func TestPoolSize(t *testing.T) {
	url := pgtest.URL(t)
	for _, tc := range []struct{ set, want int }{{0, store.DefaultMaxConns}, {7, 7}} {
		db, err := store.OpenWith(context.Background(), url, store.Options{MaxConns: tc.set})
		if err != nil {
			t.Fatal(err)
		}
		if got := db.Pool.Stat().MaxConns(); int(got) != tc.want {
			t.Errorf("MaxConns %d: pool of %d, want %d", tc.set, got, tc.want)
		}
		db.Close()
	}
}

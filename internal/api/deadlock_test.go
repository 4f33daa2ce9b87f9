package api_test

import (
	"fmt"
	"sync"
	"testing"

	"pixelpals/internal/apitest"
)

// TestDeletingAFamilyWhileItsChildSends: an admin deletes a parent (and so
// the children) while a child keeps sending. Account actions lock every
// users row they change first, as sends do, so neither side ever meets a
// deadlock: the delete succeeds and no send fails with a server error.
func TestDeletingAFamilyWhileItsChildSends(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	for round := range 6 {
		fam := env.Family(admin, 1)
		kid := fam.Child()
		conv := createDirect(kid, fam.Parent.UserID).ID
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var serverErrors []string
		var mu sync.Mutex
		for _, c := range []*apitest.Client{kid, fam.Parent} {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					if r := send(c, conv, "busy"); r.Status >= 500 {
						mu.Lock()
						serverErrors = append(serverErrors, fmt.Sprintf("%d %s", r.Status, r.Body))
						mu.Unlock()
					}
				}
			})
		}
		mustSend(t, kid, conv, "first")
		r := admin.Do("DELETE", "/admin/users/"+itoa(fam.Parent.UserID), nil)
		close(stop)
		wg.Wait()
		if r.Status != 204 {
			t.Fatalf("round %d: deleting the family: %d %s", round, r.Status, r.Body)
		}
		if len(serverErrors) > 0 {
			t.Fatalf("round %d: sends failed with server errors: %v", round, serverErrors)
		}
	}
}

// TestEditingAGameLoginWhileTheChildIsDeleted: a parent edits a game login
// while deleting the child it belongs to. Both lock the child's row before
// the credential, so one simply waits for the other.
func TestEditingAGameLoginWhileTheChildIsDeleted(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	for round := range 6 {
		fam := env.Family(admin, 1)
		kid := fam.Child()
		var cred struct{ ID int64 }
		fam.Parent.Must(201, "POST", "/children/"+itoa(kid.UserID)+"/game-credentials",
			map[string]string{"game_name": "Blocks", "username": "builder", "password": "pw"}, &cred)
		var wg sync.WaitGroup
		statuses := make([]int, 8)
		for i := range statuses {
			wg.Go(func() {
				statuses[i] = fam.Parent.Do("PATCH", "/game-credentials/"+itoa(cred.ID),
					map[string]string{"username": fmt.Sprintf("builder%d", i)}).Status
			})
		}
		del := fam.Parent.Do("DELETE", "/children/"+itoa(kid.UserID), nil)
		wg.Wait()
		if del.Status != 204 {
			t.Fatalf("round %d: deleting the child: %d %s", round, del.Status, del.Body)
		}
		for _, s := range statuses {
			if s != 200 && s != 404 {
				t.Fatalf("round %d: an edit racing the deletion answered %d (all: %v)", round, s, statuses)
			}
		}
	}
}

package api_test

import (
	"fmt"
)

// ownCredentialID keeps a game login for family A's child, added by their
// parent through the API, and returns its id.
func ownCredentialID(w *world) int64 {
	var c struct{ ID int64 }
	w.a.Parent.Must(201, "POST", fmt.Sprintf("/children/%d/game-credentials", w.a.Child().UserID),
		map[string]string{"game_name": "Blockcraft", "username": "kid_a", "password": "hunter2!"}, &c)
	return c.ID
}

// childOnlyOwn is a route on family A's child's own thing that only that
// child may use: the other family's child learns nothing (404), other
// roles are refused (403).
func childOnlyOwn(ok int) map[role]int {
	return statuses(403, map[role]int{anonymous: 401, suspendedParent: 401, ownChild: ok, otherChild: 404})
}

var _ = addMatrix(
	matrixCase{method: "GET", route: "/children/{id}/game-credentials",
		path: func(w *world) string {
			ownCredentialID(w)
			return fmt.Sprintf("/children/%d/game-credentials", ownChildID(w))
		},
		want: ownParentOnly(200)},
	matrixCase{method: "POST", route: "/children/{id}/game-credentials",
		path: pathf("/children/%d/game-credentials", ownChildID),
		body: fixedBody(map[string]string{"game_name": "Pixel Kart", "username": "racer", "password": "vroom-vroom"}),
		want: ownParentOnly(201)},
	matrixCase{method: "GET", route: "/me/game-credentials",
		path: func(w *world) string { ownCredentialID(w); return "/me/game-credentials" },
		want: statuses(403, map[role]int{anonymous: 401, suspendedParent: 401, ownChild: 200, otherChild: 200})},
	matrixCase{method: "PATCH", route: "/game-credentials/{id}",
		path: pathf("/game-credentials/%d", ownCredentialID),
		body: fixedBody(map[string]string{"username": "kid_a_renamed"}),
		want: ownParentOnly(200)},
	matrixCase{method: "DELETE", route: "/game-credentials/{id}",
		path: pathf("/game-credentials/%d", ownCredentialID), want: ownParentOnly(204)},
	matrixCase{method: "POST", route: "/game-credentials/{id}/reveal",
		path: pathf("/game-credentials/%d/reveal", ownCredentialID), want: childOnlyOwn(200)},
)

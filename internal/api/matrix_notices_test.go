package api_test

import (
	"fmt"
)

// ownLeakNotice has family A's child send their kept game password, so
// that their parent has a notice, and returns its id.
func ownLeakNotice(w *world) int64 {
	child, parent := w.a.Child(), w.a.Parent
	parent.Must(201, "POST", fmt.Sprintf("/children/%d/game-credentials", child.UserID),
		map[string]string{"game_name": "Blockcraft", "username": "kid", "password": "Hunter2!"}, nil)
	var conv struct{ ID int64 }
	child.Must(201, "POST", "/conversations", map[string]any{"member_ids": []int64{parent.UserID}, "is_group": false}, &conv)
	child.Must(422, "POST", fmt.Sprintf("/conversations/%d/messages", conv.ID),
		map[string]string{"type": "text", "content": "it is Hunter2!", "client_id": "leak-matrix"}, nil)
	var list pageJSON[struct{ ID int64 }]
	parent.Must(200, "GET", "/me/notices", nil, &list)
	return list.Items[0].ID
}

var _ = addMatrix(
	matrixCase{method: "GET", route: "/me/notices",
		path: func(w *world) string { ownLeakNotice(w); return "/me/notices" },
		want: statuses(403, map[role]int{anonymous: 401, suspendedParent: 401, parent: 200, otherParent: 200})},
	matrixCase{method: "DELETE", route: "/me/notices/{id}",
		path: pathf("/me/notices/%d", ownLeakNotice),
		want: statuses(403, map[role]int{anonymous: 401, suspendedParent: 401, parent: 204, otherParent: 404})},
)

package api_test

import (
	"fmt"
	"sync"
)

// groupOfMessage remembers, per world, the group unreadMessage sent its
// message to: the matrix builds a row's body before its path.
var groupOfMessage sync.Map // *world → int64

// unreadMessage is the body naming a message A's child's sibling sent to
// their group, so that A's child has something to mark read.
func unreadMessage(w *world) any {
	conv, sibling := siblingGroup(w)
	var m messageJSON
	sibling.Must(201, "POST", fmt.Sprintf("/conversations/%d/messages", conv),
		map[string]any{"type": "text", "content": "read me", "client_id": "r1"}, &m)
	groupOfMessage.Store(w, conv)
	return map[string]int64{"message_id": m.ID}
}

func groupOfBody(w *world) int64 {
	conv, _ := groupOfMessage.LoadAndDelete(w)
	return conv.(int64)
}

var _ = addMatrix(
	// Only a member marks their own messages read: A's parent only reads
	// the child's chat (403: no marker, the child's is not theirs to
	// move), admins are no family (403).
	matrixCase{method: "POST", route: "/conversations/{id}/read", path: pathf("/conversations/%d/read", groupOfBody),
		body: unreadMessage, want: familyOnly(200, map[role]int{parent: 403, otherParent: 404, otherChild: 404})},
	// A message of another conversation: 404 for the member too.
	matrixCase{method: "POST", route: "/conversations/{id}/read", path: pathf("/conversations/%d/read", groupID),
		body: unreadMessage, want: familyOnly(404, map[role]int{parent: 403, otherParent: 404, otherChild: 404})},
)

package api_test

import (
	"fmt"
)

// Reactions (docs/chat.md "Reactions"): a reaction is a tiny message, so
// who may react is who may send: a member (A's child, in the sibling
// group); A's parent only reads the chat (403); admins are no readers of
// an unreported chat (404) and no members of a reported one (403);
// strangers learn nothing (404).

// siblingMessage is a message A's child's sibling sent to their group.
func siblingMessage(w *world) (conv, msg int64) {
	conv, sibling := siblingGroup(w)
	var m messageJSON
	sibling.Must(201, "POST", fmt.Sprintf("/conversations/%d/messages", conv),
		map[string]any{"type": "text", "content": "look at my drawing", "client_id": "s1"}, &m)
	return conv, m.ID
}

// reactionPath is the path of reaction kind on siblingMessage.
func reactionPath(kind string) func(w *world) string {
	return func(w *world) string {
		conv, msg := siblingMessage(w)
		return fmt.Sprintf("/conversations/%d/messages/%d/reactions/%s", conv, msg, kind)
	}
}

// reactedPath is siblingMessage's heart after A's child put it there, for
// taking it off.
func reactedPath(w *world) string {
	p := reactionPath("heart")(w)
	w.a.Child().Must(200, "PUT", p, nil, nil)
	return p
}

// deletedMessagePath is the sibling's message after the sibling deleted it.
func deletedMessagePath(w *world) string {
	conv, sibling := siblingGroup(w)
	var m messageJSON
	sibling.Must(201, "POST", fmt.Sprintf("/conversations/%d/messages", conv),
		map[string]any{"type": "text", "content": "oops", "client_id": "s2"}, &m)
	sibling.Must(204, "DELETE", fmt.Sprintf("/messages/%d", m.ID), nil, nil)
	return fmt.Sprintf("/conversations/%d/messages/%d/reactions/star", conv, m.ID)
}

// frozenMessagePath is siblingMessage after the parent revoked the
// siblings' link, which froze the group.
func frozenMessagePath(w *world) string {
	sibling := w.a.AddChild()
	link := approveLink(w.a, w.a.Child(), w.a, sibling)
	conv := createGroup(w.a.Child(), "siblings", sibling.UserID).ID
	var m messageJSON
	sibling.Must(201, "POST", fmt.Sprintf("/conversations/%d/messages", conv),
		map[string]any{"type": "text", "content": "hi", "client_id": "s3"}, &m)
	w.a.Parent.Must(204, "DELETE", fmt.Sprintf("/contacts/%d", link), nil, nil)
	return fmt.Sprintf("/conversations/%d/messages/%d/reactions/wow", conv, m.ID)
}

// reportedMessagePath is siblingMessage after A's child reported it:
// admins may read the group now, but not react in it.
func reportedMessagePath(w *world) string {
	conv, msg := siblingMessage(w)
	w.a.Child().Must(201, "POST", fmt.Sprintf("/messages/%d/report", msg), map[string]string{"reason": "mean"}, nil)
	return fmt.Sprintf("/conversations/%d/messages/%d/reactions/sad", conv, msg)
}

// otherConversationPath names a message of another conversation of A's
// child under the sibling group.
func otherConversationPath(w *world) string {
	conv, _ := siblingGroup(w)
	_, msg := siblingMessage(w)
	return fmt.Sprintf("/conversations/%d/messages/%d/reactions/laugh", conv, msg)
}

const reactionRoute = "/conversations/{id}/messages/{message_id}/reactions/{kind}"

// reactionShape: a member may; the parent reads only; admins and the
// other family may not read the chat at all.
func reactionShape(member int) map[role]int {
	return familyOnly(member, map[role]int{parent: 403, admin: 404, otherParent: 404, otherChild: 404})
}

var _ = addMatrix(
	matrixCase{method: "PUT", route: reactionRoute, path: reactionPath("heart"), want: reactionShape(200)},
	matrixCase{method: "PUT", route: reactionRoute, path: reactionPath("thumbs_up"), want: reactionShape(200)},
	matrixCase{method: "DELETE", route: reactionRoute, path: reactedPath, want: reactionShape(200)},
	// An unknown kind is refused before anything is looked up, naming kind.
	matrixCase{method: "PUT", route: reactionRoute, path: reactionPath("poop"), want: anyActive(400)},
	matrixCase{method: "DELETE", route: reactionRoute, path: reactionPath("HEART"), want: anyActive(400)},
	// A deleted message, a frozen group: the member is refused (409).
	matrixCase{method: "PUT", route: reactionRoute, path: deletedMessagePath, want: reactionShape(409)},
	matrixCase{method: "PUT", route: reactionRoute, path: frozenMessagePath, want: reactionShape(409)},
	// Once reported, an admin reads the group but is no member (403).
	matrixCase{method: "PUT", route: reactionRoute, path: reportedMessagePath,
		want: familyOnly(200, map[role]int{parent: 403, admin: 403, otherParent: 404, otherChild: 404})},
	// A message of another conversation is no message of this one.
	matrixCase{method: "PUT", route: reactionRoute, path: otherConversationPath, want: reactionShape(404)},
)

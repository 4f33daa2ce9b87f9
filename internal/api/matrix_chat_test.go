package api_test

import (
	"fmt"

	"pixelpals/internal/apitest"
)

// Fixtures of the contacts and chat rows. Family A owns every target; a
// third family C, made per world, is the other side of contact links, so
// that family B (other_parent, other_child) stays a stranger.

func familyC(w *world) *apitest.Family { return w.env.Family(w.setup, 1) }

// pendingFromC is a link family C's parent asked for between their child
// and A's child: approved on C's side, pending on A's.
func pendingFromC(w *world) int64 {
	c := familyC(w)
	return requestLink(c, c.Child(), w.a.Child()).ID
}

// approvedWithC is an approved link between A's child and C's child.
func approvedWithC(w *world) int64 {
	c := familyC(w)
	return approveLink(w.a, w.a.Child(), c, c.Child())
}

// siblingGroup is a group owned by A's child with a sibling (siblings are
// approved contacts once their parent asks). A's parent is not a member.
func siblingGroup(w *world) (conv int64, sibling *apitest.Client) {
	sibling = w.a.AddChild()
	approveLink(w.a, w.a.Child(), w.a, sibling)
	return createGroup(w.a.Child(), "siblings", sibling.UserID).ID, sibling
}

func groupID(w *world) int64 { id, _ := siblingGroup(w); return id }

// messageInGroup is a message A's child sent to the sibling group.
func messageInGroup(w *world) int64 {
	conv := groupID(w)
	var m messageJSON
	w.a.Child().Must(201, "POST", fmt.Sprintf("/conversations/%d/messages", conv),
		map[string]any{"type": "text", "content": "hello", "client_id": "m1"}, &m)
	return m.ID
}

// reportByChild is a report A's child filed about a message in the group.
func reportByChild(w *world) int64 {
	var rep struct{ ID int64 }
	w.a.Child().Must(201, "POST", fmt.Sprintf("/messages/%d/report", messageInGroup(w)), map[string]string{"reason": "mean"}, &rep)
	return rep.ID
}

// familyOnly is the shape of routes any active child or parent may call
// but admins may not.
func familyOnly(ok int, except map[role]int) map[role]int {
	m := statuses(ok, map[role]int{anonymous: 401, suspendedParent: 401, pendingParent: 403, admin: 403})
	for r, s := range except {
		m[r] = s
	}
	return m
}

var _ = addMatrix(
	matrixCase{method: "GET", route: "/me/friend-code", path: path("/me/friend-code"),
		want: statuses(403, map[role]int{anonymous: 401, suspendedParent: 401, ownChild: 200, otherChild: 200})},
	matrixCase{method: "GET", route: "/children/{id}/friend-code", path: pathf("/children/%d/friend-code", ownChildID), want: ownParentOnly(200)},
	matrixCase{method: "POST", route: "/children/{id}/friend-code", path: pathf("/children/%d/friend-code", ownChildID), want: ownParentOnly(200)},

	matrixCase{method: "POST", route: "/contacts", path: path("/contacts"),
		body: func(w *world) any {
			return map[string]any{"friend_code": friendCode(familyC(w).Child()), "child_id": w.a.Child().UserID}
		},
		want: familyOnly(201, map[role]int{otherParent: 404, otherChild: 403})},
	matrixCase{method: "GET", route: "/contacts", path: pathf("/contacts?child_id=%d", ownChildID),
		want: familyOnly(200, map[role]int{otherParent: 404, otherChild: 403})},
	matrixCase{method: "POST", route: "/contacts/{id}/approve", path: pathf("/contacts/%d/approve", pendingFromC), want: ownParentOnly(200)},
	matrixCase{method: "POST", route: "/contacts/{id}/reject", path: pathf("/contacts/%d/reject", pendingFromC), want: ownParentOnly(204)},
	matrixCase{method: "DELETE", route: "/contacts/{id}", path: pathf("/contacts/%d", approvedWithC), want: ownParentOnly(204)},

	// A direct conversation with A's child: their parent may; the child
	// alone is too few members; strangers break the contact rule.
	matrixCase{method: "POST", route: "/conversations", path: path("/conversations"),
		body: func(w *world) any {
			return map[string]any{"member_ids": []int64{w.a.Child().UserID}, "is_group": false}
		},
		want: familyOnly(201, map[role]int{ownChild: 400, otherParent: 403, otherChild: 403})},
	// A group made by A's parent for A's child with the child's friend
	// from family C: only that parent may (a child may not use child_id).
	matrixCase{method: "POST", route: "/conversations", path: path("/conversations"),
		body: func(w *world) any {
			c := familyC(w) // a new family each call: once, for the link and the member
			approveLink(w.a, w.a.Child(), c, c.Child())
			return map[string]any{"member_ids": []int64{c.Child().UserID}, "is_group": true, "title": "club",
				"child_id": w.a.Child().UserID}
		},
		want: familyOnly(201, map[role]int{ownChild: 403, otherParent: 404, otherChild: 403})},
	matrixCase{method: "GET", route: "/conversations", path: pathf("/conversations?child_id=%d", ownChildID),
		want: familyOnly(200, map[role]int{otherParent: 404, otherChild: 403})},
	// Without child_id: everyone's own, and a parent's children's.
	matrixCase{method: "GET", route: "/conversations", path: path("/conversations"), want: familyOnly(200, nil)},
	matrixCase{method: "GET", route: "/conversations/{id}", path: pathf("/conversations/%d", groupID),
		want: familyOnly(200, map[role]int{admin: 404, otherParent: 404, otherChild: 404})},
	// Renaming: the owner (A's child) may; their parent only reads.
	matrixCase{method: "PATCH", route: "/conversations/{id}", path: pathf("/conversations/%d", groupID),
		body: fixedBody(map[string]string{"title": "space club"}),
		want: familyOnly(200, map[role]int{parent: 403, otherParent: 404, otherChild: 404})},
	// The owner (A's child) adds their parent; the parent, who only reads,
	// may not.
	matrixCase{method: "POST", route: "/conversations/{id}/members", path: pathf("/conversations/%d/members", groupID),
		body: func(w *world) any { return map[string]int64{"user_id": w.a.Parent.UserID} },
		want: familyOnly(200, map[role]int{parent: 403, otherParent: 404, otherChild: 404})},
	// Removing the sibling: the owner may, and so may the sibling's parent.
	matrixCase{method: "DELETE", route: "/conversations/{id}/members/{user_id}",
		path: func(w *world) string {
			conv, sibling := siblingGroup(w)
			return fmt.Sprintf("/conversations/%d/members/%d", conv, sibling.UserID)
		},
		want: familyOnly(204, map[role]int{otherParent: 404, otherChild: 404})},
	matrixCase{method: "GET", route: "/conversations/{id}/messages", path: pathf("/conversations/%d/messages", groupID),
		want: familyOnly(200, map[role]int{admin: 404, otherParent: 404, otherChild: 404})},
	matrixCase{method: "POST", route: "/conversations/{id}/messages", path: pathf("/conversations/%d/messages", groupID),
		body: fixedBody(map[string]string{"type": "text", "content": "hi", "client_id": "x1"}),
		want: familyOnly(201, map[role]int{parent: 403, admin: 404, otherParent: 404, otherChild: 404})},
	// A's child's message: the sender, their parent and admins may delete.
	matrixCase{method: "DELETE", route: "/messages/{id}", path: pathf("/messages/%d", messageInGroup),
		want: familyOnly(204, map[role]int{admin: 204, otherParent: 404, otherChild: 404})},
	matrixCase{method: "POST", route: "/messages/{id}/report", path: pathf("/messages/%d/report", messageInGroup),
		body: fixedBody(map[string]string{"reason": "not nice"}),
		want: familyOnly(201, map[role]int{otherParent: 404, otherChild: 404})},
	matrixCase{method: "GET", route: "/reports", path: path("/reports"), want: familyOnly(200, nil)},
	matrixCase{method: "GET", route: "/admin/reports", path: path("/admin/reports?status=open"), want: adminsOnly(200)},
	matrixCase{method: "POST", route: "/admin/reports/{id}/resolve", path: pathf("/admin/reports/%d/resolve", reportByChild),
		body: fixedBody(map[string]string{"resolution": "dismissed"}), want: adminsOnly(200)},
)

// leftAloneGroup is the sibling group after the sibling's account was
// deleted: A's child is the only one left in it.
func leftAloneGroup(w *world) int64 {
	conv, sibling := siblingGroup(w)
	w.a.Parent.Must(204, "DELETE", fmt.Sprintf("/children/%d", sibling.UserID), nil, nil)
	return conv
}

var _ = addMatrix(
	// Hiding: a member, once nobody else is left; a parent only reads.
	matrixCase{method: "POST", route: "/conversations/{id}/hide", path: pathf("/conversations/%d/hide", leftAloneGroup),
		want: familyOnly(204, map[role]int{parent: 403, otherParent: 404, otherChild: 404})},
	// While the sibling is still in it, the member is refused too.
	matrixCase{method: "POST", route: "/conversations/{id}/hide", path: pathf("/conversations/%d/hide", groupID),
		want: familyOnly(409, map[role]int{parent: 403, otherParent: 404, otherChild: 404})},
)

package api_test

// The decline rows (issue 21.4). pendingFromC is addressed to A's child,
// who may decline it; pendingToC is A's child's own request, which only
// C's child may decline. Parents and admins never decline (the route is
// children's); a child outside the link learns nothing (404).

// pendingToC is a link A's child asked C's child for.
func pendingToC(w *world) int64 {
	return childRequests(w.a.Child(), familyC(w).Child()).ID
}

var _ = addMatrix(
	matrixCase{method: "POST", route: "/contacts/{id}/decline",
		path: pathf("/contacts/%d/decline", pendingFromC), want: childOnlyOwn(200)},
	matrixCase{method: "POST", route: "/contacts/{id}/decline",
		path: pathf("/contacts/%d/decline", pendingToC), want: childOnlyOwn(403)},
)

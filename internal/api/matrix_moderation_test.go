package api_test

// The moderators' routes (issue 23 point 6): a report's detail with the
// messages around it, resolving with a note and the sender's suspension,
// and a suspension with a note. Admins only; every family role is refused
// before anything is read.
var _ = addMatrix(
	matrixCase{method: "GET", route: "/admin/reports/{id}", path: pathf("/admin/reports/%d", reportByChild), want: adminsOnly(200)},
	matrixCase{method: "POST", route: "/admin/reports/{id}/resolve", path: pathf("/admin/reports/%d/resolve", reportByChild),
		body: fixedBody(map[string]any{"resolution": "message_deleted", "suspend_sender": true, "note": "spamming"}),
		want: adminsOnly(200)},
	matrixCase{method: "POST", route: "/admin/users/{id}/suspend", path: pathf("/admin/users/%d/suspend", ownChildID),
		body: fixedBody(map[string]string{"note": "spamming"}), want: adminsOnly(200)},
)

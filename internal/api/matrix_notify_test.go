package api_test

// Notification settings are a parent's own: every approved parent reads
// and sets theirs; nobody else has any.
var _ = addMatrix(
	matrixCase{method: "GET", route: "/me/notification-settings", path: path("/me/notification-settings"),
		want: statuses(403, map[role]int{anonymous: 401, suspendedParent: 401, parent: 200, otherParent: 200})},
	matrixCase{method: "PUT", route: "/me/notification-settings", path: path("/me/notification-settings"),
		body: fixedBody(map[string]string{"report_resolved": "off"}),
		want: statuses(403, map[role]int{anonymous: 401, suspendedParent: 401, parent: 200, otherParent: 200})},
)

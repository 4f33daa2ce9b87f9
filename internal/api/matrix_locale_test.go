package api_test

// The language of an account (issue 25): one's own, and a parent's child's.
var _ = addMatrix(
	matrixCase{method: "PATCH", route: "/me/profile", path: path("/me/profile"),
		body: fixedBody(map[string]any{"locale": "de"}), want: anyActive(200)},
	matrixCase{method: "PATCH", route: "/children/{id}", path: pathf("/children/%d", ownChildID),
		body: fixedBody(map[string]any{"locale": "es"}), want: ownParentOnly(200)},
)

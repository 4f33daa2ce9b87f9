package api_test

// Verification and recovery are public: whoever holds a mailed link is
// who they are for. Each role gets the same answer: 200 for a link, 202
// for a reset request, 400 for a link that does not work.
var _ = addMatrix(
	matrixCase{method: "POST", route: "/auth/verify-email", path: path("/auth/verify-email"),
		body: fixedBody(map[string]string{"token": "not-a-link-anyone-was-mailed"}), want: statuses(400, nil)},
	matrixCase{method: "POST", route: "/auth/password-reset", path: path("/auth/password-reset"),
		body: func(w *world) any { return map[string]string{"email": w.a.Parent.Login} }, want: statuses(202, nil)},
	matrixCase{method: "POST", route: "/auth/password-reset/confirm", path: path("/auth/password-reset/confirm"),
		body: fixedBody(map[string]string{"token": "not-a-link-anyone-was-mailed", "password": "long-enough"}), want: statuses(400, nil)},
)

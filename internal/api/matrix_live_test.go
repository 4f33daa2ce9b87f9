package api_test

// The event socket's row. The matrix sends a plain GET, which every role
// allowed in is told to upgrade (426); the real handshakes per role, the
// Origin rule and what each role receives are in live_test.go.
var _ = addMatrix(
	matrixCase{method: "GET", route: "/ws", path: path("/ws"), want: anyActive(426)},
)

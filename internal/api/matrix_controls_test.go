package api_test

import (
	"fmt"
)

// sleepBody is a valid sleep-mode schedule.
var sleepBody = map[string]any{"time_zone": "Europe/Berlin",
	"weekday": map[string]string{"start": "20:00", "end": "07:00"}, "weekend": nil, "allow_parent_messages": true}

// ownSleepMode sets family A's child's sleep mode and returns the child.
func ownSleepMode(w *world) int64 {
	w.a.Parent.Must(200, "PUT", fmt.Sprintf("/children/%d/sleep-mode", ownChildID(w)), sleepBody, nil)
	return ownChildID(w)
}

var _ = addMatrix(
	matrixCase{method: "GET", route: "/children/{id}/sleep-mode",
		path: pathf("/children/%d/sleep-mode", ownSleepMode), want: ownParentOnly(200)},
	matrixCase{method: "PUT", route: "/children/{id}/sleep-mode",
		path: pathf("/children/%d/sleep-mode", ownChildID), body: fixedBody(sleepBody), want: ownParentOnly(200)},
	matrixCase{method: "DELETE", route: "/children/{id}/sleep-mode",
		path: pathf("/children/%d/sleep-mode", ownSleepMode), want: ownParentOnly(204)},
	matrixCase{method: "GET", route: "/me/sleep-mode",
		path: func(w *world) string { ownSleepMode(w); return "/me/sleep-mode" },
		want: statuses(403, map[role]int{anonymous: 401, suspendedParent: 401, ownChild: 200, otherChild: 200})},
)

// blockedWithC is an approved link between A's child and C's child that
// A's child has blocked.
func blockedWithC(w *world) int64 {
	id := approvedWithC(w)
	w.a.Child().Must(200, "POST", fmt.Sprintf("/contacts/%d/block", id), nil, nil)
	return id
}

var _ = addMatrix(
	matrixCase{method: "POST", route: "/contacts/{id}/block",
		path: pathf("/contacts/%d/block", approvedWithC), want: childOnlyOwn(200)},
	matrixCase{method: "POST", route: "/contacts/{id}/unblock",
		path: pathf("/contacts/%d/unblock", blockedWithC), want: ownParentOnly(200)},
)

var _ = addMatrix(
	matrixCase{method: "GET", route: "/children/{id}/activity",
		path: pathf("/children/%d/activity", ownChildID), want: ownParentOnly(200)},
)

package api_test

import (
	"fmt"

	"pixelpals/internal/apitest"
	"pixelpals/internal/media/mediatest"
)

// uploadImage uploads a small photo as c and returns its id.
func uploadImage(c *apitest.Client, w, h int) int64 {
	var m struct{ ID int64 }
	r := c.Upload("photo.jpg", "image/jpeg", mediatest.JPEGWithGPS(w, h, 1))
	if r.Status != 201 {
		panic(fmt.Sprintf("upload: %d %s", r.Status, r.Body))
	}
	if err := jsonInto(r, &m); err != nil {
		panic(err)
	}
	return m.ID
}

// sentImage is a photo A's child uploaded and sent to the sibling group.
func sentImage(w *world) int64 {
	conv := groupID(w)
	id := uploadImage(w.a.Child(), 8, 8)
	w.a.Child().Must(201, "POST", fmt.Sprintf("/conversations/%d/messages", conv),
		map[string]any{"type": "image", "media_id": id, "client_id": nextClientID()}, nil)
	return id
}

var _ = addMatrix(
	matrixCase{method: "POST", route: "/media", path: path("/media"),
		upload: func(*world) []byte { return mediatest.JPEGWithGPS(8, 8, 1) }, want: anyActive(201)},
	matrixCase{method: "GET", route: "/media/{id}", path: pathf("/media/%d", sentImage),
		want: statuses(200, map[role]int{anonymous: 401, suspendedParent: 401, pendingParent: 403, otherParent: 404, otherChild: 404})},
	matrixCase{method: "GET", route: "/profiles/{user_id}/avatar", path: pathf("/profiles/%d/avatar", ownChildID),
		want: statuses(200, map[role]int{anonymous: 401, suspendedParent: 401, pendingParent: 403, otherParent: 404, otherChild: 404})},
	matrixCase{method: "GET", route: "/children/{id}/media", path: pathf("/children/%d/media", ownChildID), want: ownParentOnly(200)},
)

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
	id, _ := sendImage(w)
	return id
}

// sendImage sends a new photo of A's child to the sibling group and
// returns the upload and the message.
func sendImage(w *world) (mediaID, messageID int64) {
	conv := groupID(w)
	mediaID = uploadImage(w.a.Child(), 8, 8)
	var m messageJSON
	w.a.Child().Must(201, "POST", fmt.Sprintf("/conversations/%d/messages", conv),
		map[string]any{"type": "image", "media_id": mediaID, "client_id": nextClientID()}, &m)
	return mediaID, m.ID
}

// sentPhoto is a photo larger than a thumbnail, which it therefore has,
// sent by A's child to the sibling group.
func sentPhoto(w *world) int64 {
	conv := groupID(w)
	mediaID := uploadImage(w.a.Child(), 640, 480)
	w.a.Child().Must(201, "POST", fmt.Sprintf("/conversations/%d/messages", conv),
		map[string]any{"type": "image", "media_id": mediaID, "client_id": nextClientID()}, nil)
	return mediaID
}

// reportedImage is a photo sent to the sibling group, whose message A's
// child then reported: admins may read that conversation, and its media.
func reportedImage(w *world) int64 {
	mediaID, messageID := sendImage(w)
	w.a.Child().Must(201, "POST", fmt.Sprintf("/messages/%d/report", messageID), map[string]string{"reason": "mean"}, nil)
	return mediaID
}

// avatarImage is a photo A's child uploaded and made their avatar, never
// sent in a message.
func avatarImage(w *world) int64 {
	id := uploadImage(w.a.Child(), 8, 8)
	w.a.Child().Must(200, "PATCH", "/me/profile", map[string]any{"avatar_media_id": id}, nil)
	return id
}

var _ = addMatrix(
	matrixCase{method: "POST", route: "/media", path: path("/media"),
		upload: func(*world) []byte { return mediatest.JPEGWithGPS(8, 8, 1) }, want: anyActive(201)},
	// Admins read media as they read conversations: only where a message
	// was reported.
	matrixCase{method: "GET", route: "/media/{id}", path: pathf("/media/%d", sentImage),
		want: statuses(200, map[role]int{anonymous: 401, suspendedParent: 401, pendingParent: 403, admin: 404, otherParent: 404, otherChild: 404})},
	matrixCase{method: "GET", route: "/media/{id}", path: pathf("/media/%d", reportedImage),
		want: statuses(200, map[role]int{anonymous: 401, suspendedParent: 401, pendingParent: 403, otherParent: 404, otherChild: 404})},
	// An avatar goes by its profile, which admins may see.
	matrixCase{method: "GET", route: "/media/{id}", path: pathf("/media/%d", avatarImage),
		want: statuses(200, map[role]int{anonymous: 401, suspendedParent: 401, pendingParent: 403, otherParent: 404, otherChild: 404})},
	// A thumbnail goes by the same check as its image, never its own.
	matrixCase{method: "GET", route: "/media/{id}", path: pathf("/media/%d?size=thumb", sentPhoto),
		want: statuses(200, map[role]int{anonymous: 401, suspendedParent: 401, pendingParent: 403, admin: 404, otherParent: 404, otherChild: 404})},
	matrixCase{method: "GET", route: "/media/{id}", path: pathf("/media/%d?size=thumb", reportedImage),
		want: statuses(200, map[role]int{anonymous: 401, suspendedParent: 401, pendingParent: 403, otherParent: 404, otherChild: 404})},
	matrixCase{method: "GET", route: "/media/{id}", path: pathf("/media/%d?size=thumb", avatarImage),
		want: statuses(200, map[role]int{anonymous: 401, suspendedParent: 401, pendingParent: 403, otherParent: 404, otherChild: 404})},
	matrixCase{method: "GET", route: "/profiles/{user_id}/avatar", path: pathf("/profiles/%d/avatar", ownChildID),
		want: statuses(200, map[role]int{anonymous: 401, suspendedParent: 401, pendingParent: 403, otherParent: 404, otherChild: 404})},
	matrixCase{method: "GET", route: "/children/{id}/media", path: pathf("/children/%d/media", ownChildID), want: ownParentOnly(200)},
)

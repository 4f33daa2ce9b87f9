package domain

import "strconv"

// MediaPath is where clients fetch an upload: GET MediaPath + id (the
// API's GET /media/{id}, SPEC §6). It is part of the contract rather
// than of one layer: the store persists MediaURL in the seed's
// messages.media_url and profiles.avatar_url, which clients and live
// events read as they are, and the API serves the path.
const MediaPath = "/api/v1/media/"

// MediaURL is the service's own address of upload id.
func MediaURL(id int64) string { return MediaPath + strconv.FormatInt(id, 10) }

// MediaThumbURL is the address of image upload id's thumbnail (the
// image itself when it has none: SPEC §6, docs/media.md).
func MediaThumbURL(id int64) string { return MediaURL(id) + "?size=thumb" }

// AvatarURL is where clients fetch userID's avatar (GET
// /profiles/{user_id}/avatar: the upload, else the generated default),
// seen by whoever may see the profile.
func AvatarURL(userID int64) string {
	return "/api/v1/profiles/" + strconv.FormatInt(userID, 10) + "/avatar"
}

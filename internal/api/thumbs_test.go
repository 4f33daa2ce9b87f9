package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"image"
	"image/jpeg"
	"net/http"
	"testing"

	"pixelpals/internal/apitest"
	"pixelpals/internal/media/mediatest"
)

func decodeJPEG(t *testing.T, r *apitest.Response) image.Rectangle {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "image/jpeg" {
		t.Fatalf("served as %s", ct)
	}
	img, err := jpeg.Decode(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	return img.Bounds()
}

// TestPhotosStoredSmallWithThumbnail: a camera-sized photo is stored at
// 2048 px on its long edge, its thumbnail at 320 px behind
// ?size=thumb with its own ETag, and both are free of metadata.
func TestPhotosStoredSmallWithThumbnail(t *testing.T) {
	env := apitest.New(t)
	kid := env.Family(env.Admin(), 1).Child()
	r := kid.Upload("big.jpg", "image/jpeg", mediatest.JPEGWithGPS(3000, 2000, 1))
	var u struct {
		ID       int64
		Width    int
		Height   int
		Size     int
		ThumbURL string `json:"thumb_url"`
	}
	if r.Status != 201 || jsonInto(r, &u) != nil {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	if u.Width != 2048 || u.Height != 1365 || u.ThumbURL != fmt.Sprintf("/api/v1/media/%d?size=thumb", u.ID) {
		t.Fatalf("answered %s", r.Body)
	}
	full := kid.Must(200, "GET", fmt.Sprintf("/media/%d", u.ID), nil, nil)
	if b := decodeJPEG(t, full); b.Dx() != 2048 || b.Dy() != 1365 || len(full.Body) != u.Size {
		t.Errorf("full image %v, %d bytes", b, len(full.Body))
	}
	thumb := kid.Must(200, "GET", fmt.Sprintf("/media/%d?size=thumb", u.ID), nil, nil)
	if b := decodeJPEG(t, thumb); b.Dx() != 320 || b.Dy() != 213 {
		t.Errorf("thumbnail %v", b)
	}
	for _, s := range []string{mediatest.Secret, "Exif", "ns.adobe.com"} {
		if bytes.Contains(thumb.Body, []byte(s)) || bytes.Contains(full.Body, []byte(s)) {
			t.Errorf("%q survived", s)
		}
	}
	et := thumb.Header.Get("ETag")
	if et == "" || et == full.Header.Get("ETag") || thumb.Header.Get("Cache-Control") != "private, no-cache" ||
		thumb.Header.Get("Content-Security-Policy") != "sandbox" {
		t.Errorf("thumbnail headers %v (full ETag %s)", thumb.Header, full.Header.Get("ETag"))
	}
	if r := kid.Raw("GET", fmt.Sprintf("/media/%d?size=thumb", u.ID), nil, http.Header{"If-None-Match": {et}}); r.Status != 304 {
		t.Errorf("thumbnail If-None-Match: %d", r.Status)
	}
	if r := kid.Do("GET", fmt.Sprintf("/media/%d?size=huge", u.ID), nil); r.Status != 400 || r.ErrorField() != "size" {
		t.Errorf("size=huge: %d %s", r.Status, r.Body)
	}
}

// TestOldUploadsServedWhole: a blob stored before thumbnails (migration
// 00022), at its full camera size, is served as it was, and its
// thumbnail URL serves it whole.
func TestOldUploadsServedWhole(t *testing.T) {
	w := newMediaWorld(t)
	ctx := context.Background()
	old := mediatest.JPEG(mediatest.Quadrants(2500, 1000))
	sum := sha256.Sum256(old)
	var id int64
	err := w.env.DB.Pool.QueryRow(ctx, `
		WITH b AS (INSERT INTO media_blobs (sha256, kind, content_type, size, width, height, data)
		           VALUES ($1, 'image', 'image/jpeg', $2, 2500, 1000, $3))
		INSERT INTO media (uploader_id, sha256) VALUES ($4, $1) RETURNING id`,
		sum[:], len(old), old, w.kid.UserID).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	var m messageJSONWithMedia
	w.kid.Must(201, "POST", fmt.Sprintf("/conversations/%d/messages", w.conv),
		map[string]any{"type": "image", "media_id": id, "client_id": "old-1"}, &m)
	if m.MediaThumbURL == nil || *m.MediaThumbURL != fmt.Sprintf("/api/v1/media/%d?size=thumb", id) ||
		m.MediaWidth == nil || *m.MediaWidth != 2500 || m.MediaHeight == nil || *m.MediaHeight != 1000 {
		t.Fatalf("sent %+v", m)
	}
	for _, p := range []string{"/media/%d", "/media/%d?size=thumb", "/media/%d?size=full"} {
		r := w.sibling.Must(200, "GET", fmt.Sprintf(p, id), nil, nil)
		if !bytes.Equal(r.Body, old) || r.Header.Get("ETag") != fmt.Sprintf(`"%x"`, sum) {
			t.Errorf("%s: %d bytes, ETag %s; want the stored %d", p, len(r.Body), r.Header.Get("ETag"), len(old))
		}
	}
}

type messageJSONWithMedia struct {
	ID            int64
	Type          string
	MediaURL      *string `json:"media_url"`
	MediaThumbURL *string `json:"media_thumb_url"`
	MediaWidth    *int    `json:"media_width"`
	MediaHeight   *int    `json:"media_height"`
	Deleted       bool
}

// TestImageMessageNamesThumbnailAndSize: history and the gallery give
// an image message's thumbnail and size, a tombstone none of them, and
// a text message none.
func TestImageMessageNamesThumbnailAndSize(t *testing.T) {
	w := newMediaWorld(t) // a 20 × 10 photo, its own thumbnail
	w.kid.Must(201, "POST", fmt.Sprintf("/conversations/%d/messages", w.conv),
		map[string]any{"type": "text", "content": "hi", "client_id": "txt-1"}, nil)
	var hist struct{ Items []messageJSONWithMedia }
	w.sibling.Must(200, "GET", fmt.Sprintf("/conversations/%d/messages", w.conv), nil, &hist)
	var seen int
	for _, m := range hist.Items {
		switch m.Type {
		case "image":
			seen++
			if m.MediaThumbURL == nil || *m.MediaThumbURL != *m.MediaURL+"?size=thumb" ||
				m.MediaWidth == nil || *m.MediaWidth != 20 || m.MediaHeight == nil || *m.MediaHeight != 10 {
				t.Errorf("image message %+v", m)
			}
		case "text":
			seen++
			if m.MediaThumbURL != nil || m.MediaWidth != nil || m.MediaHeight != nil {
				t.Errorf("text message %+v", m)
			}
		}
	}
	if seen != 2 {
		t.Fatalf("history %+v", hist.Items)
	}
	w.fam.Parent.Must(204, "DELETE", fmt.Sprintf("/messages/%d", w.message), nil, nil)
	w.sibling.Must(200, "GET", fmt.Sprintf("/conversations/%d/messages", w.conv), nil, &hist)
	for _, m := range hist.Items {
		if m.ID == w.message && (!m.Deleted || m.MediaThumbURL != nil || m.MediaWidth != nil || m.MediaHeight != nil) {
			t.Errorf("tombstone %+v", m)
		}
	}
}

// TestAvatarThumbnail: a profile names its uploaded avatar's thumbnail,
// and the avatar route serves it with ?size=thumb.
func TestAvatarThumbnail(t *testing.T) {
	env := apitest.New(t)
	kid := env.Family(env.Admin(), 1).Child()
	u := upload(t, kid, "me.jpg", "image/jpeg", mediatest.JPEGWithGPS(800, 800, 1))
	var p struct {
		AvatarURL      *string `json:"avatar_url"`
		AvatarThumbURL *string `json:"avatar_thumb_url"`
	}
	kid.Must(200, "PATCH", "/me/profile", map[string]any{"avatar_media_id": u.ID}, &p)
	if p.AvatarThumbURL == nil || *p.AvatarThumbURL != fmt.Sprintf("/api/v1/media/%d?size=thumb", u.ID) {
		t.Fatalf("profile %+v", p)
	}
	r := kid.Must(200, "GET", fmt.Sprintf("/profiles/%d/avatar?size=thumb", kid.UserID), nil, nil)
	if b := decodeJPEG(t, r); b.Dx() != 320 || b.Dy() != 320 {
		t.Errorf("avatar thumbnail %v", b)
	}
	r = kid.Must(200, "GET", fmt.Sprintf("/profiles/%d/avatar", kid.UserID), nil, nil)
	if b := decodeJPEG(t, r); b.Dx() != 800 {
		t.Errorf("avatar %v", b)
	}
	if r := kid.Do("GET", fmt.Sprintf("/profiles/%d/avatar?size=1", kid.UserID), nil); r.Status != 400 || r.ErrorField() != "size" {
		t.Errorf("size=1: %d %s", r.Status, r.Body)
	}
}

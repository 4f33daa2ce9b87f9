package api_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"image/jpeg"
	"image/png"
	"net/http"
	"strings"
	"testing"

	"pixelpals/internal/apitest"
	"pixelpals/internal/media"
	"pixelpals/internal/media/mediatest"
	"pixelpals/internal/ratelimit"
)

type uploadJSON struct {
	ID          int64
	Type        string
	ContentType string `json:"content_type"`
	Size        int
	Width       *int
	Height      *int
}

func upload(t *testing.T, c *apitest.Client, name, ctype string, data []byte) uploadJSON {
	t.Helper()
	r := c.Upload(name, ctype, data)
	if r.Status != 201 {
		t.Fatalf("upload %s: %d %s", name, r.Status, r.Body)
	}
	var u uploadJSON
	if err := jsonInto(r, &u); err != nil {
		t.Fatal(err)
	}
	return u
}

func rowCount(t *testing.T, env *apitest.Env, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := env.DB.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestUploadsComeBackClean uploads files carrying GPS, text chunks and
// trailing bytes, downloads them and parses what came back.
func TestUploadsComeBackClean(t *testing.T) {
	env := apitest.New(t)
	kid := env.Family(env.Admin(), 1).Child()
	cases := []struct {
		name, label string
		data        []byte
		ctype       string
		w, h        int
	}{
		{"gps.jpg", "image/jpeg", mediatest.JPEGWithGPS(60, 40, 6), "image/jpeg", 40, 60},
		{"text.png", "image/png", mediatest.PNGWithText(30, 20, 1), "image/png", 30, 20},
		{"polyglot.jpg", "image/jpeg", mediatest.Polyglot(16, 16), "image/jpeg", 16, 16},
		{"anim.gif", "image/gif", mediatest.AnimatedGIF(10, 6), "image/png", 10, 6},
	}
	for _, c := range cases {
		u := upload(t, kid, c.name, c.label, c.data)
		if u.Type != "image" || u.ContentType != c.ctype || u.Width == nil || *u.Width != c.w || *u.Height != c.h {
			t.Errorf("%s: answered %+v", c.name, u)
		}
		r := kid.Must(200, "GET", fmt.Sprintf("/media/%d", u.ID), nil, nil)
		if r.Header.Get("Content-Type") != c.ctype || len(r.Body) != u.Size {
			t.Errorf("%s: served as %s, %d bytes", c.name, r.Header.Get("Content-Type"), len(r.Body))
		}
		for _, s := range []string{mediatest.Secret, "Exif", "GPS", "tEXt", "iTXt", "eXIf", "<script", "ns.adobe.com"} {
			if bytes.Contains(r.Body, []byte(s)) {
				t.Errorf("%s: %q survived", c.name, s)
			}
		}
		var w, h int
		if c.ctype == "image/jpeg" {
			if !bytes.HasSuffix(r.Body, []byte{0xFF, 0xD9}) {
				t.Errorf("%s: bytes after the end of the image", c.name)
			}
			for i := 2; i+4 <= len(r.Body) && r.Body[i+1] != 0xDA; i += 2 + int(binary.BigEndian.Uint16(r.Body[i+2:])) {
				if m := r.Body[i+1]; m >= 0xE0 && m <= 0xEF || m == 0xFE {
					t.Errorf("%s: segment %#x survived", c.name, m)
				}
			}
			img, err := jpeg.Decode(bytes.NewReader(r.Body))
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			w, h = img.Bounds().Dx(), img.Bounds().Dy()
		} else {
			img, err := png.Decode(bytes.NewReader(r.Body))
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			w, h = img.Bounds().Dx(), img.Bounds().Dy()
			if !bytes.HasSuffix(r.Body, []byte("IEND\xAE\x42\x60\x82")) {
				t.Errorf("%s: bytes after IEND", c.name)
			}
		}
		if w != c.w || h != c.h {
			t.Errorf("%s: decodes as %d×%d, want %d×%d", c.name, w, h, c.w, c.h)
		}
	}
	for _, c := range []struct {
		name  string
		data  []byte
		ctype string
	}{
		{"voice.mp3", mediatest.MP3(10), "audio/mpeg"},
		{"voice.wav", mediatest.WAV(1), "audio/wav"},
		{"voice.ogg", mediatest.OggOpus(1), "audio/ogg"},
		{"voice.webm", mediatest.WebM(1), "audio/webm"},
		{"voice.m4a", mediatest.M4A(1), "audio/mp4"},
	} {
		u := upload(t, kid, c.name, "application/octet-stream", c.data)
		r := kid.Must(200, "GET", fmt.Sprintf("/media/%d", u.ID), nil, nil)
		if u.Type != "audio" || u.ContentType != c.ctype || r.Header.Get("Content-Type") != c.ctype || u.Width != nil {
			t.Errorf("%s: %+v served as %s", c.name, u, r.Header.Get("Content-Type"))
		}
		if bytes.Contains(r.Body, []byte(mediatest.Secret)) {
			t.Errorf("%s: the secret survived", c.name)
		}
	}
}

func TestMediaHeadersCachingAndRange(t *testing.T) {
	env := apitest.New(t)
	kid := env.Family(env.Admin(), 1).Child()
	u := upload(t, kid, "a.wav", "audio/wav", mediatest.WAV(1))
	p := fmt.Sprintf("/media/%d", u.ID)
	r := kid.Must(200, "GET", p, nil, nil)
	h := r.Header
	if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Content-Security-Policy") != "sandbox" ||
		h.Get("Cache-Control") != "private, no-cache" || h.Get("ETag") == "" || h.Get("Accept-Ranges") != "bytes" {
		t.Fatalf("headers %v", h)
	}
	if r := kid.Raw("GET", p, nil, http.Header{"If-None-Match": {h.Get("ETag")}}); r.Status != 304 || len(r.Body) != 0 {
		t.Errorf("If-None-Match: %d, %d bytes", r.Status, len(r.Body))
	}
	// Revalidation checks access: a stranger holding the ETag gets 404.
	stranger := env.Family(env.Admin(), 1).Child()
	if r := stranger.Raw("GET", p, nil, http.Header{"If-None-Match": {h.Get("ETag")}}); r.Status != 404 {
		t.Errorf("a stranger's If-None-Match: %d", r.Status)
	}
	rr := kid.Raw("GET", p, nil, http.Header{"Range": {"bytes=10-19"}})
	if rr.Status != 206 || !bytes.Equal(rr.Body, r.Body[10:20]) || rr.Header.Get("Content-Range") != fmt.Sprintf("bytes 10-19/%d", len(r.Body)) {
		t.Errorf("Range: %d %q", rr.Status, rr.Header.Get("Content-Range"))
	}
}

func TestSameBytesStoredOnce(t *testing.T) {
	env := apitest.New(t)
	f := env.Family(env.Admin(), 2)
	data := mediatest.JPEGWithGPS(20, 20, 1)
	a1, a2 := upload(t, f.Children[0], "a.jpg", "image/jpeg", data), upload(t, f.Children[0], "b.jpg", "image/jpeg", data)
	b := upload(t, f.Children[1], "c.jpg", "image/jpeg", data)
	if a1.ID != a2.ID || b.ID == a1.ID {
		t.Errorf("ids %d %d %d: want the first two equal, the third another", a1.ID, a2.ID, b.ID)
	}
	if n := rowCount(t, env, `SELECT count(*) FROM media_blobs`); n != 1 {
		t.Errorf("%d blobs, want 1", n)
	}
}

// TestBadUploadsStoreNothing: every refusal is a clear 4xx JSON error and
// leaves no row behind.
func TestBadUploadsStoreNothing(t *testing.T) {
	l := media.DefaultLimits
	l.MaxImageBytes, l.MaxAudioBytes = 64<<10, 64<<10
	env := apitest.New(t, apitest.Options{Media: media.NewProcessor(l)})
	kid := env.Family(env.Admin(), 1).Child()
	jpg := mediatest.JPEG(mediatest.Quadrants(64, 64))
	cases := []struct {
		name, label string
		data        []byte
		status      int
	}{
		{"song.mp3", "audio/mpeg", []byte("these are the lyrics, typed out, not a song\n"), 415},
		{"pic.png", "image/png", []byte("<!doctype html><html><body onload=alert(1)></body></html>"), 415},
		{"cut.jpg", "image/jpeg", jpg[:len(jpg)/2], 400},
		{"bomb.png", "image/png", mediatest.BombPNG(50_000), 413},
		{"big.wav", "audio/wav", mediatest.WAV(5), 413},
		{"empty.jpg", "image/jpeg", nil, 400},
	}
	for _, c := range cases {
		r := kid.Upload(c.name, c.label, c.data)
		if r.Status != c.status || r.ErrorCode() == "" {
			t.Errorf("%s: %d %s, want %d with a JSON error", c.name, r.Status, r.Body, c.status)
		}
	}
	// Past the body limit before the part ends, not a multipart body, no
	// "file" field.
	big := bytes.Repeat([]byte{0xFF}, 200<<10)
	if r := kid.Upload("huge.jpg", "image/jpeg", big); r.Status != 413 {
		t.Errorf("huge body: %d %s", r.Status, r.Body)
	}
	if r := kid.Do("POST", "/media", map[string]string{"file": "x"}); r.Status != 415 {
		t.Errorf("JSON body: %d %s", r.Status, r.Body)
	}
	body := "--b\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n--b--\r\n"
	if r := kid.Raw("POST", "/media", strings.NewReader(body), http.Header{"Content-Type": {"multipart/form-data; boundary=b"}}); r.Status != 400 || r.ErrorField() != "file" {
		t.Errorf("no file field: %d %s", r.Status, r.Body)
	}
	if r := kid.Raw("POST", "/media", strings.NewReader("--b\r\nbroken"), http.Header{"Content-Type": {"multipart/form-data; boundary=b"}}); r.Status != 400 {
		t.Errorf("broken multipart: %d %s", r.Status, r.Body)
	}
	if n := rowCount(t, env, `SELECT (SELECT count(*) FROM media) + (SELECT count(*) FROM media_blobs)`); n != 0 {
		t.Errorf("%d rows stored", n)
	}
}

// mediaWorld is a child who sent a photo to a group with a sibling, a
// stranger family, and an admin.
type mediaWorld struct {
	env          *apitest.Env
	admin        *apitest.Client
	fam, other   *apitest.Family
	kid, sibling *apitest.Client
	conv, media  int64
	message      int64
}

func newMediaWorld(t *testing.T) *mediaWorld {
	env := apitest.New(t)
	adm := env.Admin()
	w := &mediaWorld{env: env, admin: adm, fam: env.Family(adm, 1), other: env.Family(adm, 1)}
	w.kid = w.fam.Child()
	w.sibling = w.fam.AddChild()
	approveLink(w.fam, w.kid, w.fam, w.sibling)
	w.conv = createGroup(w.kid, "pics", w.sibling.UserID).ID
	w.media = upload(t, w.kid, "cat.jpg", "image/jpeg", mediatest.JPEGWithGPS(20, 10, 1)).ID
	var m struct {
		ID       int64
		MediaID  *int64  `json:"media_id"`
		MediaURL *string `json:"media_url"`
		Content  *string
	}
	w.kid.Must(201, "POST", fmt.Sprintf("/conversations/%d/messages", w.conv),
		map[string]any{"type": "image", "media_id": w.media, "content": "my cat", "client_id": "img-1"}, &m)
	if m.MediaID == nil || *m.MediaID != w.media || m.MediaURL == nil || *m.MediaURL != fmt.Sprintf("/api/v1/media/%d", w.media) ||
		m.Content == nil || *m.Content != "my cat" {
		t.Fatalf("sent %+v", m)
	}
	w.message = m.ID
	return w
}

func TestImageMessages(t *testing.T) {
	w := newMediaWorld(t)
	p := fmt.Sprintf("/media/%d", w.media)
	var hist struct {
		Items []struct {
			MediaID  *int64  `json:"media_id"`
			MediaURL *string `json:"media_url"`
			Type     string
		}
	}
	w.sibling.Must(200, "GET", fmt.Sprintf("/conversations/%d/messages", w.conv), nil, &hist)
	if len(hist.Items) == 0 || hist.Items[0].Type != "image" || hist.Items[0].MediaURL == nil || *hist.Items[0].MediaURL != "/api/v1"+p ||
		hist.Items[0].MediaID == nil || *hist.Items[0].MediaID != w.media {
		t.Fatalf("history %+v", hist.Items)
	}
	for who, c := range map[string]*apitest.Client{"sibling": w.sibling, "parent": w.fam.Parent} {
		if r := c.Do("GET", p, nil); r.Status != 200 {
			t.Errorf("%s: %d", who, r.Status)
		}
	}
	// An admin reads neither the conversation nor its media until a
	// message in it is reported.
	for who, c := range map[string]*apitest.Client{"stranger child": w.other.Child(), "stranger parent": w.other.Parent, "admin": w.admin} {
		if r := c.Do("GET", p, nil); r.Status != 404 {
			t.Errorf("%s: %d", who, r.Status)
		}
	}
	w.sibling.Must(201, "POST", fmt.Sprintf("/messages/%d/report", w.message), map[string]string{"reason": "not nice"}, nil)
	w.admin.Must(200, "GET", fmt.Sprintf("/conversations/%d", w.conv), nil, nil)
	if r := w.admin.Do("GET", p, nil); r.Status != 200 {
		t.Errorf("admin after a report: %d", r.Status)
	}
	// Only the uploader may send it; the type must match its kind.
	send := func(c *apitest.Client, body map[string]any) *apitest.Response {
		return c.Do("POST", fmt.Sprintf("/conversations/%d/messages", w.conv), body)
	}
	if r := send(w.sibling, map[string]any{"type": "image", "media_id": w.media, "client_id": "steal"}); r.Status != 400 || r.ErrorField() != "media_id" {
		t.Errorf("another's upload: %d %s", r.Status, r.Body)
	}
	if r := send(w.kid, map[string]any{"type": "audio", "media_id": w.media, "client_id": "kind"}); r.Status != 400 || r.ErrorField() != "media_id" {
		t.Errorf("image sent as audio: %d %s", r.Status, r.Body)
	}
	if r := send(w.kid, map[string]any{"type": "image", "client_id": "none"}); r.Status != 400 || r.ErrorField() != "media_id" {
		t.Errorf("no media_id: %d %s", r.Status, r.Body)
	}
	if r := send(w.kid, map[string]any{"type": "text", "content": "hi", "media_id": w.media, "client_id": "txt"}); r.Status != 400 {
		t.Errorf("text with media: %d %s", r.Status, r.Body)
	}
	// The parent's export of the child carries the message's media_id too.
	var export struct {
		Conversations []struct {
			Messages []struct {
				ID      int64
				MediaID *int64 `json:"media_id"`
			}
		}
	}
	w.fam.Parent.Must(200, "GET", fmt.Sprintf("/children/%d/export", w.kid.UserID), nil, &export)
	exported := false
	for _, c := range export.Conversations {
		for _, m := range c.Messages {
			if m.ID == w.message {
				exported = m.MediaID != nil && *m.MediaID == w.media
			}
		}
	}
	if !exported {
		t.Errorf("the export lacks media_id %d of message %d: %+v", w.media, w.message, export)
	}
	// A text message carries media_id and media_url, both null (SPEC §6).
	var txt map[string]any
	w.kid.Must(201, "POST", fmt.Sprintf("/conversations/%d/messages", w.conv), map[string]any{"type": "text", "content": "hi", "client_id": "txt-ok"}, &txt)
	for _, k := range []string{"media_id", "media_url"} {
		if v, ok := txt[k]; !ok || v != nil {
			t.Errorf("text message: %s = %v (present %v), want null", k, v, ok)
		}
	}
	// Deleted: members no longer get it; parents and admins still do.
	w.kid.Must(204, "DELETE", fmt.Sprintf("/messages/%d", w.message), nil, nil)
	for who, c := range map[string]*apitest.Client{"sibling": w.sibling, "parent": w.fam.Parent} {
		var page struct{ Items []map[string]any }
		c.Must(200, "GET", fmt.Sprintf("/conversations/%d/messages?limit=200", w.conv), nil, &page)
		for _, it := range page.Items {
			if it["id"] != float64(w.message) {
				continue
			}
			// A member's tombstone hides the media as it hides the text;
			// a parent still sees both.
			hidden := who == "sibling"
			if (it["media_id"] == nil) != hidden || (it["media_url"] == nil) != hidden {
				t.Errorf("%s: deleted image message %v", who, it)
			}
		}
	}
	if r := w.sibling.Do("GET", p, nil); r.Status != 404 {
		t.Errorf("sibling after delete: %d", r.Status)
	}
	for who, c := range map[string]*apitest.Client{"parent": w.fam.Parent, "admin": w.admin, "uploader": w.kid} {
		if r := c.Do("GET", p, nil); r.Status != 200 {
			t.Errorf("%s after delete: %d", who, r.Status)
		}
	}
}

func TestFrozenRefusesImages(t *testing.T) {
	w := newMediaWorld(t)
	// A stranger's child joins only through a link, which is then revoked: frozen.
	c := w.env.Family(w.admin, 1)
	link := approveLink(w.fam, w.kid, c, c.Child())
	conv := createGroup(w.kid, "with c", c.Child().UserID).ID
	w.fam.Parent.Must(204, "DELETE", fmt.Sprintf("/contacts/%d", link), nil, nil)
	r := w.kid.Do("POST", fmt.Sprintf("/conversations/%d/messages", conv), map[string]any{"type": "image", "media_id": w.media, "client_id": "frozen"})
	if r.Status != 409 || r.ErrorCode() != "conversation_frozen" {
		t.Errorf("frozen: %d %s", r.Status, r.Body)
	}
}

// TestFrozenHidesProfiles: once a parent revokes the link that held a
// conversation, the other child keeps the history but no longer sees the
// profile, nor an avatar set afterwards.
func TestFrozenHidesProfiles(t *testing.T) {
	w := newMediaWorld(t)
	x := w.other.Child()
	link := approveLink(w.fam, w.kid, w.other, x)
	conv := createGroup(w.kid, "with x", x.UserID).ID
	profile := fmt.Sprintf("/profiles/%d", w.kid.UserID)
	w.fam.Parent.Must(204, "DELETE", fmt.Sprintf("/contacts/%d", link), nil, nil)
	// X stays a member of the conversation, which the revocation froze.
	var c struct{ Frozen bool }
	x.Must(200, "GET", fmt.Sprintf("/conversations/%d", conv), nil, &c)
	if !c.Frozen {
		t.Fatal("the conversation is not frozen after the revocation")
	}
	x.Must(200, "GET", fmt.Sprintf("/conversations/%d/messages", conv), nil, nil)
	av := upload(t, w.kid, "face.png", "image/png", mediatest.PNG(mediatest.Quadrants(11, 7))).ID
	w.kid.Must(200, "PATCH", "/me/profile", map[string]any{"avatar_media_id": av}, nil)
	for _, p := range []string{profile, profile + "/avatar", fmt.Sprintf("/media/%d", av)} {
		if r := x.Do("GET", p, nil); r.Status != 404 {
			t.Errorf("X after the revocation, GET %s: %d", p, r.Status)
		}
	}
	// A conversation that is not frozen still shows fellow members.
	w.sibling.Must(200, "GET", profile+"/avatar", nil, nil)
}

func TestAvatars(t *testing.T) {
	w := newMediaWorld(t)
	// The default: a stable generated PNG.
	p := fmt.Sprintf("/profiles/%d/avatar", w.sibling.UserID)
	d1, d2 := w.kid.Must(200, "GET", p, nil, nil), w.fam.Parent.Must(200, "GET", p, nil, nil)
	if d1.Header.Get("Content-Type") != "image/png" || !bytes.Equal(d1.Body, d2.Body) || !bytes.Equal(d1.Body, media.Avatar(w.sibling.UserID)) {
		t.Fatal("the default avatar is not the stable generated PNG")
	}
	if r := w.other.Child().Do("GET", p, nil); r.Status != 404 {
		t.Errorf("stranger: %d", r.Status)
	}
	// One's own image.
	var prof struct {
		AvatarURL *string `json:"avatar_url"`
	}
	w.kid.Must(200, "PATCH", "/me/profile", map[string]any{"avatar_media_id": w.media}, &prof)
	if prof.AvatarURL == nil || *prof.AvatarURL != fmt.Sprintf("/api/v1/media/%d", w.media) {
		t.Fatalf("profile %+v", prof)
	}
	photo := w.kid.Must(200, "GET", fmt.Sprintf("/media/%d", w.media), nil, nil).Body
	if r := w.sibling.Must(200, "GET", fmt.Sprintf("/profiles/%d/avatar", w.kid.UserID), nil, nil); !bytes.Equal(r.Body, photo) {
		t.Error("the avatar is not the upload")
	}
	// Not another's image, not a clip.
	if r := w.sibling.Do("PATCH", "/me/profile", map[string]any{"avatar_media_id": w.media}); r.Status != 400 || r.ErrorField() != "avatar_media_id" {
		t.Errorf("another's image: %d %s", r.Status, r.Body)
	}
	clip := upload(t, w.sibling, "a.wav", "audio/wav", mediatest.WAV(1)).ID
	if r := w.sibling.Do("PATCH", "/me/profile", map[string]any{"avatar_media_id": clip, "bio": "changed?"}); r.Status != 400 {
		t.Errorf("a clip: %d %s", r.Status, r.Body)
	}
	var me struct{ Profile struct{ Bio *string } }
	w.sibling.Must(200, "GET", "/me", nil, &me)
	if me.Profile.Bio != nil {
		t.Error("a refused patch changed the bio")
	}
	// A parent sets a child's avatar to their own upload, then clears it.
	parentPhoto := upload(t, w.fam.Parent, "kid.png", "image/png", mediatest.PNG(mediatest.Quadrants(12, 12))).ID
	w.fam.Parent.Must(200, "PATCH", fmt.Sprintf("/children/%d", w.sibling.UserID), map[string]any{"avatar_media_id": parentPhoto}, nil)
	if r := w.kid.Must(200, "GET", p, nil, nil); bytes.Equal(r.Body, d1.Body) {
		t.Error("the parent's avatar was not set")
	}
	if r := w.other.Parent.Do("PATCH", fmt.Sprintf("/children/%d", w.sibling.UserID), map[string]any{"avatar_media_id": parentPhoto}); r.Status != 404 {
		t.Errorf("another parent: %d", r.Status)
	}
	w.fam.Parent.Must(200, "PATCH", fmt.Sprintf("/children/%d", w.sibling.UserID), map[string]any{"avatar_media_id": nil}, nil)
	if r := w.kid.Must(200, "GET", p, nil, nil); !bytes.Equal(r.Body, d1.Body) {
		t.Error("clearing did not bring back the default")
	}
}

func TestGallery(t *testing.T) {
	w := newMediaWorld(t)
	clip := upload(t, w.sibling, "hi.mp3", "audio/mpeg", mediatest.MP3(5)).ID
	w.sibling.Must(201, "POST", fmt.Sprintf("/conversations/%d/messages", w.conv), map[string]any{"type": "audio", "media_id": clip, "client_id": "clip"}, nil)
	type item struct {
		MediaID        int64 `json:"media_id"`
		MessageID      int64 `json:"message_id"`
		ConversationID int64 `json:"conversation_id"`
		Type           string
		Sent           bool
	}
	var page struct {
		Items      []item
		NextCursor *string `json:"next_cursor"`
	}
	p := fmt.Sprintf("/children/%d/media", w.kid.UserID)
	w.fam.Parent.Must(200, "GET", p+"?limit=1", nil, &page)
	if len(page.Items) != 1 || page.Items[0].MediaID != clip || page.Items[0].Type != "audio" || page.Items[0].Sent || page.NextCursor == nil {
		t.Fatalf("first page %+v", page)
	}
	w.fam.Parent.Must(200, "GET", p+"?limit=1&cursor="+*page.NextCursor, nil, &page)
	if len(page.Items) != 1 || page.Items[0].MediaID != w.media || !page.Items[0].Sent || page.Items[0].MessageID != w.message || page.Items[0].ConversationID != w.conv {
		t.Fatalf("second page %+v", page)
	}
	if r := w.fam.Parent.Do("GET", p+"?cursor=bogus", nil); r.Status != 400 {
		t.Errorf("bad cursor: %d", r.Status)
	}
}

func TestDeletingAChildDeletesTheirMedia(t *testing.T) {
	w := newMediaWorld(t)
	sum := rowCount(t, w.env, `SELECT count(*) FROM media`)
	unsent := upload(t, w.kid, "unsent.png", "image/png", mediatest.PNG(mediatest.Quadrants(9, 9))).ID
	if n := rowCount(t, w.env, `SELECT count(*) FROM unreferenced_media WHERE id = $1`, unsent); n != 1 {
		t.Errorf("an unsent upload is not in unreferenced_media")
	}
	parentPhoto := upload(t, w.fam.Parent, "kid.png", "image/png", mediatest.PNG(mediatest.Quadrants(13, 13))).ID
	w.fam.Parent.Must(200, "PATCH", fmt.Sprintf("/children/%d", w.kid.UserID), map[string]any{"avatar_media_id": parentPhoto}, nil)
	if sum != 1 {
		t.Fatalf("%d uploads before", sum)
	}
	w.fam.Parent.Must(204, "DELETE", fmt.Sprintf("/children/%d", w.kid.UserID), nil, nil)
	if n := rowCount(t, w.env, `SELECT count(*) FROM media`); n != 0 {
		t.Errorf("%d uploads left", n)
	}
	if n := rowCount(t, w.env, `SELECT count(*) FROM media_blobs`); n != 0 {
		t.Errorf("%d blobs left", n)
	}
	if n := rowCount(t, w.env, `SELECT count(*) FROM messages WHERE media_id IS NOT NULL OR media_url IS NOT NULL`); n != 0 {
		t.Errorf("%d messages still point at media", n)
	}
	if r := w.admin.Do("GET", fmt.Sprintf("/media/%d", w.media), nil); r.Status != 404 {
		t.Errorf("admin after deletion: %d", r.Status)
	}
}

// TestSharedBlobSurvivesConcurrentDeletion: while a child whose upload
// shares its bytes with others is deleted, those others keep uploading
// the same bytes; every upload succeeds and the blob stays, once.
func TestSharedBlobSurvivesConcurrentDeletion(t *testing.T) {
	env := apitest.New(t)
	adm := env.Admin()
	data := mediatest.JPEGWithGPS(24, 24, 1)
	for round := range 5 {
		victim := env.Family(adm, 1)
		upload(t, victim.Child(), "x.jpg", "image/jpeg", data)
		others := env.Family(adm, 4)
		done := make(chan int, 5)
		go func() {
			done <- victim.Parent.Do("DELETE", fmt.Sprintf("/children/%d", victim.Child().UserID), nil).Status
		}()
		for _, k := range others.Children {
			go func() { done <- k.Upload("x.jpg", "image/jpeg", data).Status }()
		}
		for range 5 {
			if s := <-done; s != 201 && s != 204 {
				t.Fatalf("round %d: status %d", round, s)
			}
		}
	}
	if n := rowCount(t, env, `SELECT count(*) FROM media_blobs`); n != 1 {
		t.Errorf("%d blobs, want 1", n)
	}
	if n := rowCount(t, env, `SELECT count(*) FROM media m LEFT JOIN media_blobs b USING (sha256) WHERE b.sha256 IS NULL`); n != 0 {
		t.Errorf("%d uploads without their bytes", n)
	}
}

// TestUploadRateLimited: each user has their own upload budget; past it
// an upload is 429 with Retry-After, before its body is read.
func TestUploadRateLimited(t *testing.T) {
	env := apitest.New(t, apitest.Options{UploadRate: &ratelimit.Rate{PerSecond: 0.5, Burst: 2}})
	f := env.Family(env.Admin(), 1)
	photo := mediatest.JPEGWithGPS(8, 8, 1)
	for range 2 {
		if r := f.Child().Upload("photo.jpg", "image/jpeg", photo); r.Status != 201 {
			t.Fatalf("upload: %d %s", r.Status, r.Body)
		}
	}
	r := f.Child().Upload("photo.jpg", "image/jpeg", photo)
	wantStatus(t, r, 429, "rate_limited")
	if ra := r.Header.Get("Retry-After"); ra != "2" {
		t.Fatalf("Retry-After %q, want 2", ra)
	}
	if r := f.Parent.Upload("photo.jpg", "image/jpeg", photo); r.Status != 201 {
		t.Fatalf("the parent has their own budget: %d %s", r.Status, r.Body)
	}
}

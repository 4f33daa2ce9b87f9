package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"pixelpals/internal/domain"
	"pixelpals/internal/media"
	"pixelpals/internal/ratelimit"
	"pixelpals/internal/store"
)

// multipartOverhead is what a multipart body may hold besides the file:
// boundaries, part headers, small other fields.
const multipartOverhead = 64 << 10

// uploadWork bounds what follows an upload's body: the wait for a decode
// slot, the cleaning and the insert. The body itself is bounded by the
// UploadPace, not by a clock started with the request.
const uploadWork = 2 * time.Minute

// uploadMedia takes one file from the multipart field "file", recognises
// and cleans it (internal/media) and stores it: 201 with the upload.
//
// The whole body is read first, at the upload pace and spooled, and only
// then is a decode slot taken: a sender trickling its body holds no slot,
// so it delays no one else's upload (issue 19). With the body read, the
// server notices a client that leaves, and its upload stops waiting.
func (a *API) uploadMedia(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	ok, retry, err := ratelimit.TakeToken(r.Context(), a.db.Pool, a.uploadRate, "upload:"+strconv.FormatInt(actor.UserID, 10))
	if err != nil {
		return err
	}
	if !ok {
		return domain.RateLimited(retry, "you are uploading too fast; wait a moment")
	}
	if !a.receiving.start(actor.UserID) {
		return domain.RateLimited(10*time.Second, "you are already sending two uploads; wait for one of them to finish")
	}
	file, err := a.receiveUpload(w, r)
	a.receiving.end(actor.UserID)
	if err != nil {
		return err
	}
	defer file.Close()
	ctx, cancel := context.WithTimeout(r.Context(), uploadWork)
	defer cancel()
	res, err := a.media.ProcessFrom(ctx, file.Bytes)
	if err != nil {
		return busyIfTimedOut(r, err)
	}
	file.Close() // the cleaned copy is all that is needed now
	nm := store.NewMedia{Kind: res.Kind, ContentType: res.ContentType, Data: res.Data,
		Width: res.Width, Height: res.Height, Duration: res.Duration}
	if t := res.Thumb; t != nil {
		nm.Thumb = &store.NewThumb{ContentType: t.ContentType, Data: t.Data, Width: t.Width, Height: t.Height}
	}
	m, err := a.db.SaveMedia(ctx, actor, nm)
	if err != nil {
		return busyIfTimedOut(r, err)
	}
	writeJSON(w, http.StatusCreated, m)
	return nil
}

// busyIfTimedOut turns uploadWork running out, the client still there,
// into a 503 to retry: the uploads ahead took the slots that long.
func busyIfTimedOut(r *http.Request, err error) error {
	if r.Context().Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		return &domain.Error{Code: domain.CodeUnavailable, Message: "too many uploads are being processed; try again in a moment",
			RetryAfter: 10 * time.Second}
	}
	return err
}

// receiveUpload reads the whole body, held to the upload pace and to the
// configured limit plus multipartOverhead (the route has no server body
// cap: routeBounds), and returns its file part spooled. On error nothing is
// left open.
func (a *API) receiveUpload(w http.ResponseWriter, r *http.Request) (*media.Spool, error) {
	limit := a.media.Limits().MaxBytes()
	paced := newPacedBody(w, r.Body, a.uploadPace)
	defer paced.done()
	r.Body = http.MaxBytesReader(w, paced, limit+multipartOverhead)
	file, err := spoolFilePart(r, limit)
	if err != nil {
		return nil, err
	}
	// The rest (the closing boundary, other fields) is read to its end
	// too: only then does the server watch the connection, and cancel the
	// request when the client leaves.
	if _, err := io.Copy(io.Discard, r.Body); err != nil {
		file.Close()
		return nil, uploadReadError(err, limit)
	}
	return file, nil
}

// spoolFilePart spools the first part named "file" of a multipart body,
// refusing one longer than limit. Other parts before it are skipped.
func spoolFilePart(r *http.Request, limit int64) (*media.Spool, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, domain.Errorf(domain.CodeUnsupportedMedia, "send the upload as multipart/form-data with the file in the field \"file\"")
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, domain.Invalid("file", "the multipart body has no field \"file\"")
		}
		if err != nil {
			return nil, uploadReadError(err, limit)
		}
		if part.FormName() != "file" {
			continue
		}
		file := media.NewSpool("")
		if err := spoolPart(file, part, limit); err != nil {
			file.Close()
			return nil, err
		}
		return file, nil
	}
}

// spoolPart copies part into file, up to limit.
func spoolPart(file *media.Spool, part io.Reader, limit int64) error {
	if _, err := io.Copy(file, io.LimitReader(part, limit+1)); errors.Is(err, media.ErrSpool) {
		return err // our disk, not the client's body: an internal error
	} else if err != nil {
		return uploadReadError(err, limit)
	}
	if file.Size() > limit {
		return tooLarge(limit)
	}
	if file.Size() == 0 {
		return domain.Invalid("file", "the file is empty")
	}
	return nil
}

// uploadReadError is what the client is told of an error reading the
// body: too slow (the pace's own error), too large, else malformed.
func uploadReadError(err error, limit int64) error {
	var tooBig *http.MaxBytesError
	var de *domain.Error
	switch {
	case errors.As(err, &de):
		return de
	case errors.As(err, &tooBig):
		return tooLarge(limit)
	}
	return domain.Errorf(domain.CodeInvalid, "malformed multipart body")
}

func tooLarge(limit int64) error {
	return domain.Errorf(domain.CodeTooLarge, "the file is larger than %d bytes", limit)
}

// serveMedia sends an upload to someone who may see it: the whole
// image, or with ?size=thumb its thumbnail (the whole image when it has
// none), under the same check.
func (a *API) serveMedia(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	thumb, err := wantThumb(r)
	if err != nil {
		return err
	}
	c, err := a.db.MediaFor(r.Context(), actor, id, thumb)
	if err != nil {
		return err
	}
	// An upload's bytes never change, but who may see them does: a child
	// who logs out of a shared family device, or loses access, must not
	// leave their photos in the browser's cache to be shown without a
	// check. So the cached copy is revalidated every time (a 304 when the
	// viewer still may see it).
	serveContent(w, r, c, "private, no-cache")
	return nil
}

// wantThumb reads ?size=: thumb, or full (the default).
func wantThumb(r *http.Request) (bool, error) {
	switch r.URL.Query().Get("size") {
	case "", "full":
		return false, nil
	case "thumb":
		return true, nil
	}
	return false, domain.Invalid("size", "must be thumb or full")
}

// serveContent sends stored bytes as the type they were recognised as,
// never to be sniffed or run as a document, with an ETag (304 on
// If-None-Match) and Range support.
func serveContent(w http.ResponseWriter, r *http.Request, c store.MediaContent, cache string) {
	h := w.Header()
	h.Set("Content-Type", c.ContentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox")
	h.Set("Cache-Control", cache)
	h.Set("ETag", c.ETag)
	http.ServeContent(w, r, "", c.CreatedAt, bytes.NewReader(c.Data))
}

// avatar serves a profile's uploaded avatar (?size=thumb: its
// thumbnail), else its generated pixel-art default, to whoever may see
// the profile.
func (a *API) avatar(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	id, err := pathID(r, "user_id")
	if err != nil {
		return err
	}
	thumb, err := wantThumb(r)
	if err != nil {
		return err
	}
	c, err := a.db.Avatar(r.Context(), actor, id, thumb)
	if err != nil {
		return err
	}
	if c == nil {
		data := media.Avatar(id)
		sum := sha256.Sum256(data)
		c = &store.MediaContent{ContentType: "image/png", Data: data, ETag: `"` + hex.EncodeToString(sum[:]) + `"`}
	}
	// The avatar behind this URL changes when a new one is set: cached,
	// but revalidated (a 304 when unchanged).
	serveContent(w, r, *c, "private, no-cache")
	return nil
}

// childGallery pages the images and clips a parent's child sent or
// received, newest first.
func (a *API) childGallery(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	return messagePage(w, r, func(id int64, before *store.MessageKey, limit int) ([]store.GalleryItem, error) {
		return a.db.ChildGallery(r.Context(), actor, id, before, limit)
	}, func(g store.GalleryItem) (time.Time, int64) { return g.CreatedAt, g.MessageID })
}

// optionalMediaID is a JSON field that may be left out (no change), null
// (none) or an upload's id.
type optionalMediaID struct {
	raw json.RawMessage
	Set bool
	ID  *int64
}

func (o *optionalMediaID) UnmarshalJSON(b []byte) error {
	o.raw = append(json.RawMessage(nil), b...)
	return nil
}

// parse checks the field, named name, once decoded.
func (o *optionalMediaID) parse(name string) error {
	if o.raw == nil {
		return nil
	}
	o.Set = true
	if string(o.raw) == "null" {
		return nil
	}
	id, err := strconv.ParseInt(string(o.raw), 10, 32)
	if err != nil || id <= 0 {
		return domain.Invalid(name, "must be the id of an upload, or null for none")
	}
	o.ID = &id
	return nil
}

// maxReceivingPerUser is how many uploads one user may have arriving at
// once. A body is spooled to disk before it is cleaned, and the upload pace
// lets a large one take minutes: without a cap, one account could open
// uploads at its token rate and keep gigabytes of spool. Per instance is
// enough: each instance spools to its own disk.
const maxReceivingPerUser = 2

// receivingUploads counts, per user, the uploads whose body is arriving.
type receivingUploads struct {
	mu     sync.Mutex
	byUser map[int64]int
}

// start counts one more upload of user's, or reports false when they
// already have maxReceivingPerUser arriving.
func (u *receivingUploads) start(user int64) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.byUser[user] >= maxReceivingPerUser {
		return false
	}
	if u.byUser == nil {
		u.byUser = make(map[int64]int)
	}
	u.byUser[user]++
	return true
}

// end counts one of user's uploads as arrived (or given up).
func (u *receivingUploads) end(user int64) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.byUser[user] <= 1 {
		delete(u.byUser, user)
		return
	}
	u.byUser[user]--
}

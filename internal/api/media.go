package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"pixelpals/internal/domain"
	"pixelpals/internal/media"
	"pixelpals/internal/store"
)

// multipartOverhead is what a multipart body may hold besides the file:
// boundaries, part headers, small other fields.
const multipartOverhead = 64 << 10

// uploadMedia takes one file from the multipart field "file", recognises
// and cleans it (internal/media) and stores it: 201 with the upload. The
// route has no server body cap (routeBounds); it reads at most the
// configured limit plus multipartOverhead.
func (a *API) uploadMedia(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	if !actor.Active {
		return domain.Errorf(domain.CodeForbidden, "your account is awaiting approval")
	}
	ok, retry, err := a.db.TakeToken(r.Context(), a.uploadRate, "upload:"+strconv.FormatInt(actor.UserID, 10))
	if err != nil {
		return err
	}
	if !ok {
		return domain.RateLimited(retry, "you are uploading too fast; wait a moment")
	}
	limit := a.media.Limits().MaxBytes()
	r.Body = http.MaxBytesReader(w, r.Body, limit+multipartOverhead)
	// The body is buffered only once a decode slot is ours, so uploads
	// waiting for one hold no memory.
	res, err := a.media.ProcessFrom(r.Context(), func() ([]byte, error) { return readFilePart(r, limit) })
	if err != nil {
		return err
	}
	m, err := a.db.SaveMedia(r.Context(), actor, store.NewMedia{Kind: res.Kind, ContentType: res.ContentType, Data: res.Data,
		Width: res.Width, Height: res.Height, Duration: res.Duration})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, m)
	return nil
}

// readFilePart returns the first part named "file" of a multipart body,
// refusing one longer than limit. Other parts are skipped.
func readFilePart(r *http.Request, limit int64) ([]byte, error) {
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
		data, err := io.ReadAll(io.LimitReader(part, limit+1))
		if err != nil {
			return nil, uploadReadError(err, limit)
		}
		if int64(len(data)) > limit {
			return nil, tooLarge(limit)
		}
		if len(data) == 0 {
			return nil, domain.Invalid("file", "the file is empty")
		}
		return data, nil
	}
}

func uploadReadError(err error, limit int64) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return tooLarge(limit)
	}
	return domain.Errorf(domain.CodeInvalid, "malformed multipart body")
}

func tooLarge(limit int64) error {
	return domain.Errorf(domain.CodeTooLarge, "the file is larger than %d bytes", limit)
}

// serveMedia sends an upload to someone who may see it.
func (a *API) serveMedia(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := a.db.MediaFor(r.Context(), actor, id)
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

// avatar serves a profile's uploaded avatar, else its generated
// pixel-art default, to whoever may see the profile.
func (a *API) avatar(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	id, err := pathID(r, "user_id")
	if err != nil {
		return err
	}
	c, err := a.db.Avatar(r.Context(), actor, id)
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

package api

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"

	"pixelpals/internal/domain"
)

// Page sizes of every list (SPEC §11).
const (
	defaultLimit = 50
	maxLimit     = 200
)

// page is the paging of one list request: how many items, and after which
// key. Cursors are opaque to clients; here they hold the last item's key.
type page struct {
	Limit int
	After []string // the decoded cursor's parts; nil on the first page
}

// parsePage reads ?limit= and ?cursor=; a cursor must have parts parts.
func parsePage(r *http.Request, parts int) (page, error) {
	p := page{Limit: defaultLimit}
	q := r.URL.Query()
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			return p, domain.Invalid("limit", "must be a whole number from 1 to %d", maxLimit)
		}
		p.Limit = n
	}
	if v := q.Get("cursor"); v != "" {
		raw, err := base64.RawURLEncoding.DecodeString(v)
		fields := strings.Split(string(raw), "|")
		if err != nil || len(fields) != parts+1 || fields[0] != "v1" {
			return p, domain.Invalid("cursor", "not a cursor this list gave out")
		}
		p.After = fields[1:]
	}
	return p, nil
}

// afterID is the cursor's single id part, 0 on the first page.
func (p page) afterID() (int64, error) {
	if p.After == nil {
		return 0, nil
	}
	id, err := strconv.ParseInt(p.After[0], 10, 32) // ids are the seed's SERIAL
	if err != nil || id <= 0 {
		return 0, domain.Invalid("cursor", "not a cursor this list gave out")
	}
	return id, nil
}

// makeCursor encodes a key as an opaque cursor.
func makeCursor(parts ...string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("v1|" + strings.Join(parts, "|")))
}

// list is the shape of every list response.
type list[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// pageOf trims items fetched with limit+1 to the page and sets the cursor
// from the last item kept.
func pageOf[T any](items []T, limit int, key func(T) []string) list[T] {
	out := list[T]{Items: items}
	if out.Items == nil {
		out.Items = []T{}
	}
	if len(items) > limit {
		out.Items = items[:limit]
		c := makeCursor(key(items[limit-1])...)
		out.NextCursor = &c
	}
	return out
}

func idKey(id int64) []string { return []string{strconv.FormatInt(id, 10)} }

// listByChild serves a list keyset-paged by id and optionally narrowed to
// one child (?child_id=, for parents): fetch gets limit+1 items after
// afterID so the page knows whether there is a next one.
func listByChild[T any](w http.ResponseWriter, r *http.Request, id func(T) int64,
	fetch func(childID, afterID int64, limit int) ([]T, error)) error {
	pg, err := parsePage(r, 1)
	if err != nil {
		return err
	}
	after, err := pg.afterID()
	if err != nil {
		return err
	}
	childID, err := queryID(r, "child_id")
	if err != nil {
		return err
	}
	items, err := fetch(childID, after, pg.Limit+1)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pageOf(items, pg.Limit, func(t T) []string { return idKey(id(t)) }))
	return nil
}

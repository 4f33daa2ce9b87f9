package store_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"pixelpals/internal/pgtest"
	"pixelpals/internal/store"
)

// TestMessageJSONSQLIsGoJSON: the message.created events a send batch
// renders in SQL (store.MessageJSONSQL) say what json.Marshal says of the
// message read with MessageColumns, field for field, for a text message
// with and without a client id (whose fraction of a second ends in
// zeros), an image (thumbnail and size), an audio clip, and a caption.
func TestMessageJSONSQLIsGoJSON(t *testing.T) {
	db := pgtest.DB(t)
	ctx := context.Background()
	f := newFamily(t, db, "json")
	var conv, media, clip int64
	q := func(sql string, args []any, dst ...any) {
		t.Helper()
		if err := db.Pool.QueryRow(ctx, sql, args...).Scan(dst...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	q(`INSERT INTO conversations (is_group, created_by) VALUES (false, $1) RETURNING id`, []any{f.child.UserID}, &conv)
	q(`INSERT INTO media_blobs (sha256, kind, content_type, size, width, height, data)
		VALUES (sha256('\x01'::bytea), 'image', 'image/png', 1, 640, 480, '\x01') RETURNING 0`, nil, new(int))
	q(`INSERT INTO media (uploader_id, sha256) VALUES ($1, sha256('\x01'::bytea)) RETURNING id`, []any{f.child.UserID}, &media)
	q(`INSERT INTO media_blobs (sha256, kind, content_type, size, duration_ms, data)
		VALUES (sha256('\x02'::bytea), 'audio', 'audio/ogg', 1, 1500, '\x02') RETURNING 0`, nil, new(int))
	q(`INSERT INTO media (uploader_id, sha256) VALUES ($1, sha256('\x02'::bytea)) RETURNING id`, []any{f.child.UserID}, &clip)
	rows := []struct {
		typ, content, clientID, at string
		media                      *int64
	}{
		{"text", "hello", "c-1", "2026-01-02 03:04:05.120000", nil},
		{"text", "no client id", "", "2026-01-02 03:04:05", nil},
		{"image", "", "c-2", "2026-01-02 03:04:05.000001", &media},
		{"image", "a caption", "c-3", "2026-01-02 03:04:06.5", &media},
		{"audio", "", "c-4", "2026-01-02 03:04:07.654321", &clip},
	}
	for _, r := range rows {
		var id int64
		q(`INSERT INTO messages (conversation_id, sender_id, type, content, client_id, created_at, media_id, media_url)
			VALUES ($1, $2, $3, NULLIF($4, ''), NULLIF($5, ''), $6::timestamp, $7::int, '/api/v1/media/' || $7::int)
			RETURNING id`, []any{conv, f.child.UserID, r.typ, r.content, r.clientID, r.at, r.media}, &id)
		var fromSQL []byte
		q(`SELECT `+store.MessageJSONSQL+` FROM messages m WHERE m.id = $1`, []any{id}, &fromSQL)
		m, err := store.ScanMessage(db.Pool.QueryRow(ctx, `SELECT `+store.MessageColumns+` FROM messages m WHERE m.id = $1`, id))
		if err != nil {
			t.Fatal(err)
		}
		fromGo, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		var a, b map[string]any
		if err := json.Unmarshal(fromSQL, &a); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(fromGo, &b); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s message:\n SQL %s\n  Go %s", r.typ, fromSQL, fromGo)
		}
	}
}

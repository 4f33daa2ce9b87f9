package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/audit"
	"pixelpals/internal/domain"
)

// NewMedia is a cleaned upload to store.
type NewMedia struct {
	Kind        string
	ContentType string
	Data        []byte
	Width       int // images; 0 for audio
	Height      int
	Duration    time.Duration // audio, when known
	Thumb       *NewThumb     // images larger than their thumbnail
}

// NewThumb is an image's thumbnail (media.Thumbnail).
type NewThumb struct {
	ContentType string
	Data        []byte
	Width       int
	Height      int
}

// Media is an upload as POST /media answers it.
type Media struct {
	ID          int64  `json:"id"`
	Type        string `json:"type"` // image or audio
	ContentType string `json:"content_type"`
	Size        int    `json:"size"`
	Width       *int   `json:"width,omitempty"`
	Height      *int   `json:"height,omitempty"`
	// ThumbURL is where an image's thumbnail is (the full image when it
	// is no larger than one).
	ThumbURL string `json:"thumb_url,omitempty"`
}

func nullIfZero(v int) *int {
	if v == 0 {
		return nil
	}
	return &v
}

// SaveMedia stores an upload of the actor's. The bytes are stored once
// by their SHA-256 however many people upload them, and the same bytes
// uploaded again by the same person return the same upload. Who may
// upload at all (an active account) is the route table's to decide.
func (db *DB) SaveMedia(ctx context.Context, actor *domain.Actor, nm NewMedia) (Media, error) {
	sum := sha256.Sum256(nm.Data)
	var durationMS *int64
	if nm.Duration > 0 {
		ms := nm.Duration.Milliseconds()
		durationMS = &ms
	}
	m := Media{Type: nm.Kind, ContentType: nm.ContentType, Size: len(nm.Data), Width: nullIfZero(nm.Width), Height: nullIfZero(nm.Height)}
	var thumb NewThumb
	if nm.Thumb != nil {
		thumb = *nm.Thumb
	}
	var err error
	// A blob deleted (a child's deletion) between our insert finding it
	// and our reference to it fails the foreign key: then it is inserted
	// anew.
	for range 3 {
		err = db.Transact(ctx, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `
				INSERT INTO media_blobs (sha256, kind, content_type, size, width, height, duration_ms, data,
				                         thumb_content_type, thumb_width, thumb_height, thumb_data)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULLIF($9, ''), NULLIF($10, 0), NULLIF($11, 0), $12)
				ON CONFLICT (sha256) DO NOTHING`,
				sum[:], nm.Kind, nm.ContentType, len(nm.Data), m.Width, m.Height, durationMS, nm.Data,
				thumb.ContentType, thumb.Width, thumb.Height, thumb.Data); err != nil {
				return fmt.Errorf("insert media blob: %w", err)
			}
			return tx.QueryRow(ctx, `
				INSERT INTO media (uploader_id, sha256) VALUES ($1, $2)
				ON CONFLICT (uploader_id, sha256) DO UPDATE SET uploader_id = EXCLUDED.uploader_id
				RETURNING id`, actor.UserID, sum[:]).Scan(&m.ID)
		})
		if pgCode(err) != codeForeignKeyViolation {
			break
		}
	}
	if err != nil {
		return Media{}, fmt.Errorf("save media of user %d: %w", actor.UserID, err)
	}
	if m.Type == domain.MessageImage {
		m.ThumbURL = domain.MediaThumbURL(m.ID)
	}
	return m, nil
}

// MediaContent is an upload's bytes and what to serve them with.
type MediaContent struct {
	ContentType string
	Data        []byte
	ETag        string // quoted hex SHA-256
	CreatedAt   time.Time
}

// mediaVisibleSQL is true when actor $2 (admin: $3) may see upload md
// through who uploaded it or a message that carries it: the uploader and
// their guardians; whoever may read the message's conversation
// (visibility.go), except that its members no longer see it once the
// message is deleted, while parents of members and admins still do.
// Profiles that use it as an avatar are checked by ViewProfile.
var mediaVisibleSQL = `(
	md.uploader_id = $2
	OR EXISTS (SELECT 1 FROM users up WHERE up.id = md.uploader_id AND ` + GuardianSQL("up", "$2") + `)
	OR EXISTS (SELECT 1 FROM messages m WHERE m.media_id = md.id AND (
		` + ParentOfMemberSQL("m.conversation_id", "$2") + `
		OR ($3::boolean AND ` + AdminReadsSQL("m.conversation_id") + `)
		OR (m.deleted_at IS NULL AND ` + MemberSQL("m.conversation_id", "$2") + `)))
)`

// MediaFor returns upload id if the actor may see it (see mediaVisibleSQL,
// or the profile it is the avatar of); anyone else gets not_found. With
// thumb, it returns the image's thumbnail instead: the same check, the
// smaller bytes. An image stored before thumbnails were made (migration
// 00022), or no larger than one, is its own thumbnail.
func (db *DB) MediaFor(ctx context.Context, actor *domain.Actor, id int64, thumb bool) (MediaContent, error) {
	var c MediaContent
	var sum []byte
	var visible bool
	err := db.Pool.QueryRow(ctx, `
		SELECT b.content_type, b.sha256, md.created_at, `+mediaVisibleSQL+`
		FROM media md JOIN media_blobs b ON b.sha256 = md.sha256
		WHERE md.id = $1`, id, actor.UserID, actor.IsAdmin()).Scan(&c.ContentType, &sum, &c.CreatedAt, &visible)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, errNoMedia()
	}
	if err != nil {
		return c, fmt.Errorf("look up media %d: %w", id, err)
	}
	if !visible {
		if visible, err = db.avatarVisible(ctx, actor, id); err != nil {
			return MediaContent{}, err
		}
	}
	if !visible {
		return MediaContent{}, errNoMedia()
	}
	// The bytes are read only for someone who may have them.
	var isThumb bool
	err = db.Pool.QueryRow(ctx, `
		SELECT coalesce(CASE WHEN $2 THEN thumb_data END, data),
		       coalesce(CASE WHEN $2 THEN thumb_content_type END, content_type),
		       $2 AND thumb_data IS NOT NULL
		FROM media_blobs WHERE sha256 = $1`, sum, thumb).Scan(&c.Data, &c.ContentType, &isThumb)
	if errors.Is(err, pgx.ErrNoRows) { // deleted meanwhile
		return MediaContent{}, errNoMedia()
	}
	if err != nil {
		return c, fmt.Errorf("load media %d: %w", id, err)
	}
	c.ETag = mediaETag(sum, isThumb)
	return c, nil
}

// mediaETag is the ETag of a blob's bytes, or of its thumbnail: a
// function of the blob, so the blob's hash names both.
func mediaETag(sum []byte, thumb bool) string {
	if thumb {
		return `"` + hex.EncodeToString(sum) + `-thumb"`
	}
	return `"` + hex.EncodeToString(sum) + `"`
}

func errNoMedia() error { return domain.Errorf(domain.CodeNotFound, "no such media") }

// avatarVisible reports whether upload id is the avatar of a profile the
// actor may see.
func (db *DB) avatarVisible(ctx context.Context, actor *domain.Actor, id int64) (bool, error) {
	rows, err := db.Pool.Query(ctx, `SELECT user_id FROM profiles WHERE avatar_media_id = $1`, id)
	if err != nil {
		return false, fmt.Errorf("profiles using media %d: %w", id, err)
	}
	users, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return false, fmt.Errorf("profiles using media %d: %w", id, err)
	}
	for _, u := range users {
		_, err := db.ViewProfile(ctx, actor, u)
		if err == nil {
			return true, nil
		}
		if domain.ErrorCode(err) != domain.CodeNotFound {
			return false, err
		}
	}
	return false, nil
}

// Avatar returns the uploaded avatar of userID, when the actor may see
// their profile: nil content when they have none (the caller draws the
// default). With thumb, its thumbnail when it has one.
func (db *DB) Avatar(ctx context.Context, actor *domain.Actor, userID int64, thumb bool) (*MediaContent, error) {
	if _, err := db.ViewProfile(ctx, actor, userID); err != nil {
		return nil, err
	}
	var c MediaContent
	var sum []byte
	var isThumb bool
	err := db.Pool.QueryRow(ctx, `
		SELECT coalesce(CASE WHEN $2 THEN b.thumb_content_type END, b.content_type),
		       coalesce(CASE WHEN $2 THEN b.thumb_data END, b.data), b.sha256, md.created_at,
		       $2 AND b.thumb_data IS NOT NULL
		FROM profiles p JOIN media md ON md.id = p.avatar_media_id JOIN media_blobs b ON b.sha256 = md.sha256
		WHERE p.user_id = $1`, userID, thumb).Scan(&c.ContentType, &c.Data, &sum, &c.CreatedAt, &isThumb)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("avatar of user %d: %w", userID, err)
	}
	c.ETag = mediaETag(sum, isThumb)
	return &c, nil
}

// ownImageSQL is true when upload $1 is an image uploaded by user $2.
const ownImageSQL = `EXISTS (SELECT 1 FROM media md JOIN media_blobs b ON b.sha256 = md.sha256
	WHERE md.id = $1 AND md.uploader_id = $2 AND b.kind = 'image')`

// setAvatar makes upload mediaID (nil: none) userID's avatar. The upload
// must be an image of one of uploaders.
func setAvatar(ctx context.Context, tx pgx.Tx, userID int64, mediaID *int64, uploaders ...int64) error {
	if mediaID != nil {
		ok := false
		for _, u := range uploaders {
			if err := tx.QueryRow(ctx, `SELECT `+ownImageSQL, *mediaID, u).Scan(&ok); err != nil {
				return fmt.Errorf("check avatar %d: %w", *mediaID, err)
			}
			if ok {
				break
			}
		}
		if !ok {
			return domain.Invalid("avatar_media_id", "no such image of yours: upload it with POST /media first")
		}
	}
	var url *string
	if mediaID != nil {
		u := domain.MediaURL(*mediaID)
		url = &u
	}
	_, err := tx.Exec(ctx, `
		UPDATE profiles SET avatar_media_id = $2, avatar_url = $3, updated_at = CURRENT_TIMESTAMP
		WHERE user_id = $1`, userID, mediaID, url)
	if err != nil {
		return fmt.Errorf("set avatar of user %d: %w", userID, err)
	}
	return nil
}

// SetChildAvatar sets (mediaID nil: clears) a child's avatar, to an
// image the parent or the child uploaded.
func (db *DB) SetChildAvatar(ctx context.Context, actor *domain.Actor, childID int64, mediaID *int64) (Child, error) {
	err := db.childAction(ctx, actor, childID, audit.ChildAvatar, func(tx pgx.Tx, child domain.User) (any, error) {
		return map[string]any{"avatar_media_id": mediaID}, setAvatar(ctx, tx, childID, mediaID, actor.UserID, childID)
	})
	if err != nil {
		return Child{}, err
	}
	u, p, err := db.userAndProfile(ctx, db.Pool, childID)
	return Child{User: u, Profile: p}, err
}

// removeMedia deletes what a user uploaded, and their avatar when no
// message or other profile uses it (a parent's photo of the child), then
// the blobs no upload uses any more: part of deleting the account.
func removeMedia(ctx context.Context, tx pgx.Tx, userID int64) error {
	rows, err := tx.Query(ctx, `
		DELETE FROM media md
		WHERE md.uploader_id = $1
		   OR (md.id = (SELECT avatar_media_id FROM profiles WHERE user_id = $1)
		       AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.media_id = md.id)
		       AND NOT EXISTS (SELECT 1 FROM profiles p WHERE p.avatar_media_id = md.id AND p.user_id <> $1))
		RETURNING md.sha256`, userID)
	if err != nil {
		return fmt.Errorf("delete media of user %d: %w", userID, err)
	}
	sums, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
	if err != nil {
		return fmt.Errorf("delete media of user %d: %w", userID, err)
	}
	return DeleteUnusedBlobs(ctx, tx, sums)
}

// DeleteUnusedBlobs deletes the blobs among sums that no upload uses. The
// blobs are locked first, so that the check below (a new snapshot) sees
// every upload committed meanwhile, and an upload referencing one now
// waits for us and then inserts it anew.
func DeleteUnusedBlobs(ctx context.Context, tx pgx.Tx, sums [][]byte) error {
	if len(sums) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `SELECT 1 FROM media_blobs WHERE sha256 = ANY($1) ORDER BY sha256 FOR UPDATE`, sums); err != nil {
		return fmt.Errorf("lock media blobs: %w", err)
	}
	_, err := tx.Exec(ctx, `
		DELETE FROM media_blobs b
		WHERE b.sha256 = ANY($1) AND NOT EXISTS (SELECT 1 FROM media md WHERE md.sha256 = b.sha256)`, sums)
	if err != nil {
		return fmt.Errorf("delete media blobs: %w", err)
	}
	return nil
}

// GalleryItem is one image or clip in a parent's gallery of their child.
type GalleryItem struct {
	MediaID        int64      `json:"media_id"`
	MediaURL       string     `json:"media_url"`
	Type           string     `json:"type"`
	ContentType    string     `json:"content_type"`
	Size           int        `json:"size"`
	Width          *int       `json:"width,omitempty"`
	Height         *int       `json:"height,omitempty"`
	ThumbURL       string     `json:"thumb_url,omitempty"` // images: what the gallery shows
	MessageID      int64      `json:"message_id"`
	ConversationID int64      `json:"conversation_id"`
	SenderID       int64      `json:"sender_id"`
	Sent           bool       `json:"sent"` // by the child (else received)
	Caption        *string    `json:"caption"`
	CreatedAt      time.Time  `json:"created_at"`
	Deleted        bool       `json:"deleted"`
	DeletedAt      *time.Time `json:"deleted_at"`
}

// ChildGallery lists, newest first, the images and clips a parent's child
// sent or received in the conversations they are in (deleted ones too:
// the parent may still review them), older than before (nil: newest).
func (db *DB) ChildGallery(ctx context.Context, actor *domain.Actor, childID int64, before *MessageKey, limit int) ([]GalleryItem, error) {
	var own bool
	if err := db.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users u WHERE u.id = $1 AND `+ChildOfSQL("u", "$2")+`)`,
		childID, actor.UserID).Scan(&own); err != nil {
		return nil, fmt.Errorf("gallery of child %d: %w", childID, err)
	}
	if !own {
		return nil, domain.Errorf(domain.CodeNotFound, "no such child")
	}
	at, id := time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), int64(1<<31-1)
	if before != nil {
		at, id = before.CreatedAt, before.ID
	}
	rows, err := db.Pool.Query(ctx, `
		SELECT md.id, b.kind, b.content_type, b.size, b.width, b.height, m.id, m.conversation_id, m.sender_id,
		       m.content, coalesce(m.created_at, CURRENT_TIMESTAMP), m.deleted_at
		FROM messages m JOIN media md ON md.id = m.media_id JOIN media_blobs b ON b.sha256 = md.sha256
		WHERE m.media_id IS NOT NULL
		  AND (m.sender_id = $1 OR m.conversation_id IN (SELECT conversation_id FROM conversation_members WHERE user_id = $1))
		  AND (m.created_at, m.id) < ($2, $3)
		ORDER BY m.created_at DESC, m.id DESC
		LIMIT $4`, childID, at, id, limit)
	if err != nil {
		return nil, fmt.Errorf("gallery of child %d: %w", childID, err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (GalleryItem, error) {
		var g GalleryItem
		err := r.Scan(&g.MediaID, &g.Type, &g.ContentType, &g.Size, &g.Width, &g.Height, &g.MessageID, &g.ConversationID,
			&g.SenderID, &g.Caption, &g.CreatedAt, &g.DeletedAt)
		g.MediaURL, g.Sent, g.Deleted = domain.MediaURL(g.MediaID), g.SenderID == childID, g.DeletedAt != nil
		if g.Type == domain.MessageImage {
			g.ThumbURL = domain.MediaThumbURL(g.MediaID)
		}
		return g, err
	})
}

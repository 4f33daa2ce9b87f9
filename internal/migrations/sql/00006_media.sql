-- Media (issue 10, SPEC §6): uploaded images and voice clips live in
-- PostgreSQL, content-addressed by SHA-256, so that backups, replicas and
-- every app instance see the same bytes and deleting a child deletes
-- their media in the same transaction. docs/schema.md lists each addition.

-- +goose Up
-- The cleaned bytes (re-encoded image, stripped clip), once however many
-- people upload them. What describes the bytes is stored with them.
CREATE TABLE media_blobs (
    sha256 BYTEA PRIMARY KEY CHECK (octet_length(sha256) = 32),
    kind VARCHAR(5) NOT NULL CHECK (kind IN ('image', 'audio')),
    content_type VARCHAR(50) NOT NULL,
    size INTEGER NOT NULL CHECK (size > 0),
    width INTEGER CHECK (width > 0),
    height INTEGER CHECK (height > 0),
    duration_ms INTEGER CHECK (duration_ms >= 0),
    data BYTEA NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
-- PNG, JPEG and the audio codecs are compressed already: TOAST stores
-- them out of line without a pglz pass that would not shrink them.
ALTER TABLE media_blobs ALTER COLUMN data SET STORAGE EXTERNAL;

-- One upload by one person: the id messages and profiles name, the
-- uploader who alone may send it. The same bytes uploaded again by the
-- same person are the same row.
CREATE TABLE media (
    id SERIAL PRIMARY KEY,
    uploader_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    sha256 BYTEA NOT NULL REFERENCES media_blobs(sha256),
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT media_once_per_uploader UNIQUE (uploader_id, sha256)
);
-- Is a blob still used (deleting one upload, the purge)?
CREATE INDEX idx_media_sha256 ON media(sha256);

-- The upload an image or audio message carries; media_url (seed) holds
-- its /api/v1/media/{id}. SET NULL: deleting an upload leaves the
-- message a tombstone.
ALTER TABLE messages ADD COLUMN media_id INTEGER REFERENCES media(id) ON DELETE SET NULL;
CREATE INDEX idx_messages_media ON messages(media_id) WHERE media_id IS NOT NULL;

-- The uploaded avatar; avatar_url (seed) holds its /api/v1/media/{id}.
ALTER TABLE profiles ADD COLUMN avatar_media_id INTEGER REFERENCES media(id) ON DELETE SET NULL;
CREATE INDEX idx_profiles_avatar_media ON profiles(avatar_media_id) WHERE avatar_media_id IS NOT NULL;

-- Uploads no message and no profile uses: never sent, replaced avatars,
-- and those whose messages were purged. The retention purge deletes the
-- ones older than its grace period, then the blobs no upload uses.
CREATE VIEW unreferenced_media AS
    SELECT md.id, md.uploader_id, md.sha256, md.created_at
    FROM media md
    WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.media_id = md.id)
      AND NOT EXISTS (SELECT 1 FROM profiles p WHERE p.avatar_media_id = md.id);

-- +goose Down
DROP VIEW unreferenced_media;
DROP INDEX idx_profiles_avatar_media;
ALTER TABLE profiles DROP COLUMN avatar_media_id;
DROP INDEX idx_messages_media;
ALTER TABLE messages DROP COLUMN media_id;
DROP TABLE media;
DROP TABLE media_blobs;

-- +goose Up
-- Photos are stored at most 2048 px on their long edge (internal/media),
-- with a thumbnail of at most 320 px that chats, the gallery and lists
-- show (GET /media/{id}?size=thumb). The thumbnail is a function of the
-- cleaned bytes, so it sits in the same row, stored once per SHA-256.
-- Blobs stored before this migration have none: the thumbnail URL then
-- serves the full image, as it was served before.
ALTER TABLE media_blobs
    ADD COLUMN thumb_content_type VARCHAR(50),
    ADD COLUMN thumb_width INTEGER CHECK (thumb_width > 0),
    ADD COLUMN thumb_height INTEGER CHECK (thumb_height > 0),
    ADD COLUMN thumb_data BYTEA,
    ADD CONSTRAINT media_blobs_thumb_whole CHECK (
        (thumb_data IS NULL) = (thumb_content_type IS NULL)
        AND (thumb_data IS NULL) = (thumb_width IS NULL)
        AND (thumb_data IS NULL) = (thumb_height IS NULL));
-- JPEG and PNG: compressed already (as data, 00006).
ALTER TABLE media_blobs ALTER COLUMN thumb_data SET STORAGE EXTERNAL;

-- +goose Down
ALTER TABLE media_blobs
    DROP CONSTRAINT media_blobs_thumb_whole,
    DROP COLUMN thumb_data,
    DROP COLUMN thumb_height,
    DROP COLUMN thumb_width,
    DROP COLUMN thumb_content_type;

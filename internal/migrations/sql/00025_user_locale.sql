-- +goose Up
-- The language an account chose for the UI, its mails and pushes, and the
-- API's error messages (internal/locale): en, de or es. NULL: none chosen;
-- the browser's Accept-Language decides, else English.
ALTER TABLE users ADD COLUMN locale VARCHAR(5)
    CONSTRAINT users_locale_known CHECK (locale IN ('en', 'de', 'es'));

-- +goose Down
ALTER TABLE users DROP COLUMN locale;

-- The leak guard's second normalization (issue 19.1, docs/controls.md):
-- NFKD, marks dropped, look-alikes folded to Latin, letters and digits only.
-- A fingerprint now records the normalization it was written with, and
-- keeps a second HMAC of the normalized password reversed, so a reversed
-- password is found at no extra cost per send.
--
-- Existing rows, and any written without saying (the default), are
-- norm_version 1 (fp_rev NULL) until the server rewrites them: `serve`
-- does at start (store.Keeper.RefreshLeakPrints: it has the vault keys
-- and the sealed passwords), and so does `keys rotate`. Until then they
-- are still matched, forwards only.

-- +goose Up
ALTER TABLE leak_fingerprints
    ADD COLUMN norm_version SMALLINT NOT NULL DEFAULT 1 CHECK (norm_version > 0),
    ADD COLUMN fp_rev BYTEA,
    ADD CONSTRAINT leak_fingerprints_rev CHECK (norm_version = 1 OR fp_rev IS NOT NULL);

-- +goose Down
-- The old normalization's rows are gone with their format: `keys rotate`
-- writes them again after a downgrade.
DELETE FROM leak_fingerprints WHERE norm_version <> 1;
ALTER TABLE leak_fingerprints DROP CONSTRAINT leak_fingerprints_rev,
    DROP COLUMN fp_rev, DROP COLUMN norm_version;

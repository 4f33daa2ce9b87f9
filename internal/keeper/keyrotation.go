package keeper

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/audit"
	"pixelpals/internal/domain"
	"pixelpals/internal/leaknorm"
)

// RotationReport counts what a key rotation did. It holds ids and counts
// only, never key material.
type RotationReport struct {
	NewestVersion uint32
	// Rotated rows were re-sealed under the newest key by this run.
	Rotated int
	// AlreadyCurrent rows were on the newest key when the run started.
	AlreadyCurrent int
	// Failed rows could not be opened and were left untouched.
	Failed []RotationFailure
	// Remaining rows were still not on the newest key when the run ended:
	// the failed ones, and any a stopped run did not reach.
	Remaining int
	// Fingerprinted rows were on the newest key already but had no
	// leak-guard fingerprint under it, or one of an older normalization
	// (logins kept before the guard existed, or before 00014): this run
	// opened them and wrote one (or, for a password too short to guard,
	// confirmed there is none).
	Fingerprinted int
}

// RotationFailure is a row rotation could not open, and why (the vault's
// error, which names key versions and lengths only).
type RotationFailure struct {
	ID     int64
	Reason string
}

// RotateKeys re-seals every game_credentials row that is not on the ring's
// newest key, batchSize rows per transaction in id order, and gives every
// row on the newest key that lacks one its leak-guard fingerprint under
// that key (without re-sealing it). Each row is
// replaced whole, so a run stopped at any point (cancelled, killed, the
// database gone) leaves every row on either its old key or the new one,
// and running it again finishes the rest. Rows that fail to open are
// reported and left as they are. progress, if not nil, is called after each
// committed batch with the totals so far.
//
// One keys.rotate audit entry records the run under the admin actor, with
// counts and key versions only. The run spans many transactions by design,
// so the entry is written at the end, in its own transaction, also when the
// run stopped early; only a killed process leaves none (its rerun writes one).
func (k *Keeper) RotateKeys(ctx context.Context, actor *domain.Actor, batchSize int, progress func(RotationReport)) (RotationReport, error) {
	rep := RotationReport{NewestVersion: k.ring.Newest()}
	if !actor.IsAdmin() {
		return rep, domain.Errorf(domain.CodeForbidden, "only admins rotate keys")
	}
	if batchSize < 1 {
		return rep, domain.Invalid("batch", "must be at least 1")
	}
	newest := binary.BigEndian.AppendUint32(nil, rep.NewestVersion)
	err := k.db.Pool.QueryRow(ctx, `
		SELECT count(*) FROM game_credentials WHERE substring(password_ciphertext FROM 1 FOR 4) = $1`,
		newest).Scan(&rep.AlreadyCurrent)
	if err != nil {
		return rep, fmt.Errorf("count rows on key version %d: %w", rep.NewestVersion, err)
	}

	runErr := k.rotateAll(ctx, newest, batchSize, &rep, progress)

	// Finish the record even when ctx was cancelled (e.g. Ctrl-C).
	endCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := k.finishRotation(endCtx, actor, newest, &rep, runErr != nil); err != nil {
		return rep, errors.Join(runErr, err)
	}
	return rep, runErr
}

// rotateAll walks the rows in id order, one batch per transaction.
func (k *Keeper) rotateAll(ctx context.Context, newest []byte, batchSize int, rep *RotationReport, progress func(RotationReport)) error {
	var afterID int64
	for {
		lastID, n, err := k.rotateBatch(ctx, afterID, batchSize, newest, rep)
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		afterID = lastID
		if progress != nil {
			progress(*rep)
		}
	}
}

// rotateBatch re-seals up to limit rows with id above afterID that are not
// on the newest key, in one transaction, and returns the last id it saw.
// Its counts are added to rep only once the transaction has committed.
//
// Rows already on the newest key are picked too when they have no
// fingerprint under it of the current normalization (a password too short to guard has none, so such a
// row is opened again by every run: a decryption, no write).
func (k *Keeper) rotateBatch(ctx context.Context, afterID int64, limit int, newest []byte, rep *RotationReport) (lastID int64, n int, err error) {
	var rotated, fingerprinted int
	var failed []RotationFailure
	err = k.db.Transact(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
			SELECT id, profile_id, game_name, username, password_ciphertext, iv
			FROM game_credentials g
			WHERE id > $1 AND (substring(password_ciphertext FROM 1 FOR 4) <> $2
				OR NOT EXISTS (SELECT 1 FROM leak_fingerprints f
					WHERE f.credential_id = g.id AND f.key_version = $4 AND f.norm_version = $5))
			ORDER BY id
			LIMIT $3
			FOR UPDATE`, afterID, newest, limit, int64(k.ring.Newest()), leaknorm.Version)
		if err != nil {
			return fmt.Errorf("select rows to rotate: %w", err)
		}
		batch, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (sealedCredential, error) {
			var c sealedCredential
			err := r.Scan(&c.ID, &c.profileID, &c.GameName, &c.Username, &c.ciphertext, &c.iv)
			return c, err
		})
		if err != nil {
			return fmt.Errorf("select rows to rotate: %w", err)
		}
		for _, c := range batch {
			lastID = c.ID
			current := bytes.HasPrefix(c.ciphertext, newest)
			openErr, err := k.rotateRow(ctx, tx, c, current)
			if err != nil {
				return err
			}
			switch {
			case openErr != nil:
				failed = append(failed, RotationFailure{ID: c.ID, Reason: openErr.Error()})
			case current:
				fingerprinted++
			default:
				rotated++
			}
		}
		n = len(batch)
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("rotate batch after id %d: %w", afterID, err)
	}
	rep.Rotated += rotated
	rep.Fingerprinted += fingerprinted
	rep.Failed = append(rep.Failed, failed...)
	return lastID, n, nil
}

// rotateRow opens one locked row with its old key and re-seals it under the
// newest (unless it is current already), then writes its fingerprint.
// openErr says why a row cannot be opened (it is then left alone); err is
// a failure that stops the batch.
func (k *Keeper) rotateRow(ctx context.Context, tx pgx.Tx, c sealedCredential, current bool) (openErr, err error) {
	plain, openErr := k.ring.Open(c.ciphertext, c.iv, c.ad())
	if openErr != nil {
		return openErr, nil
	}
	defer clear(plain)
	if current {
		return nil, k.WriteLeakFingerprint(ctx, tx, c.ID, string(plain))
	}
	ciphertext, iv, err := k.ring.Seal(plain, c.ad())
	if err != nil {
		return nil, fmt.Errorf("seal game credential %d: %w", c.ID, err)
	}
	// updated_at stays: the login itself did not change.
	if _, err := tx.Exec(ctx, `UPDATE game_credentials SET password_ciphertext = $2, iv = $3 WHERE id = $1`,
		c.ID, ciphertext, iv); err != nil {
		return nil, fmt.Errorf("update game credential %d: %w", c.ID, err)
	}
	// The leak guard's fingerprint moves to the newest key too (and a login
	// kept before the guard existed gets one).
	if err := k.WriteLeakFingerprint(ctx, tx, c.ID, string(plain)); err != nil {
		return nil, err
	}
	return nil, nil
}

// finishRotation counts the rows still not on the newest key and writes
// the run's audit entry.
func (k *Keeper) finishRotation(ctx context.Context, actor *domain.Actor, newest []byte, rep *RotationReport, stopped bool) error {
	return k.db.Transact(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `
			SELECT count(*) FROM game_credentials WHERE substring(password_ciphertext FROM 1 FOR 4) <> $1`,
			newest).Scan(&rep.Remaining)
		if err != nil {
			return fmt.Errorf("count rows left to rotate: %w", err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: audit.KeysRotate, EntityType: "vault",
			After: map[string]any{
				"newest_version":  rep.NewestVersion,
				"ring_versions":   k.ring.Versions(),
				"rotated":         rep.Rotated,
				"already_current": rep.AlreadyCurrent,
				"failed":          len(rep.Failed),
				"remaining":       rep.Remaining,
				"fingerprinted":   rep.Fingerprinted,
				"completed":       !stopped,
			}})
	})
}

// RefreshLeakPrints writes again, batchSize rows per transaction, every
// leak-guard fingerprint kept with an older normalization than
// leaknorm.Version (migration 00014), from the sealed passwords: serve
// runs it at start so an upgrade needs no `keys rotate` for the guard to
// match as documented. Rows another instance is refreshing are skipped
// (it does them); rows that fail to open are left as they are (still
// matched forwards by their old fingerprint) and returned.
func (k *Keeper) RefreshLeakPrints(ctx context.Context, batchSize int) (refreshed int, failed []RotationFailure, err error) {
	var afterID int64
	for {
		var batch []sealedCredential
		var written int
		var bad []RotationFailure
		err := k.db.Transact(ctx, func(tx pgx.Tx) error {
			batch, written, bad = nil, 0, nil
			rows, err := tx.Query(ctx, `
				SELECT g.id, g.profile_id, g.game_name, g.username, g.password_ciphertext, g.iv
				FROM leak_fingerprints f
				JOIN game_credentials g ON g.id = f.credential_id
				WHERE f.norm_version < $1 AND g.id > $2
				ORDER BY g.id
				LIMIT $3
				FOR UPDATE OF g SKIP LOCKED`, leaknorm.Version, afterID, batchSize)
			if err != nil {
				return err
			}
			batch, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (sealedCredential, error) {
				var c sealedCredential
				err := r.Scan(&c.ID, &c.profileID, &c.GameName, &c.Username, &c.ciphertext, &c.iv)
				return c, err
			})
			if err != nil {
				return err
			}
			written, bad, err = k.refreshBatch(ctx, tx, batch)
			return err
		})
		if err != nil {
			return refreshed, failed, fmt.Errorf("refresh leak fingerprints after id %d: %w", afterID, err)
		}
		if len(batch) == 0 {
			return refreshed, failed, nil
		}
		refreshed += written
		failed = append(failed, bad...)
		afterID = batch[len(batch)-1].ID
	}
}

// refreshBatch writes the fingerprints of one locked batch and says how
// many it wrote and which rows failed to open.
func (k *Keeper) refreshBatch(ctx context.Context, tx pgx.Tx, batch []sealedCredential) (written int, failed []RotationFailure, err error) {
	for _, c := range batch {
		plain, openErr := k.ring.Open(c.ciphertext, c.iv, c.ad())
		if openErr != nil {
			failed = append(failed, RotationFailure{ID: c.ID, Reason: openErr.Error()})
			continue
		}
		err := k.WriteLeakFingerprint(ctx, tx, c.ID, string(plain))
		clear(plain)
		if err != nil {
			return 0, nil, err
		}
		written++
	}
	return written, failed, nil
}

package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"hash"
	"unicode"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/domain"
)

// The password-leak guard (issue 12.2, docs/controls.md): a child's message
// that contains one of their own kept game passwords is refused. The
// passwords are not kept in any new recoverable form: leak_fingerprints
// holds, per credential, HMAC-SHA256(k, normalized password) with k derived
// from the vault key and the credential id (vault.Ring.LeakGuardKey), and
// the normalized length. A send normalizes the message the same way and
// HMACs its substrings of the kept lengths.

// minLeakLen is the shortest normalized password guarded: shorter ones
// would match ordinary words far too often.
const minLeakLen = 4

// leakNormalize lower-cases s and drops whitespace and dots, so that
// "Hunter2", "h u n t e r 2" and "h.u.n.t.e.r.2" are the same.
func leakNormalize(s string) []rune {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		if unicode.IsSpace(r) || r == '.' {
			continue
		}
		out = append(out, unicode.ToLower(r))
	}
	return out
}

func leakMAC(key []byte, runes []rune) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(string(runes)))
	return m.Sum(nil)
}

// writeLeakFingerprint keeps (or, for a password too short, drops) the
// fingerprint of credential id's password, in tx.
func (k *Keeper) writeLeakFingerprint(ctx context.Context, tx pgx.Tx, id int64, password string) error {
	norm := leakNormalize(password)
	defer clear(norm)
	version := k.ring.Newest()
	key, ok := k.ring.LeakGuardKey(version, id)
	if len(norm) < minLeakLen || !ok {
		_, err := tx.Exec(ctx, `DELETE FROM leak_fingerprints WHERE credential_id = $1`, id)
		return err
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO leak_fingerprints (credential_id, key_version, length, fp) VALUES ($1, $2, $3, $4)
		ON CONFLICT (credential_id) DO UPDATE SET key_version = EXCLUDED.key_version,
			length = EXCLUDED.length, fp = EXCLUDED.fp`, id, int64(version), len(norm), leakMAC(key, norm))
	if err != nil {
		return fmt.Errorf("leak fingerprint of credential %d: %w", id, err)
	}
	return nil
}

// leakPrint is one kept fingerprint, ready to compare.
type leakPrint struct {
	credentialID int64
	gameName     string
	length       int
	fp           []byte
	mac          hash.Hash
}

// LeakHit names the game whose password a message held (never the
// password).
type LeakHit struct {
	CredentialID int64
	GameName     string
}

// childLeakPrints loads childID's fingerprints with their HMACs keyed.
func (k *Keeper) childLeakPrints(ctx context.Context, childID int64) ([]leakPrint, error) {
	rows, err := k.db.Pool.Query(ctx, `
		SELECT f.credential_id, g.game_name, f.key_version, f.length, f.fp
		FROM leak_fingerprints f
		JOIN game_credentials g ON g.id = f.credential_id
		JOIN profiles p ON p.id = g.profile_id
		WHERE p.user_id = $1
		ORDER BY f.credential_id`, childID)
	if err != nil {
		return nil, fmt.Errorf("leak fingerprints of %d: %w", childID, err)
	}
	defer rows.Close()
	var raw []printRow
	for rows.Next() {
		var p printRow
		if err := rows.Scan(&p.credentialID, &p.gameName, &p.version, &p.length, &p.fp); err != nil {
			return nil, err
		}
		raw = append(raw, p)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return k.keyPrints(raw), nil
}

// keyPrints keys the HMAC of each fingerprint; one whose key left the
// ring is skipped (re-saving the password renews it).
func (k *Keeper) keyPrints(raw []printRow) []leakPrint {
	var out []leakPrint
	for _, r := range raw {
		key, ok := k.ring.LeakGuardKey(uint32(r.version), r.credentialID)
		if !ok {
			continue
		}
		out = append(out, leakPrint{credentialID: r.credentialID, gameName: r.gameName, length: r.length, fp: r.fp,
			mac: hmac.New(sha256.New, key)})
	}
	return out
}

// matchLeak returns the first print whose password is a substring of the
// normalized message, or nil.
func matchLeak(prints []leakPrint, message string) *leakPrint {
	norm := leakNormalize(message)
	var buf []byte
	sum := make([]byte, 0, sha256.Size)
	for i := range prints {
		p := &prints[i]
		for start := 0; start+p.length <= len(norm); start++ {
			buf = buf[:0]
			for _, r := range norm[start : start+p.length] {
				buf = appendRune(buf, r)
			}
			p.mac.Reset()
			p.mac.Write(buf)
			if hmac.Equal(p.mac.Sum(sum[:0]), p.fp) {
				return p
			}
		}
	}
	return nil
}

func appendRune(b []byte, r rune) []byte {
	return append(b, string(r)...)
}

// CheckLeak reports which of the acting child's kept passwords message
// contains, if any. Others are never checked (nil).
func (k *Keeper) CheckLeak(ctx context.Context, actor *domain.Actor, message string) (*LeakHit, error) {
	if !actor.IsChild() {
		return nil, nil
	}
	prints, err := k.childLeakPrints(ctx, actor.UserID)
	if err != nil || len(prints) == 0 {
		return nil, err
	}
	if p := matchLeak(prints, message); p != nil {
		return &LeakHit{CredentialID: p.credentialID, GameName: p.gameName}, nil
	}
	return nil, nil
}

// RecordLeakBlock writes the parent's dashboard entry for a refused send,
// its audit row and a leak_guard.blocked event to the parent, in one
// transaction. The conversation is kept only when the child is a member,
// the login only while it exists: CheckLeak read it outside this
// transaction, and a parent may have deleted it since (the hit then keeps
// the game's name only, as for a login deleted later).
func (db *DB) RecordLeakBlock(ctx context.Context, actor *domain.Actor, convID int64, hit LeakHit) error {
	return db.Transact(ctx, func(tx pgx.Tx) error {
		var parentID int64
		var hitID int64
		var conv *int64
		err := tx.QueryRow(ctx, `
			WITH c AS (SELECT conversation_id FROM conversation_members WHERE conversation_id = $3 AND user_id = $1)
			INSERT INTO leak_guard_hits (child_id, credential_id, game_name, conversation_id)
			SELECT $1, (SELECT id FROM game_credentials WHERE id = $2), $4, (SELECT conversation_id FROM c)
			RETURNING id, conversation_id, (SELECT parent_id FROM users WHERE id = $1)`,
			actor.UserID, hit.CredentialID, convID, hit.GameName).Scan(&hitID, &conv, &parentID)
		if err != nil {
			return fmt.Errorf("record leak guard hit of %d: %w", actor.UserID, err)
		}
		data := map[string]any{"id": hitID, "child_id": actor.UserID, "game_name": hit.GameName, "conversation_id": conv}
		if err := audit(ctx, tx, AuditEntry{Actor: actor, Action: "leak_guard.blocked", EntityType: "game_credential",
			EntityID: hit.CredentialID, After: data}); err != nil {
			return err
		}
		return AppendEvents(ctx, tx, []Event{{Type: "leak_guard.blocked", To: []int64{parentID}, About: []int64{actor.UserID}, Data: data}})
	})
}

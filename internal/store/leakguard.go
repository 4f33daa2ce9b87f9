package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"hash"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/audit"
	"pixelpals/internal/domain"
	"pixelpals/internal/eventlog"
	"pixelpals/internal/leaknorm"
	"pixelpals/internal/vault"
)

// The password-leak guard (issue 12.2, docs/controls.md): a child's message
// that contains one of their own kept game passwords is refused. The
// passwords are not kept in any new recoverable form: leak_fingerprints
// holds, per credential, HMAC-SHA256(k, normalized password) and the same
// of the normalized password reversed, with k derived from the vault key
// and the credential id (vault.Ring.LeakGuardKey), and the normalized
// length. A check normalizes the text the same way (leaknorm.Normalize) and
// HMACs its substrings of the kept lengths, so one HMAC per substring
// finds the password forwards and backwards.

// LeakGuard checks a child's texts against the fingerprints of their kept
// game passwords. The keeper (package keeper) writes a fingerprint with
// WriteLeakFingerprint in the transaction that keeps the password.
type LeakGuard struct {
	db   *DB
	ring *vault.Ring
}

// NewLeakGuard builds the guard over db with the key ring the passwords
// are sealed with.
func NewLeakGuard(db *DB, ring *vault.Ring) *LeakGuard {
	return &LeakGuard{db: db, ring: ring}
}

// minLeakLen is the shortest normalized password guarded: shorter ones
// would match ordinary words far too often.
const minLeakLen = 4

// A password split over messages is found when its parts are in the
// child's last leakLookback messages in the conversation, sent within
// leakWindow, and the new one: enough for "Hunter2" "Pass" or three
// parts typed one after the other, not so much that words from unrelated
// messages much later join up.
const (
	leakLookback = 2
	leakWindow   = 5 * time.Minute
)

func leakMAC(key []byte, runes []rune) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(string(runes)))
	return m.Sum(nil)
}

// WriteLeakFingerprint keeps (or, for a password too short, drops) the
// fingerprint of credential id's password, in tx.
func (g *LeakGuard) WriteLeakFingerprint(ctx context.Context, tx pgx.Tx, id int64, password string) error {
	norm := leaknorm.Normalize(password)
	defer clear(norm)
	version := g.ring.Newest()
	key, ok := g.ring.LeakGuardKey(version, id)
	if len(norm) < minLeakLen || !ok {
		_, err := tx.Exec(ctx, `DELETE FROM leak_fingerprints WHERE credential_id = $1`, id)
		return err
	}
	fp := leakMAC(key, norm)
	slices.Reverse(norm)
	fpRev := leakMAC(key, norm)
	_, err := tx.Exec(ctx, `
		INSERT INTO leak_fingerprints (credential_id, key_version, norm_version, length, fp, fp_rev)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (credential_id) DO UPDATE SET key_version = EXCLUDED.key_version,
			norm_version = EXCLUDED.norm_version, length = EXCLUDED.length, fp = EXCLUDED.fp, fp_rev = EXCLUDED.fp_rev`,
		id, int64(version), leaknorm.Version, len(norm), fp, fpRev)
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
	fp, fpRev    []byte // fpRev is nil on a norm_version 1 row
	mac          hash.Hash
}

// LeakHit names the game whose password a message held (never the
// password).
type LeakHit struct {
	CredentialID int64
	GameName     string
}

// childLeakPrints loads childID's fingerprints with their HMACs keyed.
func (g *LeakGuard) childLeakPrints(ctx context.Context, childID int64) ([]leakPrint, error) {
	rows, err := g.db.Pool.Query(ctx, `
		SELECT f.credential_id, g.game_name, f.key_version, f.length, f.fp, f.fp_rev
		FROM leak_fingerprints f
		JOIN game_credentials g ON g.id = f.credential_id
		JOIN profiles p ON p.id = g.profile_id
		WHERE p.user_id = $1
		ORDER BY f.credential_id`, childID)
	if err != nil {
		return nil, fmt.Errorf("leak fingerprints of %d: %w", childID, err)
	}
	raw, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (printRow, error) {
		var p printRow
		err := r.Scan(&p.credentialID, &p.gameName, &p.version, &p.length, &p.fp, &p.fpRev)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("leak fingerprints of %d: %w", childID, err)
	}
	return g.keyPrints(raw), nil
}

// keyPrints keys the HMAC of each fingerprint; one whose key left the
// ring is skipped (re-saving the password renews it).
func (g *LeakGuard) keyPrints(raw []printRow) []leakPrint {
	var out []leakPrint
	for _, r := range raw {
		key, ok := g.ring.LeakGuardKey(uint32(r.version), r.credentialID)
		if !ok {
			continue
		}
		out = append(out, leakPrint{credentialID: r.credentialID, gameName: r.gameName, length: r.length,
			fp: r.fp, fpRev: r.fpRev, mac: hmac.New(sha256.New, key)})
	}
	return out
}

// leakText is the normalized text a check searches: the earlier texts
// (oldest first), then the new one from runes[from:], UTF-8 encoded once
// with each rune's offset, so a substring's bytes are a slice of it.
type leakText struct {
	bytes   []byte
	offsets []int // offsets[i] is rune i's first byte; one more at the end
	from    int
}

// newLeakText normalizes before and text. Of the earlier texts only the
// tail that could begin a password ending in text is kept (maxLen-1
// runes).
func newLeakText(before []string, text string, maxLen int) leakText {
	var prev []rune
	for _, b := range before {
		prev = append(prev, leaknorm.Normalize(b)...)
	}
	if keep := maxLen - 1; len(prev) > keep {
		prev = prev[len(prev)-keep:]
	}
	runes := append(prev, leaknorm.Normalize(text)...)
	t := leakText{bytes: make([]byte, 0, len(runes)), offsets: make([]int, 0, len(runes)+1), from: len(prev)}
	for _, r := range runes {
		t.offsets = append(t.offsets, len(t.bytes))
		t.bytes = utf8.AppendRune(t.bytes, r)
	}
	t.offsets = append(t.offsets, len(t.bytes))
	return t
}

// matchLeak returns the first print whose password, forwards or
// reversed, is a substring of the normalized text or of the earlier texts
// and text run together, or nil. A match must end in the new text: what
// the earlier texts hold alone was checked when they were sent (or sent
// before the password was kept, and is no reason to refuse this one).
func matchLeak(prints []leakPrint, before []string, text string) *leakPrint {
	maxLen := 0
	for _, p := range prints {
		maxLen = max(maxLen, p.length)
	}
	t := newLeakText(before, text, maxLen)
	n := len(t.offsets) - 1
	sum := make([]byte, 0, sha256.Size)
	for i := range prints {
		p := &prints[i]
		for start := max(0, t.from-p.length+1); start+p.length <= n; start++ {
			p.mac.Reset()
			p.mac.Write(t.bytes[t.offsets[start]:t.offsets[start+p.length]])
			sum = p.mac.Sum(sum[:0])
			if hmac.Equal(sum, p.fp) || p.fpRev != nil && hmac.Equal(sum, p.fpRev) {
				return p
			}
		}
	}
	return nil
}

// CheckLeak reports which of the acting child's kept passwords message
// contains, if any. Others are never checked (nil).
func (g *LeakGuard) CheckLeak(ctx context.Context, actor *domain.Actor, message string) (*LeakHit, error) {
	hit, _, err := g.CheckLeakTexts(ctx, actor, message)
	return hit, err
}

// CheckLeakTexts is CheckLeak for several texts: the first hit and the
// index of its text. It is for what a child writes outside a
// conversation (their profile, a group's title); a send is checked with
// CheckLeakIn.
func (g *LeakGuard) CheckLeakTexts(ctx context.Context, actor *domain.Actor, texts ...string) (*LeakHit, int, error) {
	if !actor.IsChild() {
		return nil, 0, nil
	}
	prints, err := g.childLeakPrints(ctx, actor.UserID)
	if err != nil || len(prints) == 0 {
		return nil, 0, err
	}
	for i, text := range texts {
		if p := matchLeak(prints, nil, text); p != nil {
			return &LeakHit{CredentialID: p.credentialID, GameName: p.gameName}, i, nil
		}
	}
	return nil, 0, nil
}

// recentTexts returns the texts (and captions) of senderID's last
// leakLookback messages in convID sent after since, oldest first. Deleted
// messages count: the others may have read them before they went.
func (db *DB) recentTexts(ctx context.Context, senderID, convID int64, since time.Time) ([]string, error) {
	rows, err := db.Pool.Query(ctx, `
		SELECT content FROM messages
		WHERE conversation_id = $1 AND created_at > $3 AND sender_id = $2 AND content <> ''
		ORDER BY created_at DESC, id DESC
		LIMIT $4`, convID, senderID, since.UTC(), leakLookback)
	if err != nil {
		return nil, fmt.Errorf("recent messages of %d in %d: %w", senderID, convID, err)
	}
	texts, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("recent messages of %d in %d: %w", senderID, convID, err)
	}
	slices.Reverse(texts)
	return texts, nil
}

// RecordLeakBlock writes the parent's dashboard entry for a refused send,
// its audit row and a leak_guard.blocked event to the parent, in one
// transaction. The conversation is kept only when the child is a member,
// the login only while it exists: CheckLeak read it outside this
// transaction, and a parent may have deleted it since (the hit then keeps
// the game's name only, as for a login deleted later).
func (db *DB) RecordLeakBlock(ctx context.Context, actor *domain.Actor, convID int64, hit LeakHit) error {
	return db.Transact(ctx, func(tx pgx.Tx) error {
		var hitID int64
		var conv *int64
		err := tx.QueryRow(ctx, `
			WITH c AS (SELECT conversation_id FROM conversation_members WHERE conversation_id = $3 AND user_id = $1)
			INSERT INTO leak_guard_hits (child_id, credential_id, game_name, conversation_id)
			SELECT $1, (SELECT id FROM game_credentials WHERE id = $2), $4, (SELECT conversation_id FROM c)
			RETURNING id, conversation_id`,
			actor.UserID, hit.CredentialID, convID, hit.GameName).Scan(&hitID, &conv)
		if err != nil {
			return fmt.Errorf("record leak guard hit of %d: %w", actor.UserID, err)
		}
		guardians, err := guardiansOf(ctx, tx, []int64{actor.UserID})
		if err != nil {
			return err
		}
		data := map[string]any{"id": hitID, "child_id": actor.UserID, "game_name": hit.GameName, "conversation_id": conv}
		if err := audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: audit.LeakGuardBlock, EntityType: "game_credential",
			EntityID: hit.CredentialID, After: data}); err != nil {
			return err
		}
		if err := notifyLeakGuard(ctx, tx, guardians[actor.UserID], actor.UserID, hitID); err != nil {
			return err
		}
		return eventlog.Append(ctx, tx, []eventlog.Event{{Type: eventlog.LeakGuardBlocked, To: guardians[actor.UserID], About: []int64{actor.UserID}, Data: data}})
	})
}

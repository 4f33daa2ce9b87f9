// Package keeper is the game-login keeper (SPEC §7): a child's game logins,
// their passwords sealed with the vault's key ring, the rotation of those
// keys, and the leak guard's fingerprints of the passwords it keeps.
package keeper

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/audit"
	"pixelpals/internal/domain"
	"pixelpals/internal/store"
	"pixelpals/internal/vault"
)

// Keeper is the game-login keeper (SPEC §7): game_credentials rows, whose
// passwords it seals and opens with the vault ring inside the same
// transactions that write and read them. Nothing it returns, except
// Reveal's plaintext, carries a password, ciphertext or nonce. It checks
// texts for the passwords it keeps with the store's leak guard, which it
// embeds (CheckLeak, CheckLeakTexts, CheckLeakIn).
type Keeper struct {
	db   *store.DB
	ring *vault.Ring
	*store.LeakGuard
}

// New builds the keeper over db with the key ring.
func New(db *store.DB, ring *vault.Ring) *Keeper {
	return &Keeper{db: db, ring: ring, LeakGuard: store.NewLeakGuard(db, ring)}
}

// GameCredential is a kept game login as lists show it: never its password.
type GameCredential struct {
	ID        int64     `json:"id"`
	ChildID   int64     `json:"child_id"`
	GameName  string    `json:"game_name"`
	Username  string    `json:"username"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// NewGameCredential is a game login to keep. The API has validated it.
type NewGameCredential struct {
	GameName string
	Username string
	Password string
}

// CredentialPatch changes the fields that are set.
type CredentialPatch struct {
	GameName *string
	Username *string
	Password *string
}

// sealedCredential is a row with what opening it needs.
type sealedCredential struct {
	GameCredential
	profileID  int64
	ciphertext []byte
	iv         []byte
}

// ad is the associated data binding the ciphertext to this row.
func (c sealedCredential) ad() []byte {
	return vault.AssociatedData(c.profileID, c.GameName, c.Username)
}

// UnreadableError is returned when a stored password fails to open: its
// row was altered or copied from another row, or its key is not in the
// ring. Clients see only the domain error; Cause is for the server log and
// names key versions and lengths, never key material or plaintext.
type UnreadableError struct {
	ID    int64
	Cause error
}

func (e *UnreadableError) Error() string {
	return fmt.Sprintf("game credential %d cannot be opened: %v", e.ID, e.Cause)
}

// Unwrap exposes both the client-safe domain error and the cause.
func (e *UnreadableError) Unwrap() []error {
	return []error{
		domain.Errorf(domain.CodeCredentialUnreadable, "this saved game login cannot be read; a parent can enter its password again"),
		e.Cause,
	}
}

// auditCredential is what the audit log records of a game login: the
// child it belongs to (the export finds entries by child_id), the game and
// the username; never the password, ciphertext or nonce.
type auditCredential struct {
	ChildID  int64  `json:"child_id"`
	GameName string `json:"game_name"`
	Username string `json:"username"`
}

func auditOfCredential(c GameCredential) auditCredential {
	return auditCredential{ChildID: c.ChildID, GameName: c.GameName, Username: c.Username}
}

// credentialFrom joins a credential to its child, whose account lives
// (store.LiveChildSQL), and whose columns the authorization conditions use
// (u.parent_id for parents, u.id for children).
var credentialFrom = `
	FROM game_credentials g
	JOIN profiles p ON p.id = g.profile_id
	JOIN users u ON u.id = p.user_id AND ` + store.LiveChildSQL("u")

const credentialColumns = `g.id, u.id, g.game_name, g.username,
	coalesce(g.created_at, CURRENT_TIMESTAMP), coalesce(g.updated_at, CURRENT_TIMESTAMP)`

func scanCredential(r pgx.CollectableRow) (GameCredential, error) {
	var c GameCredential
	err := r.Scan(&c.ID, &c.ChildID, &c.GameName, &c.Username, &c.CreatedAt, &c.UpdatedAt)
	return c, err
}

// ListForChild returns a page of the acting parent's child's game logins,
// by id, after afterID. Another family's child is not_found.
func (k *Keeper) ListForChild(ctx context.Context, actor *domain.Actor, childID, afterID int64, limit int) ([]GameCredential, error) {
	var mine bool
	err := k.db.Pool.QueryRow(ctx, `
		SELECT EXISTS (SELECT 1 FROM users u WHERE u.id = $1 AND `+store.ChildOfSQL("u", "$2")+`)`,
		childID, actor.UserID).Scan(&mine)
	if err != nil {
		return nil, fmt.Errorf("find child %d: %w", childID, err)
	}
	if !mine {
		return nil, domain.Errorf(domain.CodeNotFound, "no such child")
	}
	return k.list(ctx, afterID, limit, `u.id = $3 AND `+store.ChildOfSQL("u", "$4"), childID, actor.UserID)
}

// ListMine returns a page of the acting child's own game logins.
func (k *Keeper) ListMine(ctx context.Context, actor *domain.Actor, afterID int64, limit int) ([]GameCredential, error) {
	return k.list(ctx, afterID, limit, `u.id = $3`, actor.UserID)
}

// list returns a page of game logins, by id, that the authorization
// condition who (on $3 onwards, given by whoArgs) lets the actor see.
func (k *Keeper) list(ctx context.Context, afterID int64, limit int, who string, whoArgs ...any) ([]GameCredential, error) {
	rows, err := k.db.Pool.Query(ctx, `
		SELECT `+credentialColumns+credentialFrom+`
		WHERE g.id > $1 AND `+who+`
		ORDER BY g.id
		LIMIT $2`, append([]any{afterID, limit}, whoArgs...)...)
	if err != nil {
		return nil, fmt.Errorf("list game credentials: %w", err)
	}
	list, err := pgx.CollectRows(rows, scanCredential)
	if err != nil {
		return nil, fmt.Errorf("list game credentials: %w", err)
	}
	return list, nil
}

// Create keeps a new game login for the acting parent's child, sealed under
// the newest key.
func (k *Keeper) Create(ctx context.Context, actor *domain.Actor, childID int64, n NewGameCredential) (GameCredential, error) {
	c := sealedCredential{GameCredential: GameCredential{ChildID: childID, GameName: n.GameName, Username: n.Username}}
	err := k.db.Transact(ctx, func(tx pgx.Tx) error {
		var err error
		if c.profileID, err = lockChildProfile(ctx, tx, actor, childID); err != nil {
			return err
		}
		if c.ciphertext, c.iv, err = k.ring.Seal([]byte(n.Password), c.ad()); err != nil {
			return fmt.Errorf("seal game credential: %w", err)
		}
		err = tx.QueryRow(ctx, `
			INSERT INTO game_credentials (profile_id, game_name, username, password_ciphertext, iv)
			VALUES ($1, $2, $3, $4, $5)
			RETURNING id, created_at, updated_at`,
			c.profileID, c.GameName, c.Username, c.ciphertext, c.iv).Scan(&c.ID, &c.CreatedAt, &c.UpdatedAt)
		if err != nil {
			return fmt.Errorf("insert game credential for child %d: %w", childID, loginTaken(err))
		}
		if err := k.WriteLeakFingerprint(ctx, tx, c.ID, n.Password); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: audit.CredentialCreate, EntityType: "game_credential",
			EntityID: c.ID, After: auditOfCredential(c.GameCredential)})
	})
	if err != nil {
		return GameCredential{}, err
	}
	return c.GameCredential, nil
}

// lockChildProfile locks the acting parent's child (so that concurrent
// changes to the child's logins are serialized, and serialized with the
// child's deletion) and returns its profile id. NO KEY UPDATE does not
// block the child's sends, which hold KEY SHARE.
func lockChildProfile(ctx context.Context, tx pgx.Tx, actor *domain.Actor, childID int64) (int64, error) {
	var profileID int64
	err := tx.QueryRow(ctx, `
		SELECT p.id FROM users u JOIN profiles p ON p.user_id = u.id
		WHERE u.id = $1 AND `+store.ChildOfSQL("u", "$2")+`
		FOR NO KEY UPDATE OF u`, childID, actor.UserID).Scan(&profileID)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, domain.Errorf(domain.CodeNotFound, "no such child")
	}
	if err != nil {
		return 0, fmt.Errorf("lock child %d: %w", childID, err)
	}
	return profileID, nil
}

// loginTaken explains a violation of game_credentials_login_unique: a
// child has one login per game and username. Besides being a mistake, two
// such rows would share associated data, so a ciphertext copied between
// them would open.
func loginTaken(err error) error {
	if store.UniqueViolation(err) {
		return domain.Errorf(domain.CodeConflict, "this child already has a login with that username for that game")
	}
	return err
}

// lockCredential locks credential id and its child's row, if the condition
// who (on $2) lets the actor at it; otherwise it is not_found. The child's
// row is locked first, as deleting the child does (its profile's deletion
// then reaches the credential), so the two cannot deadlock.
func lockCredential(ctx context.Context, tx pgx.Tx, id int64, who string, actorID int64) (sealedCredential, error) {
	var c sealedCredential
	_, err := tx.Exec(ctx, `
		SELECT u.id`+credentialFrom+`
		WHERE g.id = $1 AND `+who+`
		FOR NO KEY UPDATE OF u`, id, actorID)
	if err != nil {
		return c, fmt.Errorf("lock the child of game credential %d: %w", id, err)
	}
	err = tx.QueryRow(ctx, `
		SELECT `+credentialColumns+`, g.profile_id, g.password_ciphertext, g.iv`+credentialFrom+`
		WHERE g.id = $1 AND `+who+`
		FOR UPDATE OF g`, id, actorID).
		Scan(&c.ID, &c.ChildID, &c.GameName, &c.Username, &c.CreatedAt, &c.UpdatedAt, &c.profileID, &c.ciphertext, &c.iv)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, domain.Errorf(domain.CodeNotFound, "no such game login")
	}
	if err != nil {
		return c, fmt.Errorf("lock game credential %d: %w", id, err)
	}
	return c, nil
}

// ownParent and ownChild are lockCredential's conditions: the credential's
// child is the actor's own (ChildOfSQL), or is the actor.
var (
	ownParent = store.ChildOfSQL("u", "$2")
	ownChild  = `u.id = $2`
)

// open decrypts c's password with its own associated data.
func (k *Keeper) open(c sealedCredential) ([]byte, error) {
	pw, err := k.ring.Open(c.ciphertext, c.iv, c.ad())
	if err != nil {
		return nil, &UnreadableError{ID: c.ID, Cause: err}
	}
	return pw, nil
}

// Update changes a game login of the acting parent's child. A new game name
// or username changes the associated data, so the password is opened with
// the old and sealed with the new; a new password is simply sealed (which
// also repairs a row that can no longer be opened).
func (k *Keeper) Update(ctx context.Context, actor *domain.Actor, id int64, patch CredentialPatch) (GameCredential, error) {
	var out GameCredential
	err := k.db.Transact(ctx, func(tx pgx.Tx) error {
		old, err := lockCredential(ctx, tx, id, ownParent, actor.UserID)
		if err != nil {
			return err
		}
		c := old
		if patch.GameName != nil {
			c.GameName = *patch.GameName
		}
		if patch.Username != nil {
			c.Username = *patch.Username
		}
		if err := k.reseal(&c, old, patch.Password); err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `
			UPDATE game_credentials
			SET game_name = $2, username = $3, password_ciphertext = $4, iv = $5, updated_at = CURRENT_TIMESTAMP
			WHERE id = $1
			RETURNING updated_at`, id, c.GameName, c.Username, c.ciphertext, c.iv).Scan(&c.UpdatedAt)
		if err != nil {
			return fmt.Errorf("update game credential %d: %w", id, loginTaken(err))
		}
		if patch.Password != nil {
			if err := k.WriteLeakFingerprint(ctx, tx, id, *patch.Password); err != nil {
				return err
			}
		}
		out = c.GameCredential
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: audit.CredentialUpdate, EntityType: "game_credential",
			EntityID: id, Before: auditOfCredential(old.GameCredential),
			After: struct {
				auditCredential
				PasswordChanged bool `json:"password_changed"`
			}{auditOfCredential(c.GameCredential), patch.Password != nil}})
	})
	return out, err
}

// reseal gives c a fresh ciphertext when its password or associated data
// changes; otherwise c keeps old's.
func (k *Keeper) reseal(c *sealedCredential, old sealedCredential, password *string) error {
	var plain []byte
	switch {
	case password != nil:
		plain = []byte(*password)
	case c.GameName != old.GameName || c.Username != old.Username:
		var err error
		if plain, err = k.open(old); err != nil {
			return err
		}
	default:
		return nil
	}
	defer clear(plain)
	var err error
	if c.ciphertext, c.iv, err = k.ring.Seal(plain, c.ad()); err != nil {
		return fmt.Errorf("seal game credential %d: %w", c.ID, err)
	}
	return nil
}

// Delete removes a game login of the acting parent's child.
func (k *Keeper) Delete(ctx context.Context, actor *domain.Actor, id int64) error {
	return k.db.Transact(ctx, func(tx pgx.Tx) error {
		c, err := lockCredential(ctx, tx, id, ownParent, actor.UserID)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM game_credentials WHERE id = $1`, id); err != nil {
			return fmt.Errorf("delete game credential %d: %w", id, err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: audit.CredentialDelete, EntityType: "game_credential",
			EntityID: id, Before: auditOfCredential(c.GameCredential)})
	})
}

// Reveal opens the password of one of the acting child's own game logins.
// Only the child reveals: parents manage logins without seeing them, and
// admins can do neither. Every reveal is audited in its transaction; a
// password that fails to open is an UnreadableError and is not audited,
// since nothing was revealed.
func (k *Keeper) Reveal(ctx context.Context, actor *domain.Actor, id int64) (string, error) {
	var password string
	err := k.db.Transact(ctx, func(tx pgx.Tx) error {
		// Locked so that the audited row is exactly the revealed one.
		c, err := lockCredential(ctx, tx, id, ownChild, actor.UserID)
		if err != nil {
			return err
		}
		plain, err := k.open(c)
		if err != nil {
			return err
		}
		password = string(plain)
		clear(plain)
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: audit.CredentialReveal, EntityType: "game_credential",
			EntityID: id, After: auditOfCredential(c.GameCredential)})
	})
	if err != nil {
		return "", err
	}
	return password, nil
}

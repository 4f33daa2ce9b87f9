package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"path/filepath"

	"pixelpals/internal/config"
	"pixelpals/internal/keeper"
	"pixelpals/internal/vault"
)

// vaultKeyFile is the generated key ring of the embedded default, inside
// the data directory.
const vaultKeyFile = "vault.keys"

// loadVault loads the game-login keeper's key ring: from
// PIXELPALS_VAULT_KEYS or from PIXELPALS_VAULT_KEYS_FILE (never both). With
// neither, only the embedded default has a ring: the one generated in its
// data directory, created on first start when create is set. Errors name
// entries by position and version, never key text.
func loadVault(cfg config.Config, logger *slog.Logger, create bool) (*vault.Ring, error) {
	var ring *vault.Ring
	var source string
	var err error
	switch {
	case cfg.VaultKeys != "" && cfg.VaultKeysFile != "":
		return nil, errors.New("vault keys: set either PIXELPALS_VAULT_KEYS or PIXELPALS_VAULT_KEYS_FILE (--vault-keys-file), not both")
	case cfg.VaultKeys != "":
		source = "PIXELPALS_VAULT_KEYS"
		ring, err = vault.ParseRing(cfg.VaultKeys)
	case cfg.VaultKeysFile != "":
		source = cfg.VaultKeysFile
		ring, err = vault.LoadRingFile(cfg.VaultKeysFile)
	case cfg.Embedded():
		source = filepath.Join(cfg.DataDir, vaultKeyFile)
		if create {
			ring, err = vault.LoadOrCreateRingFile(source)
		} else {
			ring, err = vault.LoadRingFile(source)
		}
	default:
		return nil, errors.New("no vault keys: set PIXELPALS_VAULT_KEYS or PIXELPALS_VAULT_KEYS_FILE " +
			"(make a key with `pixelpals keys generate`); only the embedded default generates its own")
	}
	if err != nil {
		return nil, err
	}
	// The ring logs its versions only.
	logger.Info("vault keys loaded", "source", source, "ring", ring)
	return ring, nil
}

// runKeys: keys generate [--version N] | keys rotate --actor EMAIL [--batch N].
func runKeys(ctx context.Context, env Env, args []string) error {
	return runGroup(ctx, env, "keys", []subcommand{
		{"generate", "print a new key line N:BASE64 for PIXELPALS_VAULT_KEYS: keys generate [--version N]",
			func(_ context.Context, env Env, args []string) error { return runKeysGenerate(env, args) }},
		{"rotate", "re-seal every kept game password with the newest key: keys rotate --actor ADMIN_EMAIL [--batch N]", runKeysRotate},
	}, args)
}

// runKeysGenerate prints a new random key as a ring entry "N:BASE64KEY".
// N is --version, default 1 (a new ring); when adding a key to a ring,
// pick a version above every one in it.
func runKeysGenerate(env Env, args []string) error {
	fs := newFlagSet(env, "keys generate", "pixelpals keys generate [--version N]",
		"Prints a new random key as a key ring entry; nothing is stored.", args)
	version := fs.Uint("version", 1, "the key's version: above every version already in the ring")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *version == 0 || *version > 1<<32-1 {
		return fmt.Errorf("%w: --version must be from 1 to %d", errUsage, uint32(1<<32-1))
	}
	line, err := vault.GenerateKeyLine(uint32(*version))
	if err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, line)
	return nil
}

// runKeysRotate re-seals every game login not on the newest key.
func runKeysRotate(ctx context.Context, env Env, args []string) error {
	var actorEmail string
	var batch int
	cfg, _, err := loadConfig(env, "keys rotate", "pixelpals keys rotate --actor ADMIN_EMAIL [--batch N] [flags]",
		"Re-seals every kept game password not on the newest key of the ring, in batches; resumable and audited.",
		args, func(cfg *config.Config, fs *flag.FlagSet) {
			cfg.BindDatabase(fs)
			cfg.BindVault(fs)
			fs.StringVar(&actorEmail, "actor", "", "email of the admin the audit log records as doing this (required)")
			fs.IntVar(&batch, "batch", 100, "rows per transaction")
		})
	if err != nil {
		return err
	}
	if actorEmail == "" {
		return fmt.Errorf("%w: --actor ADMIN_EMAIL is required", errUsage)
	}
	if batch < 1 {
		return fmt.Errorf("%w: --batch must be at least 1", errUsage)
	}
	logger := newLogger(env.Stderr, cfg.LogLevel)
	ring, err := loadVault(cfg, logger, false)
	if err != nil {
		return err
	}
	db, closeDB, err := openMigrated(ctx, cfg, logger, env.Stderr)
	if err != nil {
		return err
	}
	defer closeDB()
	actor, err := db.AdminByEmail(ctx, actorEmail)
	if err != nil {
		return err
	}
	rep, err := keeper.New(db, ring).RotateKeys(ctx, actor, batch, func(r keeper.RotationReport) {
		fmt.Fprintf(env.Stdout, "progress: %d rotated, %d failed\n", r.Rotated, len(r.Failed))
	})
	printRotation(env, rep)
	if err != nil {
		return fmt.Errorf("rotation stopped (run it again to finish): %w", err)
	}
	if len(rep.Failed) > 0 {
		return fmt.Errorf("%d row(s) could not be opened and were left as they are", len(rep.Failed))
	}
	return nil
}

func printRotation(env Env, rep keeper.RotationReport) {
	fmt.Fprintf(env.Stdout, "key version %d: %d rotated, %d already current, %d failed, %d remaining\n",
		rep.NewestVersion, rep.Rotated, rep.AlreadyCurrent, len(rep.Failed), rep.Remaining)
	for _, f := range rep.Failed {
		fmt.Fprintf(env.Stdout, "failed: game credential %d: %s\n", f.ID, f.Reason)
	}
}

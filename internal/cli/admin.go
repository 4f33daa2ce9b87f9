package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"pixelpals/internal/api"
	"pixelpals/internal/auth"
	"pixelpals/internal/config"
	"pixelpals/internal/domain"
	"pixelpals/internal/password"
	"pixelpals/internal/store"
)

// runAdmin: admin create --email E [--name N]. The password comes from a
// no-echo prompt on a terminal, else from the first line of standard input;
// never from the command line, where other users could read it.
func runAdmin(ctx context.Context, env Env, args []string) error {
	return runGroup(ctx, env, "admin", []subcommand{
		{"create", "create an approved admin: admin create --email E [--name N], password on stdin or a prompt", runAdminCreate},
	}, args)
}

func runAdminCreate(ctx context.Context, env Env, args []string) error {
	var email, name string
	cfg, _, err := loadConfig(env, "admin create", "pixelpals admin create --email E [--name N] [flags]",
		"The password is read from a no-echo prompt, or from the first line of standard input when it is\nnot a terminal; never from the command line.",
		args, func(cfg *config.Config, fs *flag.FlagSet) {
			cfg.BindDatabase(fs)
			fs.StringVar(&email, "email", "", "the admin's email (required)")
			fs.StringVar(&name, "name", "Admin", "the admin's display name")
		})
	if err != nil {
		return err
	}
	email = store.NormalizeLogin(email)
	if !strings.Contains(email, "@") {
		return fmt.Errorf("%w: --email must be an email address", errUsage)
	}
	if name, err = adminName(name); err != nil {
		return err
	}
	pw, err := readPassword(env)
	if err != nil {
		return err
	}
	if err := auth.CheckPassword("password", pw, auth.MinAdultPassword); err != nil {
		return err
	}
	logger := newLogger(env.Stderr, cfg.LogLevel)
	db, closeDB, err := openMigrated(ctx, cfg, logger, env.Stderr)
	if err != nil {
		return err
	}
	defer closeDB()
	hash, err := password.NewHasher(password.DefaultParams, 1).Hash(ctx, pw)
	if err != nil {
		return err
	}
	u, err := db.CreateAdmin(ctx, nil, email, hash, name)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "created admin %s (id %d)\n", u.Email, u.ID)
	return nil
}

// adminName checks --name as the API checks every display name: an admin
// named with invisible characters shows as nobody in the audit log.
func adminName(name string) (string, error) {
	name, err := api.DisplayName("name", name)
	var de *domain.Error
	if errors.As(err, &de) {
		return "", fmt.Errorf("%w: --name %s", errUsage, de.Message)
	}
	return name, err
}

func readPassword(env Env) (string, error) {
	if f, ok := env.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(env.Stderr, "Password: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(env.Stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		return string(b), nil
	}
	line, err := bufio.NewReader(env.Stdin).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("read password from standard input: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

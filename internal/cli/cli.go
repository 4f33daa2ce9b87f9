// Package cli is the pixelpals command: it parses sub-commands and wires
// configuration, the database, migrations and the HTTP server together.
// Tests start the same wiring through Main.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"pixelpals/internal/config"
)

// Version is set at build time with -ldflags "-X pixelpals/internal/cli.Version=…".
var Version = "dev"

// Env is what the command needs from its process.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env Env, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "run the service", runServe},
		{"migrate", "apply or roll back database migrations: migrate up|down|status", runMigrate},
		{"admin", "bootstrap an admin: admin create --email E (password on stdin or prompt)", runAdmin},
		{"keys", "game-login keeper keys: keys generate [--version N] | keys rotate --actor ADMIN_EMAIL [--batch N]", runKeys},
		{"audit", "tamper-evident audit log: audit verify (walks the hash chain, names the first break)", runAudit},
		{"version", "print the version", runVersion},
	}
}

// errUsage marks an error whose message is usage help.
var errUsage = errors.New("usage")

// Main runs the command named by args[0] and returns the exit status.
func Main(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(env.Stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		if err := c.run(ctx, env, args[1:]); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			fmt.Fprintf(env.Stderr, "pixelpals %s: %v\n", c.name, err)
			if errors.Is(err, errUsage) {
				return 2
			}
			return 1
		}
		return 0
	}
	fmt.Fprintf(env.Stderr, "pixelpals: unknown command %q\n", args[0])
	usage(env.Stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: pixelpals <command> [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
}

func runVersion(_ context.Context, env Env, _ []string) error {
	fmt.Fprintf(env.Stdout, "pixelpals %s\n", Version)
	return nil
}

// loadConfig reads the environment, then the command's flags.
func loadConfig(env Env, name string, args []string, extra func(*flag.FlagSet)) (config.Config, []string, error) {
	cfg := config.Load(env.Getenv)
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	cfg.Bind(fs)
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return cfg, nil, err
	}
	if err := cfg.Finish(); err != nil {
		return cfg, nil, err
	}
	return cfg, fs.Args(), nil
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(strings.ToUpper(level)))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

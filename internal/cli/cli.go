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
		{"serve", "run the service (and its periodic retention purge)", runServe},
		{"migrate", "apply, roll back or list database migrations (up, down, status)", runMigrate},
		{"admin", "bootstrap an admin account (admin create)", runAdmin},
		{"keys", "make and rotate the game-login keeper's keys (keys generate, keys rotate)", runKeys},
		{"backup", "write a verified pg_dump archive of the database (vault keys not included)", runBackup},
		{"restore", "restore a backup archive into an empty database and check every table's rows", runRestore},
		{"purge", "run the retention purge once (deleted messages' content, unused uploads, expired sessions and rate limits, old live events)", runPurge},
		{"db", "database health: db report (sizes, vacuum, unused indexes, slowest statements)", runDB},
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
	fmt.Fprintln(w, "\nRun `pixelpals <command> --help` for a command's own flags.")
}

// subcommand is one verb of a command group (admin create, keys rotate…).
type subcommand struct {
	name, summary string
	run           func(ctx context.Context, env Env, args []string) error
}

// runGroup dispatches a command group to its sub-command; --help lists
// them and exits 0.
func runGroup(ctx context.Context, env Env, group string, subs []subcommand, args []string) error {
	list := func(w io.Writer) {
		fmt.Fprintf(w, "usage: pixelpals %s <command> [flags]\n\ncommands:\n", group)
		for _, s := range subs {
			fmt.Fprintf(w, "  %-10s %s\n", s.name, s.summary)
		}
		fmt.Fprintf(w, "\nRun `pixelpals %s <command> --help` for its flags.\n", group)
	}
	if len(args) > 0 && isHelp(args[0]) {
		list(env.Stdout)
		return nil
	}
	if len(args) > 0 {
		for _, s := range subs {
			if s.name == args[0] {
				return s.run(ctx, env, args[1:])
			}
		}
	}
	var b strings.Builder
	list(&b)
	if len(args) == 0 {
		return fmt.Errorf("%w: a command is missing\n%s", errUsage, b.String())
	}
	return fmt.Errorf("%w: unknown command %q\n%s", errUsage, args[0], b.String())
}

func isHelp(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help" || arg == "help"
}

// wantsHelp reports whether args ask for help before any "--".
func wantsHelp(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if a == "-h" || a == "-help" || a == "--help" {
			return true
		}
	}
	return false
}

// newFlagSet is a command's flag set: usage is its synopsis line (after
// "usage: "), about (optional) says more; --help prints them and the
// command's own flags on stdout.
func newFlagSet(env Env, name, usage, about string, args []string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	if wantsHelp(args) {
		fs.SetOutput(env.Stdout)
	}
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "usage: %s\n", usage)
		if about != "" {
			fmt.Fprintf(w, "\n%s\n", strings.TrimRight(about, "\n"))
		}
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintln(w, "\nflags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

func runVersion(_ context.Context, env Env, _ []string) error {
	fmt.Fprintf(env.Stdout, "pixelpals %s\n", Version)
	return nil
}

// loadConfig reads the environment, then the command's flags, which bind
// registers (config groups and the command's own).
func loadConfig(env Env, name, usage, about string, args []string, bind func(*config.Config, *flag.FlagSet)) (config.Config, []string, error) {
	cfg := config.Load(env.Getenv)
	fs := newFlagSet(env, name, usage, about, args)
	bind(&cfg, fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, nil, err
		}
		return cfg, nil, fmt.Errorf("%w: %v (see pixelpals %s --help)", errUsage, err, name)
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

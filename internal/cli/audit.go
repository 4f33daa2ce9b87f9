package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"pixelpals/internal/audit"
	"pixelpals/internal/config"
)

// errAuditBroken is the exit status of a verification that found breaks.
var errAuditBroken = errors.New("the audit chain is broken")

// runAudit: audit verify. It walks the whole audit chain (migration 00010),
// prints the head to record elsewhere, and names the first break (then
// every other one found); it fails when there is any.
func runAudit(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] != "verify" {
		return fmt.Errorf("%w: pixelpals audit verify", errUsage)
	}
	cfg, rest, err := loadConfig(env, "audit verify", "pixelpals audit verify [flags]",
		"Walks the tamper-evident audit chain, prints its head (record it outside the database)\n"+
			"and names the first row that was changed, deleted or inserted out of order.",
		args[1:], func(cfg *config.Config, fs *flag.FlagSet) { cfg.BindDatabase(fs) })
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("%w: pixelpals audit verify takes no arguments", errUsage)
	}
	logger := newLogger(env.Stderr, cfg.LogLevel)
	db, closeDB, err := openMigrated(ctx, cfg, logger, env.Stderr)
	if err != nil {
		return err
	}
	defer closeDB()
	v, err := db.VerifyAudit(ctx)
	if err != nil {
		return err
	}
	return reportAudit(env, v)
}

func reportAudit(env Env, v audit.Verification) error {
	fmt.Fprintf(env.Stdout, "audit rows: %d\nchain head: position %d, hash %s\n", v.Rows, v.HeadSeq, v.HeadHash)
	if len(v.Problems) == 0 {
		fmt.Fprintln(env.Stdout, "chain intact")
		return nil
	}
	fmt.Fprintf(env.Stdout, "first break: %s\n", v.Problems[0])
	for _, p := range v.Problems[1:] {
		fmt.Fprintf(env.Stdout, "also: %s\n", p)
	}
	return errAuditBroken
}

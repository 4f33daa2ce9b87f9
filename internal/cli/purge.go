package cli

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"pixelpals/internal/config"
	"pixelpals/internal/retention"
	"pixelpals/internal/store"
)

// newPurgeJob is the retention purge as serve and purge run it.
func newPurgeJob(db *store.DB, cfg config.Config, logger *slog.Logger) *retention.Job {
	return &retention.Job{
		DB:     db,
		Steps:  append(retention.Steps(db, cfg.RetentionDays), retention.LiveEventsStep(db, cfg.LiveReplayWindow)),
		Batch:  500,
		Pause:  10 * time.Millisecond,
		Logger: logger,
	}
}

// runPurge: purge [--retention-days N] [--batch N] runs the retention
// purge once, as serve does every hour.
func runPurge(ctx context.Context, env Env, args []string) error {
	var batch int
	cfg, _, err := loadConfig(env, "purge", "pixelpals purge [--retention-days N] [--batch N] [flags]",
		fmt.Sprintf("Runs the retention purge once: erases the content and media of messages deleted more than\n"+
			"--retention-days ago, deletes uploads no message or profile uses once they are %d hours old\n"+
			"(time to send the message an upload is for), expired sessions, rate-limit state no longer\n"+
			"needed, and live events older than --live-replay-window, in short batches. If another\n"+
			"instance is purging right now, it does nothing and says so.", int(retention.UploadGrace.Hours())),
		args, func(cfg *config.Config, fs *flag.FlagSet) {
			cfg.BindDatabase(fs)
			cfg.BindRetention(fs)
			fs.IntVar(&batch, "batch", 500, "rows per transaction")
		})
	if err != nil {
		return err
	}
	if batch < 1 || batch > 100000 {
		return fmt.Errorf("%w: --batch must be from 1 to 100000", errUsage)
	}
	logger := newLogger(env.Stderr, cfg.LogLevel)
	db, closeDB, err := openMigrated(ctx, cfg, logger, env.Stderr)
	if err != nil {
		return err
	}
	defer closeDB()
	job := newPurgeJob(db, cfg, logger)
	job.Batch = batch
	job.MaxRun = 24 * time.Hour // one run by hand works the whole backlog off
	rep, err := job.Run(ctx)
	if err != nil {
		return err
	}
	if !rep.Ran {
		fmt.Fprintln(env.Stdout, "another instance is purging right now; nothing done")
		return nil
	}
	for _, r := range rep.Results {
		fmt.Fprintf(env.Stdout, "%-25s %d\n", r.Step, r.Rows)
	}
	fmt.Fprintf(env.Stdout, "purged in %s (retention %d days)\n", rep.Duration.Round(time.Millisecond), cfg.RetentionDays)
	return nil
}

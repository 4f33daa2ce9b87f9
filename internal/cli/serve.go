package cli

import (
	"context"
	"log/slog"
	"sync"

	"pixelpals/internal/api"
	"pixelpals/internal/auth"
	"pixelpals/internal/config"
	"pixelpals/internal/keeper"
	"pixelpals/internal/live"
	"pixelpals/internal/media"
	"pixelpals/internal/password"
	"pixelpals/internal/retention"
	"pixelpals/internal/server"
	"pixelpals/internal/web"
)

// runServe starts the service and blocks until ctx is cancelled (SIGINT or
// SIGTERM), then shuts down gracefully and stops an embedded cluster.
func runServe(ctx context.Context, env Env, args []string) error {
	cfg, _, err := loadConfig(env, "serve", "pixelpals serve [flags]",
		"Runs the service until SIGINT or SIGTERM; applies pending migrations at start and runs the\nretention purge every hour.",
		args, (*config.Config).Bind)
	if err != nil {
		return err
	}
	logger := newLogger(env.Stderr, cfg.LogLevel)
	// Keys first: a missing or bad key stops the start before anything runs.
	ring, vapid, err := loadKeys(cfg, logger)
	if err != nil {
		return err
	}
	// TLS files are read before migrations run, so that a bad one stops
	// the start with nothing changed.
	front, err := newFront(cfg, logger)
	if err != nil {
		return err
	}
	db, closeDB, err := openMigrated(ctx, cfg, logger, nil)
	if err != nil {
		return err
	}
	defer closeDB()
	refreshLeakPrints(ctx, keeper.New(db, ring), logger)
	authn := auth.New(db, password.DefaultParams, auth.DefaultLimits)
	hub := live.New(db, logger, live.Config{ListenURL: cfg.ListenDatabaseURL, Window: cfg.LiveReplayWindow, AllowedOrigins: cfg.AllowedOrigins})
	a := api.New(api.Deps{DB: db, Auth: authn, Logger: logger, Vault: ring, Media: media.NewProcessor(mediaLimits(cfg)), Live: hub, PushPublicKey: vapid.PublicKey})
	srv := server.New(cfg, logger, db, a.Register, web.Register)
	purge := newPurgeJob(db, cfg, logger)
	purge.Metrics = retention.NewMetrics()
	srv.MustRegister(purge.Metrics.Collectors()...)
	notifier := newNotifier(db, cfg, vapid, logger, ring)
	srv.MustRegister(notifier.Metrics.Collectors()...)
	ln, stopPlain, err := listen(ctx, cfg, front)
	if err != nil {
		return err
	}
	defer stopPlain()
	// The hub stops with ctx, closing its sockets (hijacked connections,
	// which the HTTP server's graceful shutdown does not wait for).
	var wg sync.WaitGroup
	wg.Go(func() { hub.Run(ctx) })
	wg.Go(func() { notifier.Run(ctx) })
	defer wg.Wait()
	logger.Info("pixelpals listening", "addr", ln.Addr().String(), "version", Version, "embedded_db", cfg.Embedded(), "tls", front.Mode())
	purgeCtx, stopPurge := context.WithCancel(ctx)
	purgeDone := make(chan struct{})
	go func() { defer close(purgeDone); purge.Loop(purgeCtx, cfg.RetentionInterval) }()
	err = srv.Serve(ctx, ln)
	stopPurge()
	<-purgeDone
	return err
}

// mediaLimits are the upload limits: media's defaults, but for the sizes
// the configuration sets.
func mediaLimits(cfg config.Config) media.Limits {
	limits := media.DefaultLimits
	if cfg.MediaMaxImageBytes > 0 {
		limits.MaxImageBytes = cfg.MediaMaxImageBytes
	}
	if cfg.MediaMaxAudioBytes > 0 {
		limits.MaxAudioBytes = cfg.MediaMaxAudioBytes
	}
	return limits
}

// refreshLeakPrints writes again the leak-guard fingerprints kept with an
// older normalization (after an upgrade; a few milliseconds per hundred
// logins, none at all after the first start). A failure is logged, not
// fatal: those logins keep their old fingerprint, which still catches a
// password of letters and digits (docs/controls.md).
func refreshLeakPrints(ctx context.Context, k *keeper.Keeper, logger *slog.Logger) {
	n, failed, err := k.RefreshLeakPrints(ctx, 100)
	if n > 0 || len(failed) > 0 {
		logger.Info("leak guard fingerprints refreshed", "refreshed", n, "failed", len(failed))
	}
	for _, f := range failed {
		logger.Warn("leak guard fingerprint not refreshed", "game_credential", f.ID, "reason", f.Reason)
	}
	if err != nil {
		logger.Error("leak guard fingerprints not refreshed", "err", err)
	}
}

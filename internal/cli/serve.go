package cli

import (
	"context"
	"fmt"
	"net"

	"pixelpals/internal/api"
	"pixelpals/internal/auth"
	"pixelpals/internal/password"
	"pixelpals/internal/server"
	"pixelpals/internal/web"
)

// runServe starts the service and blocks until ctx is cancelled (SIGINT or
// SIGTERM), then shuts down gracefully and stops an embedded cluster.
func runServe(ctx context.Context, env Env, args []string) error {
	cfg, _, err := loadConfig(env, "serve", args, nil)
	if err != nil {
		return err
	}
	logger := newLogger(env.Stderr, cfg.LogLevel)
	// Keys first: a missing or bad key stops the start before anything runs.
	ring, err := loadVault(cfg, logger, true)
	if err != nil {
		return err
	}
	db, closeDB, err := openMigrated(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer closeDB()
	authn := auth.New(db, password.DefaultParams, auth.DefaultLimits)
	a := api.New(api.Deps{DB: db, Auth: authn, Logger: logger, Vault: ring})
	srv := server.New(cfg, logger, db, a.Register, web.Register)
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	logger.Info("pixelpals listening", "addr", ln.Addr().String(), "version", Version, "embedded_db", cfg.Embedded())
	return srv.Serve(ctx, ln)
}

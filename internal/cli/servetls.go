package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net"

	"pixelpals/internal/config"
	"pixelpals/internal/https"
)

// newFront loads serve's TLS settings: certificate files are read and
// the ACME cache directory made here, so that a bad one stops the start.
func newFront(cfg config.Config, logger *slog.Logger) (*https.Front, error) {
	return https.New(cfg.TLS, cfg.CertCacheDir(), cfg.Addr, logger)
}

// listen opens the service's listener (in TLS when front serves it) and
// the plain HTTP redirect listener beside it; stopPlain shuts the latter
// down.
func listen(ctx context.Context, cfg config.Config, front *https.Front) (ln net.Listener, stopPlain func(), err error) {
	raw, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, nil, fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	ln = front.Listen(raw)
	stopPlain, err = front.ServePlain(ctx)
	if err != nil {
		raw.Close()
		return nil, nil, err
	}
	return ln, stopPlain, nil
}

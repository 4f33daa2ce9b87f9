package cli

import (
	"errors"
	"fmt"
	"log/slog"

	"pixelpals/internal/config"
	"pixelpals/internal/notify"
	"pixelpals/internal/store"
	"pixelpals/internal/vault"
)

// loadKeys loads the service's keys before anything runs: the vault's
// ring (keys.go) and the Web Push pair.
func loadKeys(cfg config.Config, logger *slog.Logger) (*vault.Ring, notify.VAPID, error) {
	ring, err := loadVault(cfg, logger, true)
	if err != nil {
		return nil, notify.VAPID{}, err
	}
	vapid, err := loadVAPID(cfg, logger)
	return ring, vapid, err
}

// loadVAPID loads the Web Push key pair: from PIXELPALS_VAPID_PUBLIC_KEY
// and PIXELPALS_VAPID_PRIVATE_KEY (both or neither), or else the one kept
// in the data directory, generated on first start. Only the public key is
// logged.
func loadVAPID(cfg config.Config, logger *slog.Logger) (notify.VAPID, error) {
	p := cfg.Push
	switch {
	case p.PublicKey != "" && p.PrivateKey != "":
		v := notify.VAPID{PublicKey: p.PublicKey, PrivateKey: p.PrivateKey}
		if err := v.Check(); err != nil {
			return notify.VAPID{}, fmt.Errorf("PIXELPALS_VAPID_PUBLIC_KEY/PRIVATE_KEY: %w", err)
		}
		logger.Info("web push keys loaded", "source", "environment", "public_key", v.PublicKey)
		return v, nil
	case p.PublicKey != "" || p.PrivateKey != "":
		return notify.VAPID{}, errors.New("web push keys: set both PIXELPALS_VAPID_PUBLIC_KEY and PIXELPALS_VAPID_PRIVATE_KEY, or neither")
	}
	v, err := notify.LoadOrCreateVAPID(cfg.VAPIDFile())
	if err != nil {
		return notify.VAPID{}, err
	}
	logger.Info("web push keys loaded", "source", cfg.VAPIDFile(), "public_key", v.PublicKey)
	return v, nil
}

// newPusher makes the Web Push channel of the notification worker, which
// counts into the worker's metrics.
func newPusher(db *store.DB, cfg config.Config, keys notify.VAPID, m *notify.Metrics, logger *slog.Logger) *notify.WebPusher {
	return &notify.WebPusher{Pool: db.Pool, Keys: keys, Subscriber: notify.Subscriber(cfg.Mail.PublicURL, cfg.Mail.From),
		Metrics: m, Logger: logger}
}

package cli

import (
	"log/slog"

	"pixelpals/internal/config"
	"pixelpals/internal/notify"
	"pixelpals/internal/store"
	"pixelpals/internal/vault"
)

// newNotifier makes the worker that delivers notification mails: through
// the configured SMTP server, or else into the data directory's mail/,
// which the log names once so that a newcomer finds the mails. It pushes
// them too, signed with vapid (push.go). The mails' unsubscribe links are
// signed with a key derived from the vault's ring; the API checks them
// with the same.
func newNotifier(db *store.DB, cfg config.Config, vapid notify.VAPID, logger *slog.Logger, ring *vault.Ring) *notify.Worker {
	env := notify.Envelope{From: cfg.Mail.From, PublicURL: cfg.Mail.PublicURL}
	w := &notify.Worker{Pool: db.Pool, PublicURL: cfg.Mail.PublicURL, Logger: logger, Metrics: notify.NewMetrics(),
		Unsubscribe: &notify.Unsubscribe{Ring: ring}}
	w.Pusher = newPusher(db, cfg, vapid, w.Metrics, logger)
	if s := cfg.Mail.SMTP; s.Host != "" {
		w.Sender = notify.NewSMTP(notify.SMTPServer{Host: s.Host, Port: s.Port, ImplicitTLS: s.ImplicitTLS,
			Username: s.Username, Password: s.Password}, env)
		logger.Info("notification mails go by smtp", "smtp", config.RedactURL(cfg.Mail.SMTPURL), "from", cfg.Mail.From)
		return w
	}
	w.Sender = &notify.DirSender{Envelope: env, Dir: cfg.MailDir()}
	logger.Info("no SMTP server configured (PIXELPALS_SMTP_URL): notification mails are written as .eml files", "dir", cfg.MailDir())
	return w
}

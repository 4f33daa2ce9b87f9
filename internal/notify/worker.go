package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// Worker delivers the outbox. Any number of workers, in any number of
// instances, share one database: each claims a batch of due rows with
// FOR UPDATE SKIP LOCKED and leases them (next_attempt_at moves past the
// lease), so no two hold the same row; a worker that dies mid-batch leaves
// its rows to be claimed again when the lease ends. A mail the SMTP server
// accepted just before such a death is sent again: delivery is at least
// once, and the Message-ID names the row.
type Worker struct {
	Pool   *pgxpool.Pool
	Sender Sender
	// Pusher, when set, also pushes each notification to the recipient's
	// devices (push.go); each row is then done once both channels are.
	Pusher Pusher
	// PublicURL is the base of the mails' links.
	PublicURL string
	Logger    *slog.Logger
	Metrics   *Metrics // optional

	// Batch is how many rows one claim takes (0: 20).
	Batch int
	// MaxAttempts is how many failed deliveries make a row dead (0: 8).
	MaxAttempts int
	// Poll is how often an idle worker looks for due rows (0: 5 s).
	Poll time.Duration
	// Lease is how long a claim holds its rows (0: 5 min); longer than a
	// batch's deliveries take.
	Lease time.Duration
	// Backoff is the wait after the n-th failed attempt (nil: Backoff).
	Backoff func(n int) time.Duration

	// Unsubscribe signs each mail's one-click unsubscribe link (nil: the
	// mails have none).
	Unsubscribe *Unsubscribe
	// Now is the clock of the digests and summaries (nil: time.Now);
	// tests set it.
	Now func() time.Time
	// DigestHour is the local hour of the daily digest and weekly summary
	// (0: DefaultDigestHour).
	DigestHour int

	scheduled time.Time // when this worker last wrote due digests (schedule.go)
}

// DefaultMaxAttempts is how many failed deliveries make a row dead.
const DefaultMaxAttempts = 8

// Backoff doubles the wait from 30 s after each failure, up to 6 h: 8
// attempts span about 1 h 4 min.
func Backoff(n int) time.Duration {
	d := 30 * time.Second
	for i := 1; i < n && d < 6*time.Hour; i++ {
		d *= 2
	}
	return min(d, 6*time.Hour)
}

// Run delivers until ctx ends: a batch at a time while rows are due, then
// a look every Poll.
func (w *Worker) Run(ctx context.Context) {
	poll := cmpOr(w.Poll, 5*time.Second)
	for {
		n, err := w.RunOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			w.logger().Error("notifications not delivered", "err", err)
		}
		if n > 0 && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(poll):
		}
	}
}

// RunOnce claims one batch of due rows and delivers it, returning how many
// rows it claimed.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	if err := w.scheduleDue(ctx); err != nil {
		return 0, err
	}
	batch, err := w.claim(ctx)
	if err != nil {
		return 0, err
	}
	for _, p := range batch {
		if err := w.deliver(ctx, p); err != nil {
			return len(batch), err
		}
	}
	return len(batch), nil
}

// claim leases up to Batch due rows, with what their mails need.
func (w *Worker) claim(ctx context.Context) ([]pending, error) {
	rows, err := w.Pool.Query(ctx, `
		WITH due AS (
			SELECT id FROM notifications
			WHERE state = 'pending' AND next_attempt_at <= CURRENT_TIMESTAMP
			ORDER BY next_attempt_at, id
			LIMIT $1
			FOR UPDATE SKIP LOCKED
		), claimed AS (
			UPDATE notifications n
			SET attempts = n.attempts + 1, next_attempt_at = CURRENT_TIMESTAMP + $2 * interval '1 second'
			FROM due WHERE n.id = due.id
			RETURNING n.id, n.kind, n.child_id, n.recipient_id, n.recipient_email, n.attempts, n.about,
			          n.mailed_at IS NOT NULL AS mailed, n.pushed_at IS NOT NULL AS pushed
		)
		SELECT c.id, c.kind, coalesce(c.child_id, 0), coalesce(p.display_name, ''),
		       coalesce(c.recipient_email, u.email, ''), c.attempts, coalesce(u.id, 0), c.about, c.mailed, c.pushed,
		       coalesce(u.locale, '')
		FROM claimed c
		LEFT JOIN users k ON k.id = c.child_id
		LEFT JOIN users u ON u.id = c.recipient_id AND u.deleted_at IS NULL
		     -- About a child, only their primary or a vetted guardian is
		     -- told: else the row has nobody to tell.
		     AND `+toldOfChildSQL("c", "k", "u")+`
		LEFT JOIN profiles p ON p.user_id = c.child_id
		ORDER BY c.id`, cmpOr(w.Batch, 20), cmpOr(w.Lease, 5*time.Minute).Seconds())
	if err != nil {
		return nil, fmt.Errorf("claim notifications: %w", err)
	}
	batch, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (pending, error) {
		var p pending
		err := r.Scan(&p.id, &p.kind, &p.childID, &p.childName, &p.email, &p.attempts, &p.recipientID, &p.about, &p.mailed, &p.pushed, &p.lang)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("claim notifications: %w", err)
	}
	return batch, nil
}

// errGone marks a row whose recipient's account is gone: nobody to tell.
var errGone = errors.New("recipient gone")

// errNothingLeft marks a digest none of whose rows may still be told
// (renderDigest): nothing to send.
var errNothingLeft = errors.New("nothing left to tell")

// deliver sends p by mail and push and records the outcome. Only a
// failure to record it is returned: a failed send is the row's business
// (retried or dead). Each channel that got through is recorded whatever
// the other did, so that a retry repeats only the one that failed.
func (w *Worker) deliver(ctx context.Context, p pending) error {
	mailErr, pushErr := w.mail(ctx, p), w.push(ctx, p)
	done := ""
	if mailErr == nil {
		done += "mailed_at = coalesce(mailed_at, CURRENT_TIMESTAMP), "
	}
	if pushErr == nil {
		done += "pushed_at = coalesce(pushed_at, CURRENT_TIMESTAMP), "
	}
	sendErr := errors.Join(mailErr, pushErr)
	if sendErr == nil {
		w.Metrics.count(func(m *Metrics) prometheus.Counter { return m.sent })
		if err := w.record(ctx, p, done+`state = 'sent', sent_at = CURRENT_TIMESTAMP, recipient_email = NULL, last_error = NULL`); err != nil {
			return err
		}
		return w.carried(ctx, p)
	}
	if ctx.Err() != nil {
		return ctx.Err() // stopping: the lease ends and the row is tried again
	}
	if errors.Is(sendErr, errGone) || errors.Is(sendErr, errNothingLeft) || p.attempts >= cmpOr(w.MaxAttempts, DefaultMaxAttempts) {
		w.Metrics.count(func(m *Metrics) prometheus.Counter { return m.dead })
		w.logger().Warn("notification dead", "notification", p.id, "kind", p.kind, "attempts", p.attempts, "err", sendErr)
		return w.record(ctx, p, done+`state = 'dead', recipient_email = NULL, last_error = $3`, errText(sendErr))
	}
	w.Metrics.count(func(m *Metrics) prometheus.Counter { return m.failed })
	backoff := w.Backoff
	if backoff == nil {
		backoff = Backoff
	}
	w.logger().Info("notification not delivered; will retry", "notification", p.id, "attempts", p.attempts, "err", sendErr)
	return w.record(ctx, p, done+`next_attempt_at = CURRENT_TIMESTAMP + $3 * interval '1 second', last_error = $4`,
		backoff(p.attempts).Seconds(), errText(sendErr))
}

// mail sends p's mail, unless an earlier attempt did.
func (w *Worker) mail(ctx context.Context, p pending) error {
	if p.mailed {
		return nil
	}
	if p.email == "" {
		return errGone
	}
	m, err := w.compose(ctx, p)
	if err != nil {
		return err
	}
	return w.Sender.Send(ctx, m)
}

// push sends p to the recipient's devices, unless an earlier attempt did
// or there is no Pusher. A recipient who is gone has no devices left.
func (w *Worker) push(ctx context.Context, p pending) error {
	// Only the notifications of Kinds are pushed: not the digests and
	// summaries, nor the links mailed for an address (tokens.go).
	if p.pushed || w.Pusher == nil || p.recipientID == 0 || !slices.Contains(Kinds, p.kind) {
		return nil
	}
	m, err := pushMessage(p)
	if err != nil {
		return err
	}
	return w.Pusher.Push(ctx, p.recipientID, m)
}

// record sets the outcome of p's delivery, unless the row was claimed
// again meanwhile (its lease ended: attempts moved on).
func (w *Worker) record(ctx context.Context, p pending, set string, args ...any) error {
	args = append([]any{p.id, p.attempts}, args...)
	_, err := w.Pool.Exec(ctx, `UPDATE notifications SET `+set+` WHERE id = $1 AND state = 'pending' AND attempts = $2`, args...)
	if err != nil {
		return fmt.Errorf("record delivery of notification %d: %w", p.id, err)
	}
	return nil
}

// errText is what last_error keeps: the error, bounded. Senders keep
// secrets out of their errors (SMTPSender redacts its password).
func errText(err error) string {
	s := err.Error()
	if len(s) > 500 {
		s = s[:500]
	}
	return s
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Metrics are the delivery's Prometheus series.
type Metrics struct {
	sent, failed, dead prometheus.Counter
	// The push channel's, per device (push.go).
	pushSent, pushFailed, pushExpired, pushRefused prometheus.Counter
}

// NewMetrics makes the series; register Collectors on the server's registry.
func NewMetrics() *Metrics {
	c := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	}
	return &Metrics{
		sent:   c("pixelpals_notifications_sent_total", "Notification mails handed to the SMTP server (or written as .eml files)."),
		failed: c("pixelpals_notifications_failed_total", "Failed notification deliveries that will be retried."),
		dead:   c("pixelpals_notifications_dead_total", "Notifications given up: too many failures, or the recipient is gone."),

		pushSent:    c("pixelpals_push_sent_total", "Web pushes a push service accepted, one per device."),
		pushFailed:  c("pixelpals_push_failed_total", "Web pushes a push service could not take now (5xx, 429, no connection): tried again."),
		pushExpired: c("pixelpals_push_expired_total", "Push subscriptions removed because their push service said they are gone (404, 410)."),
		pushRefused: c("pixelpals_push_refused_total", "Web pushes a push service refused for good (another 4xx): not tried again."),
	}
}

// Collectors are the series to register.
func (m *Metrics) Collectors() []prometheus.Collector {
	return []prometheus.Collector{m.sent, m.failed, m.dead, m.pushSent, m.pushFailed, m.pushExpired, m.pushRefused}
}

// count adds one to the series pick chooses; a Worker without metrics
// counts nothing.
func (m *Metrics) count(pick func(*Metrics) prometheus.Counter) {
	if m != nil {
		pick(m).Inc()
	}
}

func (w *Worker) logger() *slog.Logger {
	if w.Logger == nil {
		return slog.Default()
	}
	return w.Logger
}

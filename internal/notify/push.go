package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/mail"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/SherClockHolmes/webpush-go"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// Pusher delivers one notification to every device its recipient turned
// push on for. An error means "try again later"; a device that can never
// take it is not an error.
type Pusher interface {
	Push(ctx context.Context, userID int64, m PushMessage) error
}

// PushMessage is a push's payload: JSON that the service worker
// (internal/web/assets/sw.js) shows as a notification. It says only what
// kind of thing waits and for which child, never anything anyone wrote.
type PushMessage struct {
	Title string `json:"title"`
	Body  string `json:"body"`
	// URL is the page that needs the parent, a path on the service's own
	// origin ("/#/child/7"): the service worker opens it on a click.
	URL string `json:"url"`
	// Tag is "notification-<id>": a second copy of one notification (the
	// delivery is at least once) replaces the first on the device.
	Tag string `json:"tag"`
}

// pushMessage is what the push of p says: the mail's sentence and page.
func pushMessage(p pending) (PushMessage, error) {
	m, err := render(p, "")
	if err != nil {
		return PushMessage{}, err
	}
	return PushMessage{Title: ProductName, Body: m.Sentence, URL: m.Link, Tag: fmt.Sprintf("notification-%d", p.id)}, nil
}

// WebPusher sends Web Push messages (RFC 8030) encrypted to each
// subscription (RFC 8291, aes128gcm) and signed with the server's VAPID
// keys (RFC 8292), through github.com/SherClockHolmes/webpush-go.
type WebPusher struct {
	Pool *pgxpool.Pool
	Keys VAPID
	// Subscriber is who runs this server, for the push services: an
	// https URL or a mail address (Subscriber makes it).
	Subscriber string
	// Client sends the requests; nil: PublicClient.
	Client *http.Client
	// TTL is how long a push service keeps a message for a device that is
	// off (0: a day).
	TTL     time.Duration
	Logger  *slog.Logger
	Metrics *Metrics // optional: the worker's, whose push series it counts
}

type subscription struct {
	id           int64
	endpoint     string
	p256dh, auth []byte
}

// Push sends m to each of userID's subscriptions. A subscription the push
// service says is gone (404, 410) is removed; one refused for another
// reason (a 4xx) is skipped, since sending it again would fail the same
// way; a push service that is down or busy (5xx, 429, the network) makes
// Push fail, to be tried again.
func (wp *WebPusher) Push(ctx context.Context, userID int64, m PushMessage) error {
	subs, err := wp.subscriptions(ctx, userID)
	if err != nil {
		return err
	}
	body, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("push payload: %w", err)
	}
	var errs []error
	for _, s := range subs {
		if err := wp.pushOne(ctx, s, body, m.Tag); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (wp *WebPusher) subscriptions(ctx context.Context, userID int64) ([]subscription, error) {
	rows, err := wp.Pool.Query(ctx, `
		SELECT id, endpoint, p256dh, auth FROM push_subscriptions WHERE user_id = $1 ORDER BY id`, userID)
	if err != nil {
		return nil, fmt.Errorf("push subscriptions of %d: %w", userID, err)
	}
	subs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (subscription, error) {
		var s subscription
		err := r.Scan(&s.id, &s.endpoint, &s.p256dh, &s.auth)
		return s, err
	})
	if err != nil {
		return nil, fmt.Errorf("push subscriptions of %d: %w", userID, err)
	}
	return subs, nil
}

// pushOne sends body to s. Errors name the subscription by id: its
// endpoint is a capability and stays out of logs and last_error.
func (wp *WebPusher) pushOne(ctx context.Context, s subscription, body []byte, tag string) error {
	ttl := wp.TTL
	if ttl == 0 {
		ttl = 24 * time.Hour
	}
	client := wp.Client
	if client == nil {
		client = PublicClient
	}
	resp, err := webpush.SendNotificationWithContext(ctx, body,
		&webpush.Subscription{Endpoint: s.endpoint, Keys: webpush.Keys{Auth: b64(s.auth), P256dh: b64(s.p256dh)}},
		&webpush.Options{HTTPClient: client, Subscriber: wp.Subscriber, Topic: topic(tag), TTL: int(ttl.Seconds()),
			VAPIDPublicKey: wp.Keys.PublicKey, VAPIDPrivateKey: wp.Keys.PrivateKey})
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL
		}
		wp.Metrics.count(func(m *Metrics) prometheus.Counter { return m.pushFailed })
		return fmt.Errorf("push to subscription %d: %w", s.id, err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		wp.Metrics.count(func(m *Metrics) prometheus.Counter { return m.pushSent })
		return nil
	case code == http.StatusNotFound || code == http.StatusGone:
		wp.Metrics.count(func(m *Metrics) prometheus.Counter { return m.pushExpired })
		return wp.remove(ctx, s)
	case code == http.StatusTooManyRequests || code >= 500:
		wp.Metrics.count(func(m *Metrics) prometheus.Counter { return m.pushFailed })
		return fmt.Errorf("push to subscription %d: the push service answered %d", s.id, code)
	default:
		wp.Metrics.count(func(m *Metrics) prometheus.Counter { return m.pushRefused })
		wp.logger().Warn("push refused; not retried", "subscription", s.id, "status", code)
		return nil
	}
}

// remove deletes a subscription whose push service says it has expired
// (the browser unsubscribed, or the user took the permission back).
func (wp *WebPusher) remove(ctx context.Context, s subscription) error {
	if _, err := wp.Pool.Exec(ctx, `DELETE FROM push_subscriptions WHERE id = $1`, s.id); err != nil {
		return fmt.Errorf("remove expired push subscription %d: %w", s.id, err)
	}
	wp.logger().Info("push subscription expired; removed", "subscription", s.id)
	return nil
}

// topic makes an RFC 8030 Topic (at most 32 base64url characters) of tag,
// so that a push service holding an undelivered copy replaces it.
func topic(tag string) string {
	t := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return -1
	}, tag)
	return t[:min(len(t), 32)]
}

func (wp *WebPusher) logger() *slog.Logger {
	if wp.Logger == nil {
		return slog.Default()
	}
	return wp.Logger
}

// Subscriber is the VAPID "sub" claim for a server at publicURL sending
// mail as from: the https URL when there is one (the push services'
// operators can reach its admin there), else the sender's mail address.
func Subscriber(publicURL, from string) string {
	if strings.HasPrefix(publicURL, "https://") {
		return publicURL
	}
	if a, err := mail.ParseAddress(from); err == nil {
		return a.Address
	}
	return "pixelpals@localhost"
}

// PublicClient sends pushes to public addresses only. A push endpoint is a
// URL a parent's browser hands us, so a parent could hand any URL; this
// client refuses to connect to loopback, private, link-local and other
// non-public addresses (after DNS, so a name cannot point inside), and
// follows no redirect, so that a subscription cannot make the server
// reach into its own network.
var PublicClient = &http.Client{
	Timeout: 30 * time.Second,
	Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, Control: publicOnly}).DialContext,
		TLSHandshakeTimeout: 10 * time.Second,
		ForceAttemptHTTP2:   true,
		MaxIdleConnsPerHost: 4,
	},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func publicOnly(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !isPublic(ip.Unmap()) {
		return fmt.Errorf("push endpoint address %s is not public", host)
	}
	return nil
}

// notPublic are the special-purpose ranges (RFC 6890 and its IANA
// registries) that IsGlobalUnicast and IsPrivate let through but that are
// not the public internet: shared address space (100.64.0.0/10, where
// some clouds answer their metadata service), prefixes that carry an IPv4
// address inside an IPv6 one (NAT64, 6to4, Teredo), reserved and
// documentation ranges.
var notPublic = func() []netip.Prefix {
	var ps []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15",
		"198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4",
		"64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32", "2002::/16", "fec0::/10",
	} {
		ps = append(ps, netip.MustParsePrefix(s))
	}
	return ps
}()

// isPublic reports whether ip is an address of the public internet.
func isPublic(ip netip.Addr) bool {
	if !ip.IsGlobalUnicast() || ip.IsPrivate() || ip.IsLoopback() {
		return false
	}
	for _, p := range notPublic {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

package notify

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/wneessen/go-mail"
)

// Sender delivers one mail: by SMTP, or into a directory when no SMTP
// server is configured.
type Sender interface {
	Send(ctx context.Context, m Mail) error
}

// Envelope is what every mail carries besides its words.
type Envelope struct {
	// From is the sender address, e.g. "Pixel Pals <pixelpals@example.org>".
	From string
	// PublicURL is the service's base URL: the links' base, and the host of
	// each mail's Message-ID.
	PublicURL string
}

// message builds m as a MIME message: plain text with an HTML alternative.
// The Message-ID is the notification's own, so that a mail sent twice (the
// delivery is at least once) is recognisably the same mail.
func (e Envelope) message(m Mail) (*mail.Msg, error) {
	msg := mail.NewMsg()
	if err := msg.From(e.From); err != nil {
		return nil, fmt.Errorf("mail from %q: %w", e.From, err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("mail to notification %d's recipient: invalid address", m.ID)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	host := "pixelpals.invalid"
	if u, err := url.Parse(e.PublicURL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	msg.SetMessageIDWithValue(fmt.Sprintf("notification-%d@%s", m.ID, host))
	msg.SetGenHeader("Auto-Submitted", "auto-generated") // RFC 3834: no vacation replies
	if m.Unsubscribe != "" {
		// RFC 2369 and RFC 8058: the mail client's own "unsubscribe"
		// button POSTs List-Unsubscribe=One-Click to this address.
		msg.SetGenHeaderPreformatted(mail.HeaderListUnsubscribe, "<"+m.Unsubscribe+">")
		msg.SetGenHeader(mail.HeaderListUnsubscribePost, "List-Unsubscribe=One-Click")
	}
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	return msg, nil
}

// SMTPServer is where SMTPSender delivers (PIXELPALS_SMTP_URL).
type SMTPServer struct {
	Host string
	Port int
	// ImplicitTLS is smtps:// (TLS from the first byte, port 465 by
	// default); smtp:// uses STARTTLS (587): when the server offers it,
	// or always when there are credentials.
	ImplicitTLS        bool
	Username, Password string
	// TLSConfig overrides the TLS settings (tests; nil: the system's roots).
	TLSConfig *tls.Config
	// Timeout bounds one delivery (0: 30 s).
	Timeout time.Duration
}

// String names the server, never its password.
func (s SMTPServer) String() string {
	return fmt.Sprintf("smtp server %s@%s:%d", s.Username, s.Host, s.Port)
}

// Format makes every fmt verb print String.
func (s SMTPServer) Format(f fmt.State, _ rune) { io.WriteString(f, s.String()) }

// LogValue keeps slog's JSON handler from marshalling the password.
func (s SMTPServer) LogValue() slog.Value { return slog.StringValue(s.String()) }

// SMTPSender delivers through one SMTP server, one connection per mail.
type SMTPSender struct {
	Envelope
	server SMTPServer
}

// NewSMTP makes a sender to s.
func NewSMTP(s SMTPServer, e Envelope) *SMTPSender { return &SMTPSender{Envelope: e, server: s} }

func (s *SMTPSender) options() []mail.Option {
	srv := s.server
	timeout := srv.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	// STARTTLS when the server offers it; with credentials, TLS or no
	// delivery: a password never crosses the network in the clear.
	policy := mail.TLSOpportunistic
	if srv.Username != "" {
		policy = mail.TLSMandatory
	}
	opts := []mail.Option{mail.WithPort(srv.Port), mail.WithTimeout(timeout), mail.WithTLSPolicy(policy)}
	if srv.ImplicitTLS {
		opts = append(opts, mail.WithSSL())
	}
	if srv.TLSConfig != nil {
		opts = append(opts, mail.WithTLSConfig(srv.TLSConfig))
	}
	if srv.Username != "" {
		// The strongest mechanism the server offers.
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover),
			mail.WithUsername(srv.Username), mail.WithPassword(srv.Password))
	}
	return opts
}

// Send delivers m. An error never holds the password.
func (s *SMTPSender) Send(ctx context.Context, m Mail) error {
	msg, err := s.message(m)
	if err != nil {
		return err
	}
	c, err := mail.NewClient(s.server.Host, s.options()...)
	if err != nil {
		return fmt.Errorf("smtp client for %s: %w", s.server.Host, err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("send notification %d by smtp: %s", m.ID, s.redact(err.Error()))
	}
	return nil
}

func (s *SMTPSender) redact(text string) string {
	if s.server.Password != "" {
		text = strings.ReplaceAll(text, s.server.Password, "xxxxx")
	}
	return text
}

// DirSender writes each mail as an .eml file into Dir (the data
// directory's mail/ when no SMTP server is configured), so that a newcomer
// sees them; any mail client opens them.
type DirSender struct {
	Envelope
	Dir string
}

// Send writes m to Dir/notification-<id>.eml, whole or not at all.
func (d *DirSender) Send(_ context.Context, m Mail) error {
	msg, err := d.message(m)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(d.Dir, 0o700); err != nil {
		return fmt.Errorf("mail directory: %w", err)
	}
	f, err := os.CreateTemp(d.Dir, ".notification-*.tmp")
	if err != nil {
		return fmt.Errorf("write notification %d: %w", m.ID, err)
	}
	defer os.Remove(f.Name()) // after the rename, nothing
	if _, err := msg.WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("write notification %d: %w", m.ID, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write notification %d: %w", m.ID, err)
	}
	name := filepath.Join(d.Dir, fmt.Sprintf("notification-%d.eml", m.ID))
	if err := os.Rename(f.Name(), name); err != nil {
		return fmt.Errorf("write notification %d: %w", m.ID, err)
	}
	return nil
}

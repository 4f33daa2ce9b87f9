package config

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/mail"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
)

// Mail holds the notification mails' settings.
type Mail struct {
	// SMTPURL is smtp://user:password@host:port (STARTTLS when offered,
	// port 587 by default) or smtps://... (implicit TLS, 465); empty
	// writes each mail as an .eml file under DataDir/mail.
	SMTPURL string
	// From is the mails' sender ("Pixel Pals <pixelpals@example.org>").
	From string
	// PublicURL is the address parents open the service at: the base of
	// every link in a mail. Default: http:// and the listen address.
	PublicURL string
	// SMTP is SMTPURL parsed (zero when SMTPURL is empty).
	SMTP SMTP
}

// SMTP is one SMTP server's address and credentials.
type SMTP struct {
	Host               string
	Port               int
	ImplicitTLS        bool
	Username, Password string
}

// String names the server, never its password.
func (s SMTP) String() string { return fmt.Sprintf("smtp server %s@%s:%d", s.Username, s.Host, s.Port) }

// Format makes every fmt verb print String.
func (s SMTP) Format(f fmt.State, _ rune) { io.WriteString(f, s.String()) }

// LogValue keeps slog's JSON handler from marshalling the password.
func (s SMTP) LogValue() slog.Value { return slog.StringValue(s.String()) }

// BindMail registers the mail flags.
func (c *Config) BindMail(fs *flag.FlagSet) {
	fs.Var(secretURL{&c.Mail.SMTPURL}, "smtp-url", "SMTP server of notification mails, smtp:// or smtps://user:password@host:port (env PIXELPALS_SMTP_URL); empty writes them as .eml files under the data directory")
	fs.StringVar(&c.Mail.From, "mail-from", c.Mail.From, "sender address of notification mails (env PIXELPALS_MAIL_FROM); required with an SMTP server")
	fs.StringVar(&c.Mail.PublicURL, "public-url", c.Mail.PublicURL, "address parents open the service at, the base of links in mails (env PIXELPALS_PUBLIC_URL); empty: http:// and the listen address")
}

// MailDir is where mails are written when no SMTP server is configured.
func (c *Config) MailDir() string { return filepath.Join(c.DataDir, "mail") }

func (c *Config) finishMail() error {
	m := &c.Mail
	m.SMTP = SMTP{}
	if m.SMTPURL != "" {
		s, err := ParseSMTPURL(m.SMTPURL)
		if err != nil {
			return err
		}
		m.SMTP = s
		if m.From == "" {
			return fmt.Errorf("mail sender: PIXELPALS_MAIL_FROM (--mail-from) must be set with an SMTP server, such as \"Pixel Pals <pixelpals@example.org>\"")
		}
	}
	if m.From == "" {
		m.From = "Pixel Pals <pixelpals@localhost>"
	}
	if _, err := mail.ParseAddress(m.From); err != nil {
		return fmt.Errorf("mail sender %q: want an address such as \"Pixel Pals <pixelpals@example.org>\" (PIXELPALS_MAIL_FROM, --mail-from)", m.From)
	}
	if m.PublicURL == "" {
		m.PublicURL = publicURLOf(c.Addr)
	}
	u, err := url.Parse(m.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("public url %q: want http(s)://host[:port][/path], such as https://pals.example.org (PIXELPALS_PUBLIC_URL, --public-url)", m.PublicURL)
	}
	m.PublicURL = strings.TrimRight(u.String(), "/")
	return nil
}

// publicURLOf is the default public URL of a listen address: a wildcard
// host becomes localhost.
func publicURLOf(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://localhost"
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// ParseSMTPURL reads smtp://[user[:password]@]host[:port] or smtps://...
// Errors never repeat the password.
func ParseSMTPURL(raw string) (SMTP, error) {
	bad := func(why string) (SMTP, error) {
		return SMTP{}, fmt.Errorf("smtp url %q: %s (PIXELPALS_SMTP_URL, --smtp-url)", RedactURL(raw), why)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return SMTP{}, fmt.Errorf("smtp url: not a URL; want smtp://user:password@host:port or smtps://... (PIXELPALS_SMTP_URL, --smtp-url)")
	}
	s := SMTP{Host: u.Hostname()}
	switch u.Scheme {
	case "smtp":
		s.Port = 587
	case "smtps":
		s.Port, s.ImplicitTLS = 465, true
	default:
		return bad("want the scheme smtp:// or smtps://")
	}
	if s.Host == "" {
		return bad("want a host")
	}
	if strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "" {
		return bad("want no path or query")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return bad("want a port from 1 to 65535")
		}
		s.Port = n
	}
	if u.User != nil {
		s.Username = u.User.Username()
		s.Password, _ = u.User.Password()
	}
	return s, nil
}

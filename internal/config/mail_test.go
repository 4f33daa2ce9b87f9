package config

import (
	"flag"
	"strings"
	"testing"
)

// TestMailSettings: defaults without SMTP (mails into the data directory,
// links to the listen address), an SMTP URL read whole, the sender
// required with it, and bad values refused naming the variable, never
// repeating the SMTP password.
func TestMailSettings(t *testing.T) {
	c, err := load(t, map[string]string{"PIXELPALS_ADDR": "0.0.0.0:9090", "PIXELPALS_DATA_DIR": "/srv/pp"})
	if err != nil || c.Mail.SMTP != (SMTP{}) || c.Mail.PublicURL != "http://localhost:9090" ||
		c.Mail.From != "Pixel Pals <pixelpals@localhost>" || c.MailDir() != "/srv/pp/mail" {
		t.Fatalf("defaults: %+v %v", c.Mail, err)
	}
	c, err = load(t, map[string]string{
		"PIXELPALS_SMTP_URL":   "smtp://mailer%40pals:pw-s3cret@mail.example.org:2525",
		"PIXELPALS_MAIL_FROM":  "Pixel Pals <pals@example.org>",
		"PIXELPALS_PUBLIC_URL": "https://pals.example.org/",
	})
	want := SMTP{Host: "mail.example.org", Port: 2525, Username: "mailer@pals", Password: "pw-s3cret"}
	if err != nil || c.Mail.SMTP != want || c.Mail.PublicURL != "https://pals.example.org" {
		t.Fatalf("set: %+v %v", c.Mail, err)
	}
	c, err = load(t, map[string]string{"PIXELPALS_SMTP_URL": "smtps://mail.example.org", "PIXELPALS_MAIL_FROM": "pals@example.org"})
	if err != nil || c.Mail.SMTP != (SMTP{Host: "mail.example.org", Port: 465, ImplicitTLS: true}) {
		t.Fatalf("smtps: %+v %v", c.Mail, err)
	}
	for _, bad := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"PIXELPALS_SMTP_URL": "smtp://u:pw-s3cret@mail.example.org"}, "PIXELPALS_MAIL_FROM"},
		{map[string]string{"PIXELPALS_SMTP_URL": "http://u:pw-s3cret@mail.example.org", "PIXELPALS_MAIL_FROM": "a@b.c"}, "PIXELPALS_SMTP_URL"},
		{map[string]string{"PIXELPALS_SMTP_URL": "smtp://u:pw-s3cret@mail.example.org:99999", "PIXELPALS_MAIL_FROM": "a@b.c"}, "PIXELPALS_SMTP_URL"},
		{map[string]string{"PIXELPALS_SMTP_URL": "smtp://u:pw-s3cret@:25", "PIXELPALS_MAIL_FROM": "a@b.c"}, "PIXELPALS_SMTP_URL"},
		{map[string]string{"PIXELPALS_SMTP_URL": "smtp://u:pw-s3cret@mail.example.org/x?y=1", "PIXELPALS_MAIL_FROM": "a@b.c"}, "PIXELPALS_SMTP_URL"},
		{map[string]string{"PIXELPALS_MAIL_FROM": "not an address"}, "PIXELPALS_MAIL_FROM"},
		{map[string]string{"PIXELPALS_PUBLIC_URL": "pals.example.org"}, "PIXELPALS_PUBLIC_URL"},
		{map[string]string{"PIXELPALS_PUBLIC_URL": "https://pals.example.org/?a=1"}, "PIXELPALS_PUBLIC_URL"},
	} {
		_, err := load(t, bad.env)
		if err == nil || !strings.Contains(err.Error(), bad.want) || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%v: %v, want an error naming %s without the password", bad.env, err, bad.want)
		}
	}
}

// TestHelpHidesSMTPPassword: --smtp-url's default, printed by --help, has
// no password.
func TestHelpHidesSMTPPassword(t *testing.T) {
	c := Load(func(k string) string {
		if k == "PIXELPALS_SMTP_URL" {
			return "smtps://mailer:pw-s3cret@mail.example.org"
		}
		return ""
	})
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	var out strings.Builder
	fs.SetOutput(&out)
	c.Bind(fs)
	fs.PrintDefaults()
	if !strings.Contains(out.String(), "-smtp-url") || strings.Contains(out.String(), "s3cret") {
		t.Fatalf("help:\n%s", out.String())
	}
}

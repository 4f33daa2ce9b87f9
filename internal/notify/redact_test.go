package notify_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"pixelpals/internal/config"
	"pixelpals/internal/notify"
)

// TestSecretsNeverLogged: the production logger is slog's JSON handler,
// which marshals a struct field by field and never calls String. The
// VAPID key pair and the SMTP credentials, logged or printed in any way,
// show no private key and no password.
func TestSecretsNeverLogged(t *testing.T) {
	v, err := notify.GenerateVAPID()
	if err != nil {
		t.Fatal(err)
	}
	const password = "smtp-secret-password"
	values := map[string]any{
		"vapid":       v,
		"push config": config.Push{PublicKey: v.PublicKey, PrivateKey: v.PrivateKey},
		"smtp config": config.SMTP{Host: "mail.example.org", Port: 587, Username: "pals", Password: password},
		"smtp server": notify.SMTPServer{Host: "mail.example.org", Port: 587, Username: "pals", Password: password},
	}
	for name, val := range values {
		var buf bytes.Buffer
		slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "value", val)
		slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "value", val)
		fmt.Fprintf(&buf, "%v %+v %#v %s", val, val, val, val)
		out := buf.String()
		if strings.Contains(out, v.PrivateKey) || strings.Contains(out, password) {
			t.Errorf("%s: a secret is in what was logged or printed:\n%s", name, out)
		}
	}
}

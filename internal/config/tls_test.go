package config

import (
	"strings"
	"testing"
)

// TestTLSSettings: the accepted ways to serve HTTPS, and every refused
// combination named by its flag.
func TestTLSSettings(t *testing.T) {
	c, err := load(t, nil)
	if err != nil || c.TLS.Enabled() || c.TLS.HTTPAddr != "" || c.TLS.ACMEDirectory != LetsEncryptDirectory {
		t.Fatalf("defaults: %+v %v", c.TLS, err)
	}
	c, err = load(t, map[string]string{"PIXELPALS_TLS_CERT": "c.pem", "PIXELPALS_TLS_KEY": "k.pem"})
	if err != nil || !c.TLS.Enabled() || c.TLS.ACME() || c.TLS.HTTPAddr != "" {
		t.Fatalf("files: %+v %v", c.TLS, err)
	}
	c, err = load(t, map[string]string{"PIXELPALS_TLS_DOMAIN": "Chat.Example.org., pals.example.org",
		"PIXELPALS_DATA_DIR": "/srv/pp"})
	if err != nil || !c.TLS.ACME() || c.TLS.HTTPAddr != ":80" || strings.Join(c.TLS.Domains, ",") != "chat.example.org,pals.example.org" ||
		c.CertCacheDir() != "/srv/pp/certs" {
		t.Fatalf("acme: %+v %v", c.TLS, err)
	}
	for _, bad := range []struct {
		env  map[string]string
		flag string
	}{
		{map[string]string{"PIXELPALS_TLS_CERT": "c.pem"}, "--tls-key"},
		{map[string]string{"PIXELPALS_TLS_KEY": "k.pem"}, "--tls-cert"},
		{map[string]string{"PIXELPALS_TLS_CERT": "c.pem", "PIXELPALS_TLS_KEY": "k.pem", "PIXELPALS_TLS_DOMAIN": "a.example.org"}, "--tls-domain"},
		{map[string]string{"PIXELPALS_TLS_DOMAIN": "localhost"}, "--tls-domain"},
		{map[string]string{"PIXELPALS_TLS_DOMAIN": "127.0.0.1"}, "--tls-domain"},
		{map[string]string{"PIXELPALS_TLS_DOMAIN": "*.example.org"}, "--tls-domain"},
		{map[string]string{"PIXELPALS_TLS_DOMAIN": "a.example.org", "PIXELPALS_ACME_DIRECTORY": "http://acme.example/dir"}, "--acme-directory"},
		{map[string]string{"PIXELPALS_TLS_DOMAIN": "a.example.org", "PIXELPALS_HTTP_ADDR": "80"}, "--http-addr"},
		{map[string]string{"PIXELPALS_HTTP_ADDR": ":80"}, "--http-addr"},
	} {
		_, err := load(t, bad.env)
		if err == nil || !strings.Contains(err.Error(), bad.flag) {
			t.Errorf("%v: %v, want an error naming %s", bad.env, err, bad.flag)
		}
	}
}

package cli_test

import (
	"strings"
	"testing"
)

// TestHelp: every command's --help exits 0 on stdout and lists only the
// flags that command uses; command groups list their sub-commands; the
// top-level help lists every command on one line each.
func TestHelp(t *testing.T) {
	serveOnly := []string{"-addr", "-trusted-proxies", "-smtp-url", "-mail-from", "-public-url"}
	cases := []struct {
		args    []string
		want    []string
		notWant []string
	}{
		{[]string{"--help"}, []string{"serve", "migrate", "admin", "keys", "backup", "restore", "purge", "db", "version"}, nil},
		{[]string{"serve", "--help"}, append([]string{"-vault-keys-file", "-database-url", "-retention-days"}, serveOnly...), nil},
		{[]string{"migrate", "--help"}, []string{"up ", "down [VERSION]", "status", "-database-url", "-data-dir"},
			append([]string{"-vault-keys-file", "-retention-days"}, serveOnly...)},
		{[]string{"admin", "--help"}, []string{"create"}, nil},
		{[]string{"admin", "create", "--help"}, []string{"-email", "-name", "-database-url"},
			append([]string{"-vault-keys-file", "-retention-days"}, serveOnly...)},
		{[]string{"keys", "--help"}, []string{"generate", "rotate"}, nil},
		{[]string{"keys", "generate", "-h"}, []string{"-version"}, append([]string{"-database-url"}, serveOnly...)},
		{[]string{"backup", "--help"}, []string{"-out", "-database-url", "vault keys"},
			append([]string{"-vault-keys-file", "-retention-days"}, serveOnly...)},
		{[]string{"restore", "--help"}, []string{"-in", "-force", "-database-url", "vault keys"},
			append([]string{"-vault-keys-file", "-retention-days"}, serveOnly...)},
		{[]string{"db", "--help"}, []string{"report"}, nil},
		{[]string{"db", "report", "--help"}, []string{"-database-url"},
			append([]string{"-vault-keys-file", "-retention-days"}, serveOnly...)},
		{[]string{"purge", "--help"}, []string{"-retention-days", "-batch", "-database-url", "uploads no message or profile uses once they are 24 hours old", "live events"},
			append([]string{"-vault-keys-file"}, serveOnly...)},
		{[]string{"keys", "rotate", "--help"}, []string{"-actor", "-batch", "-vault-keys-file", "-database-url"},
			append([]string{"-retention-days"}, serveOnly...)},
	}
	for _, c := range cases {
		code, out, errOut := run(nil, c.args...)
		name := strings.Join(c.args, " ")
		if code != 0 {
			t.Errorf("%s: exit %d\n%s%s", name, code, out, errOut)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: stdout lacks %q:\n%s", name, w, out)
			}
		}
		for _, w := range c.notWant {
			if strings.Contains(out, w+" ") {
				t.Errorf("%s: lists %s, which it does not use:\n%s", name, w, out)
			}
		}
	}

	// The top-level help: one line per command.
	_, out, _ := run(nil, "--help")
	for _, name := range []string{"serve", "migrate", "admin", "keys", "backup", "restore", "purge", "db", "version"} {
		n := 0
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "  "+name+" ") {
				n++
			}
		}
		if n != 1 {
			t.Errorf("pixelpals --help has %d lines for %s:\n%s", n, name, out)
		}
	}

	// Without a sub-command, a group is a usage error that lists them.
	for _, group := range []string{"admin", "keys", "db"} {
		code, _, errOut := run(nil, group)
		if code != 2 || !strings.Contains(errOut, "commands:") {
			t.Errorf("pixelpals %s: exit %d\n%s", group, code, errOut)
		}
	}
}

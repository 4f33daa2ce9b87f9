package mediatest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// OpenFilesUnder lists the files under dir this process holds open, read
// from /proc/self/fd (an unlinked one ends in " (deleted)"), so a test can
// tell that spooled uploads were closed. It skips the test where there is
// no /proc/self/fd.
func OpenFilesUnder(t testing.TB, dir string) []string {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if os.IsNotExist(err) {
		t.Skip("needs /proc/self/fd to see open files")
	}
	if err != nil {
		t.Fatalf("list open files: %v", err)
	}
	var open []string
	for _, fd := range fds {
		// A descriptor closed since the listing has no link: skip it.
		target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if err == nil && strings.HasPrefix(target, dir+string(filepath.Separator)) {
			open = append(open, target)
		}
	}
	return open
}

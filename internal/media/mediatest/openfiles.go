package mediatest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// OpenFilesUnder lists the files under dir this process holds open, read
// from /proc/self/fd (an unlinked one ends in " (deleted)"), so a test can
// tell that spooled uploads were closed. ok is false where there is no
// /proc/self/fd.
func OpenFilesUnder(dir string) (open []string, ok bool, err error) {
	fds, err := os.ReadDir("/proc/self/fd")
	if os.IsNotExist(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("list open files: %w", err)
	}
	for _, fd := range fds {
		// A descriptor closed since the listing has no link: skip it.
		target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if err == nil && strings.HasPrefix(target, dir+string(filepath.Separator)) {
			open = append(open, target)
		}
	}
	return open, true, nil
}

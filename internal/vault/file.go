package vault

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// maxKeyFileSize bounds what LoadRingFile reads; a real ring is a few lines.
const maxKeyFileSize = 1 << 20

// LoadRingFile reads a ring from a file in the ParseRing format. Entries may
// be spread over lines; lines whose first non-blank character is '#' are
// comments. The file must be a regular file that neither group nor others
// can read (mode 0600 or stricter), since it holds the keys.
func LoadRingFile(path string) (*Ring, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("vault: open key file: %w", err)
	}
	defer f.Close()

	// Stat the open file, not the path, so the checked file is the read one.
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("vault: stat key file: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("vault: key file %s is not a regular file", path)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("vault: key file %s has mode %04o and is readable by group or others; run: chmod 600 %s", path, perm, path)
	}

	data, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("vault: read key file %s: %w", path, err)
	}
	if len(data) > maxKeyFileSize {
		return nil, fmt.Errorf("vault: key file %s is larger than %d bytes", path, maxKeyFileSize)
	}
	r, err := parseEntries(fileEntries(data))
	clear(data)
	if err != nil {
		return nil, fmt.Errorf("vault: key file %s: %w", path, err)
	}
	return r, nil
}

// fileEntries splits a key file into entries labelled by line number.
func fileEntries(data []byte) []entry {
	var entries []entry
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, maxKeyFileSize+1)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") {
			continue
		}
		for _, text := range splitEntries(line) {
			entries = append(entries, entry{text: text, where: "line " + strconv.Itoa(n)})
		}
	}
	return entries
}

// LoadOrCreateRingFile is the embedded-development default. If path does not
// exist it creates a ring with one random key (version 1) there, mode 0600,
// creating the parent directory with mode 0700 if needed; then it loads the
// file as LoadRingFile does. The file is written to a temporary name and
// linked into place, so a crash never leaves a half-written key file and two
// processes starting at once end up sharing one key rather than each
// overwriting the other's.
func LoadOrCreateRingFile(path string) (*Ring, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		if err := createRingFile(path); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, fmt.Errorf("vault: stat key file: %w", err)
	}
	return LoadRingFile(path)
}

func createRingFile(path string) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("vault: create key directory: %w", err)
	}
	line, err := GenerateKeyLine(1)
	if err != nil {
		return err
	}
	content := "# Pixel Pals vault key ring, generated for the embedded development setup.\n" +
		"# Keep this file private (mode 0600) and back it up apart from the database:\n" +
		"# without it the stored game passwords cannot be decrypted.\n" +
		line + "\n"

	tmp, err := os.CreateTemp(dir, ".vault-keys-*.tmp") // created with mode 0600
	if err != nil {
		return fmt.Errorf("vault: create key file: %w", err)
	}
	tmpName := tmp.Name()
	defer func() {
		// After a successful link the temp name is just a second link; drop it.
		if rmErr := os.Remove(tmpName); rmErr != nil && !errors.Is(rmErr, fs.ErrNotExist) && err == nil {
			err = fmt.Errorf("vault: remove temporary key file: %w", rmErr)
		}
	}()
	if err := writeAndSync(tmp, content); err != nil {
		return fmt.Errorf("vault: write key file: %w", err)
	}

	// os.Link fails if path exists, unlike os.Rename, which would replace a
	// key another process created (and may already have sealed with) meanwhile.
	if err := os.Link(tmpName, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil // someone else won the race; load theirs
		}
		// Some filesystems lack hard links; fall back to an atomic rename.
		if err := os.Rename(tmpName, path); err != nil {
			return fmt.Errorf("vault: install key file: %w", err)
		}
	}
	syncDir(dir)
	return nil
}

func writeAndSync(f *os.File, content string) error {
	if err := f.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		f.Close()
		return err
	}
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncDir makes the new directory entry durable. It is best effort: some
// platforms cannot fsync a directory, and the file itself is already synced.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}

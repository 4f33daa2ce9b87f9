package media

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pixelpals/internal/media/mediatest"
)

func fill(t *testing.T, s *Spool, data []byte, chunk int) {
	t.Helper()
	for i := 0; i < len(data); i += chunk {
		if n, err := s.Write(data[i:min(i+chunk, len(data))]); err != nil || n != min(chunk, len(data)-i) {
			t.Fatalf("write at %d: %d, %v", i, n, err)
		}
	}
}

// TestSpoolKeepsSmallUploadsInMemory: up to SpoolMemory, no file is made.
func TestSpoolKeepsSmallUploadsInMemory(t *testing.T) {
	dir := t.TempDir()
	s := NewSpool(dir)
	defer s.Close()
	data := bytes.Repeat([]byte("pixel"), SpoolMemory/5)
	fill(t, s, data, 4096)
	got, err := s.Bytes()
	if err != nil || !bytes.Equal(got, data) || s.OnDisk() || s.Size() != int64(len(data)) {
		t.Fatalf("%d bytes back (%v), on disk %v, size %d", len(got), err, s.OnDisk(), s.Size())
	}
	if open := mediatest.OpenFilesUnder(t, dir); len(open) != 0 {
		t.Fatalf("files open: %v", open)
	}
}

// TestSpoolMovesToAnUnlinkedFile: past SpoolMemory the bytes go to a file
// no one can see in the directory, closed by Close.
func TestSpoolMovesToAnUnlinkedFile(t *testing.T) {
	dir := t.TempDir()
	s := NewSpool(dir)
	data := bytes.Repeat([]byte("0123456789abcdef"), SpoolMemory/16*3+1)
	fill(t, s, data, 32<<10)
	if !s.OnDisk() {
		t.Fatal("3 × SpoolMemory stayed in memory")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("the spool file has a name: %v", entries)
	}
	if open := mediatest.OpenFilesUnder(t, dir); len(open) != 1 || !strings.HasSuffix(open[0], "(deleted)") {
		t.Errorf("open files while spooling: %v", open)
	}
	got, err := s.Bytes()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("%d of %d bytes back: %v", len(got), len(data), err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("a second Close: %v", err)
	}
	if open := mediatest.OpenFilesUnder(t, dir); len(open) != 0 {
		t.Errorf("open after Close: %v", open)
	}
}

// TestSpoolFailureIsOurs: a spool that cannot make its file says so with
// ErrSpool, which the API answers as its own fault, not the upload's.
func TestSpoolFailureIsOurs(t *testing.T) {
	s := NewSpool(filepath.Join(t.TempDir(), "missing"))
	defer s.Close()
	_, err := s.Write(make([]byte, SpoolMemory+1))
	if !errors.Is(err, ErrSpool) {
		t.Fatalf("writing past memory into a missing directory: %v", err)
	}
}

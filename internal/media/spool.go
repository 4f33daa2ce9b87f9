package media

import (
	"errors"
	"fmt"
	"os"
)

// SpoolMemory is how much of an upload a Spool keeps in memory; the rest
// goes to a temporary file.
const SpoolMemory = 64 << 10

// ErrSpool marks a failure to write a spool: the server's disk, never the
// upload's fault.
var ErrSpool = errors.New("spool upload")

// Spool holds an upload while it waits for a decode slot: up to
// SpoolMemory in memory, the rest in a temporary file that is unlinked as
// soon as it is made. Uploads that have arrived but wait their turn so cost
// little memory each, and a crashed process leaves no file behind (the
// kernel frees an unlinked file with its last descriptor). A Spool is for
// one goroutine; Close it on every path.
type Spool struct {
	dir  string
	mem  []byte
	file *os.File
	// name is set only where an open file cannot be unlinked (not Linux):
	// Close removes it then.
	name string
	size int64
}

// NewSpool returns an empty spool whose file, if it needs one, is made in
// dir ("" means os.TempDir()).
func NewSpool(dir string) *Spool { return &Spool{dir: dir} }

// Write appends p, moving to a file once the spool outgrows SpoolMemory.
func (s *Spool) Write(p []byte) (int, error) {
	if s.file == nil && int64(len(s.mem))+int64(len(p)) <= SpoolMemory {
		s.mem = append(s.mem, p...)
		s.size += int64(len(p))
		return len(p), nil
	}
	if s.file == nil {
		if err := s.toFile(); err != nil {
			return 0, err
		}
	}
	n, err := s.file.Write(p)
	s.size += int64(n)
	if err != nil {
		return n, fmt.Errorf("%w: %w", ErrSpool, err)
	}
	return n, nil
}

// toFile moves what is in memory to a new, unlinked temporary file.
func (s *Spool) toFile() error {
	f, err := os.CreateTemp(s.dir, "pixelpals-upload-*")
	if err != nil {
		return fmt.Errorf("%w: %w", ErrSpool, err)
	}
	if err := os.Remove(f.Name()); err != nil {
		s.name = f.Name()
	}
	s.file = f
	if _, err := f.Write(s.mem); err != nil {
		return fmt.Errorf("%w: %w", ErrSpool, err)
	}
	s.mem = nil
	return nil
}

// Size is how many bytes were written.
func (s *Spool) Size() int64 { return s.size }

// OnDisk tells whether the spool moved to a file.
func (s *Spool) OnDisk() bool { return s.file != nil }

// Bytes returns everything written, read back into memory: call it only
// once the upload may take the memory (with a decode slot).
func (s *Spool) Bytes() ([]byte, error) {
	if s.file == nil {
		return s.mem, nil
	}
	data := make([]byte, s.size)
	// ReadAt reports why whenever it reads less than asked.
	if n, err := s.file.ReadAt(data, 0); n != len(data) {
		return nil, fmt.Errorf("read spooled upload: %w", err)
	}
	return data, nil
}

// Close frees the memory and the file. It may be called more than once.
func (s *Spool) Close() error {
	s.mem = nil
	if s.file == nil {
		return nil
	}
	err := s.file.Close()
	s.file = nil
	if s.name != "" {
		err = errors.Join(err, os.Remove(s.name))
		s.name = ""
	}
	if err != nil {
		return fmt.Errorf("close spooled upload: %w", err)
	}
	return nil
}

// Package media checks and cleans uploaded images and voice clips (SPEC
// §6): it recognises the format from the bytes alone, refuses anything
// else, re-encodes images with their EXIF orientation applied and every
// metadata block dropped, strips or refuses audio metadata, and draws the
// pixel-art default avatars. It knows nothing of HTTP or the database.
package media

import (
	"context"
	"runtime"
	"sync/atomic"
	"time"

	"pixelpals/internal/domain"
)

// Kinds of media, as messages.type names them.
const (
	KindImage = "image"
	KindAudio = "audio"
)

// Limits bound what an upload may be and cost.
type Limits struct {
	MaxImageBytes int64 // of the uploaded file
	MaxAudioBytes int64
	// MaxPixels bounds width × height, read from the header before any
	// decoding: a decompression bomb costs a header read.
	MaxPixels int64
	// MaxSide bounds each of width and height.
	MaxSide int
	// MaxDuration bounds a clip whose container states its length.
	MaxDuration time.Duration
	// MaxConcurrent bounds the decodes and re-encodes running at once,
	// and with MaxPixels the memory they take; below 1 means GOMAXPROCS.
	MaxConcurrent int
}

// DefaultLimits are SPEC §6's defaults: 10 MiB per file. 24 megapixels
// hold any phone photo of today at full size (a 4:3 6000 × 4000 frame);
// a 16-bit PNG counts each pixel twice (decodedWeight), so at most 12
// megapixels of it. Measured (BenchmarkProcessPeakHeap, peak heap of one
// upload, stored at MaxPhotoSide with its thumbnail): a 12-megapixel
// JPEG 5 MiB (decoded at half size, halfJPEG), a 24-megapixel JPEG
// turned by its EXIF orientation 43 MiB, a 12-megapixel 16-bit PNG
// 112 MiB; with one decode per core, two cores hold under 250 MiB of
// uploads being cleaned.
var DefaultLimits = Limits{
	MaxImageBytes: 10 << 20,
	MaxAudioBytes: 10 << 20,
	MaxPixels:     24_000_000,
	MaxSide:       12_000,
	MaxDuration:   10 * time.Minute,
}

// MaxBytes is the larger of the two size limits: what an upload may be
// before its kind is known.
func (l Limits) MaxBytes() int64 { return max(l.MaxImageBytes, l.MaxAudioBytes) }

// Result is a cleaned upload, ready to store.
type Result struct {
	Kind        string
	ContentType string // of Data, which may differ from the upload's (GIF → PNG)
	Data        []byte
	Width       int // images only
	Height      int
	// Thumb is an image's small copy; nil when the image is no larger
	// (and for audio).
	Thumb    *Thumbnail
	Duration time.Duration // audio, when the container states it
}

// Processor cleans uploads within its limits. It is safe for concurrent
// use.
type Processor struct {
	limits  Limits
	sem     chan struct{} // one slot per decode allowed to run at once
	waiting atomic.Int64  // callers waiting for a slot
}

// NewProcessor returns a Processor with limits l.
func NewProcessor(l Limits) *Processor {
	n := l.MaxConcurrent
	if n < 1 {
		n = runtime.GOMAXPROCS(0)
	}
	return &Processor{limits: l, sem: make(chan struct{}, n)}
}

// Limits returns the processor's limits.
func (p *Processor) Limits() Limits { return p.limits }

// Process recognises data by its bytes and returns it cleaned, or a
// domain error: unsupported_media_type (415) for a format outside SPEC
// §6, too_large (413) past a limit, invalid (400) for a file that does not
// decode as what it claims to be.
func (p *Processor) Process(ctx context.Context, data []byte) (Result, error) {
	f, err := p.check(data)
	if err != nil {
		return Result{}, err
	}
	if err := p.acquire(ctx); err != nil {
		return Result{}, err
	}
	defer func() { <-p.sem }()
	return p.clean(data, f)
}

// ProcessFrom is Process on the bytes read returns, called once a decode
// slot is ours: an upload waiting for its turn is kept small (a Spool that
// read loads into memory), so memory holds at most one whole upload per
// slot. read must not wait on the client: a slot is held while it runs. An
// error from read is returned as it is; a caller whose ctx ends while it
// waits for a slot gets ctx's error and never takes one.
func (p *Processor) ProcessFrom(ctx context.Context, read func() ([]byte, error)) (Result, error) {
	if err := p.acquire(ctx); err != nil {
		return Result{}, err
	}
	defer func() { <-p.sem }()
	data, err := read()
	if err != nil {
		return Result{}, err
	}
	f, err := p.check(data)
	if err != nil {
		return Result{}, err
	}
	return p.clean(data, f)
}

// check recognises data and checks its size against its kind's limit.
func (p *Processor) check(data []byte) (Format, error) {
	f, ok := Sniff(data)
	if !ok {
		return f, unsupported()
	}
	limit := p.limits.MaxImageBytes
	if f.Kind == KindAudio {
		limit = p.limits.MaxAudioBytes
	}
	if int64(len(data)) > limit {
		return f, domain.Errorf(domain.CodeTooLarge, "%s files may be at most %d bytes", f.Kind, limit)
	}
	return f, nil
}

func (p *Processor) clean(data []byte, f Format) (Result, error) {
	if f.Kind == KindImage {
		return p.image(data, f)
	}
	return p.audio(data, f)
}

// Waiting is how many callers wait for a decode slot now.
func (p *Processor) Waiting() int { return int(p.waiting.Load()) }

func (p *Processor) acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p.waiting.Add(1)
	defer p.waiting.Add(-1)
	select {
	case p.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func unsupported() error {
	return domain.Errorf(domain.CodeUnsupportedMedia,
		"only PNG, JPEG, GIF and WebP images and WebM/Opus, Ogg, MP3, M4A and WAV audio are accepted, recognised from the file's content")
}

// broken is the error for a file that starts like format f but is not one.
func broken(f Format, why string) error {
	return domain.Invalid("file", "not a valid %s file (%s)", f.Name, why)
}

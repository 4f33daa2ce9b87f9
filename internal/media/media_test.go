package media

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"pixelpals/internal/domain"
	"pixelpals/internal/media/mediatest"
)

func process(t *testing.T, data []byte) (Result, error) {
	t.Helper()
	return NewProcessor(DefaultLimits).Process(context.Background(), data)
}

func mustProcess(t *testing.T, data []byte) Result {
	t.Helper()
	r, err := process(t, data)
	if err != nil {
		t.Fatalf("process: %v", err)
	}
	if bytes.Contains(r.Data, []byte(mediatest.Secret)) {
		t.Fatalf("the cleaned %s still holds the secret", r.ContentType)
	}
	return r
}

// jpegMarkers lists a JPEG's markers up to the scan and checks that the
// file ends exactly at its end-of-image marker.
func jpegMarkers(t *testing.T, b []byte) []byte {
	t.Helper()
	var markers []byte
	i := 2
	for i+4 <= len(b) {
		m := b[i+1]
		markers = append(markers, m)
		if m == 0xDA {
			break
		}
		i += 2 + int(binary.BigEndian.Uint16(b[i+2:]))
	}
	if !bytes.HasSuffix(b, []byte{0xFF, 0xD9}) || bytes.Count(b, []byte{0xFF, 0xD9}) < 1 {
		t.Fatalf("the JPEG does not end at its end-of-image marker")
	}
	return markers
}

func pngChunkTypes(t *testing.T, b []byte) []string {
	t.Helper()
	var types []string
	for i := 8; i+8 <= len(b); {
		n := int(binary.BigEndian.Uint32(b[i:]))
		types = append(types, string(b[i+4:i+8]))
		i += 12 + n
		if string(b[i-n-8:i-n-4]) == "IEND" && i != len(b) {
			t.Fatalf("%d bytes after IEND", len(b)-i)
		}
	}
	return types
}

func redAt(img image.Image, x, y int) bool {
	r, g, b, _ := img.At(x, y).RGBA()
	return r > 0xC000 && g < 0x4000 && b < 0x4000
}

func TestJPEGLosesEXIFAndGPSAndTurnsUpright(t *testing.T) {
	// Orientation 6: the camera was turned; the picture must be turned a
	// quarter clockwise, so the red top-left quarter ends top-right.
	r := mustProcess(t, mediatest.JPEGWithGPS(64, 32, 6))
	if r.ContentType != "image/jpeg" || r.Width != 32 || r.Height != 64 {
		t.Fatalf("got %s %d×%d, want image/jpeg 32×64", r.ContentType, r.Width, r.Height)
	}
	for _, m := range jpegMarkers(t, r.Data) {
		if m >= 0xE0 && m <= 0xEF || m == 0xFE {
			t.Errorf("marker %#x (APPn or comment) survived", m)
		}
	}
	for _, s := range []string{"Exif", "http://ns.adobe.com", "GPS"} {
		if bytes.Contains(r.Data, []byte(s)) {
			t.Errorf("%q survived", s)
		}
	}
	img, err := jpeg.Decode(bytes.NewReader(r.Data))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 32 || b.Dy() != 64 {
		t.Fatalf("decodes as %v", b)
	}
	if !redAt(img, 24, 8) || redAt(img, 8, 8) || redAt(img, 24, 56) {
		t.Errorf("not turned a quarter clockwise")
	}
}

func TestOrientations(t *testing.T) {
	// Where the red quarter of a 40 × 20 picture must end up, per orientation.
	for o, want := range map[uint16]image.Point{1: {5, 5}, 2: {35, 5}, 3: {35, 15}, 4: {5, 15}, 5: {5, 5}, 6: {15, 5}, 7: {15, 35}, 8: {5, 35}} {
		r := mustProcess(t, mediatest.JPEGWithGPS(40, 20, o))
		img, _ := jpeg.Decode(bytes.NewReader(r.Data))
		if !redAt(img, want.X, want.Y) {
			t.Errorf("orientation %d: no red at %v in %v", o, want, img.Bounds())
		}
	}
}

func TestPNGLosesTextChunks(t *testing.T) {
	r := mustProcess(t, mediatest.PNGWithText(30, 20, 8))
	if r.ContentType != "image/png" || r.Width != 20 || r.Height != 30 {
		t.Fatalf("got %s %d×%d, want image/png 20×30 (turned anticlockwise)", r.ContentType, r.Width, r.Height)
	}
	for _, c := range pngChunkTypes(t, r.Data) {
		switch c {
		case "IHDR", "PLTE", "tRNS", "IDAT", "IEND":
		default:
			t.Errorf("chunk %s survived", c)
		}
	}
	img, err := png.Decode(bytes.NewReader(r.Data))
	if err != nil {
		t.Fatal(err)
	}
	if !redAt(img, 5, 25) || redAt(img, 5, 5) {
		t.Errorf("not turned a quarter anticlockwise")
	}
}

func TestPolyglotLosesTrailingBytes(t *testing.T) {
	r := mustProcess(t, mediatest.Polyglot(16, 16))
	jpegMarkers(t, r.Data)
	if bytes.Contains(r.Data, []byte("<script")) || bytes.Contains(r.Data, []byte("PK\x03\x04")) {
		t.Fatal("the appended document survived")
	}
}

func TestAnimatedGIFKeepsFirstFrame(t *testing.T) {
	r := mustProcess(t, mediatest.AnimatedGIF(12, 8))
	if r.ContentType != "image/png" || r.Width != 12 || r.Height != 8 {
		t.Fatalf("got %s %d×%d", r.ContentType, r.Width, r.Height)
	}
	img, err := png.Decode(bytes.NewReader(r.Data))
	if err != nil {
		t.Fatal(err)
	}
	if !redAt(img, 3, 3) {
		t.Error("not the first (red) frame")
	}
	if _, err := gif.Decode(bytes.NewReader(r.Data)); err == nil {
		t.Error("still a GIF")
	}
}

func TestWebPBecomesPNG(t *testing.T) {
	for _, name := range []string{"still.webp", "animated.webp"} {
		data, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		r := mustProcess(t, data)
		if r.ContentType != "image/png" || r.Width != 24 || r.Height != 16 {
			t.Fatalf("%s: got %s %d×%d, want image/png 24×16", name, r.ContentType, r.Width, r.Height)
		}
		img, err := png.Decode(bytes.NewReader(r.Data))
		if err != nil {
			t.Fatal(err)
		}
		if !redAt(img, 12, 8) {
			t.Errorf("%s: not the first (red) frame: %v", name, img.At(12, 8))
		}
	}
}

// TestSixteenBitCountsDouble: a 16-bit PNG decodes to 8 bytes a pixel,
// so it spends the pixel budget twice as fast as an 8-bit one.
func TestSixteenBitCountsDouble(t *testing.T) {
	l := DefaultLimits
	l.MaxPixels = 10_000
	p := NewProcessor(l)
	eight := image.NewRGBA(image.Rect(0, 0, 100, 80)) // 8,000 pixels
	sixteen := image.NewRGBA64(eight.Rect)
	for i := range eight.Pix {
		eight.Pix[i] = 0xFF
	}
	for i := range sixteen.Pix {
		sixteen.Pix[i] = 0xFF
	}
	if _, err := p.Process(context.Background(), mediatest.PNG(eight)); err != nil {
		t.Fatalf("8-bit: %v", err)
	}
	if _, err := p.Process(context.Background(), mediatest.PNG(sixteen)); domain.ErrorCode(err) != domain.CodeTooLarge {
		t.Fatalf("16-bit: got %v, want too_large", err)
	}
	if _, err := p.Process(context.Background(), mediatest.PNG(sixteen.SubImage(image.Rect(0, 0, 100, 50)))); err != nil {
		t.Fatalf("16-bit within the budget: %v", err)
	}
}

func TestBombRefusedFromTheHeader(t *testing.T) {
	bomb := mediatest.BombPNG(50_000)
	if len(bomb) > 8<<10 {
		t.Fatalf("the bomb is %d bytes", len(bomb))
	}
	p := NewProcessor(DefaultLimits)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := p.Process(context.Background(), bomb)
	runtime.ReadMemStats(&after)
	if domain.ErrorCode(err) != domain.CodeTooLarge {
		t.Fatalf("got %v, want too_large", err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Errorf("refusing the bomb allocated %d bytes", alloc)
	}
}

func TestRefused(t *testing.T) {
	jpg := mediatest.JPEG(mediatest.Quadrants(64, 64))
	cases := []struct {
		name string
		data []byte
		code string
	}{
		{"text named .mp3", []byte("just some words, not a song at all\n"), domain.CodeUnsupportedMedia},
		{"HTML", []byte("<!doctype html><html><script>alert(1)</script></html>"), domain.CodeUnsupportedMedia},
		{"SVG", []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), domain.CodeUnsupportedMedia},
		{"truncated JPEG", jpg[:len(jpg)/2], domain.CodeInvalid},
		{"PNG signature only", []byte("\x89PNG\r\n\x1a\n"), domain.CodeInvalid},
		{"RIFF WAVE without chunks", []byte("RIFF\x04\x00\x00\x00WAVE"), domain.CodeInvalid},
		{"RIFF WAVE of size 0", []byte("RIFF\x00\x00\x00\x00WAVE"), domain.CodeInvalid},
		{"RIFF WebP of size 0", []byte("RIFF\x00\x00\x00\x00WEBP"), domain.CodeInvalid},
		{"RIFF WAVE of size 2", []byte("RIFF\x02\x00\x00\x00WAVEfmt "), domain.CodeInvalid},
		{"Ogg signature only", []byte("OggS\x00\x02"), domain.CodeInvalid},
		{"MP3 sync and noise", []byte("\xFF\xFB\x90\x00 a text that follows"), domain.CodeInvalid},
		{"ftyp of a video", append([]byte("\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  "), make([]byte, 8)...), domain.CodeUnsupportedMedia},
		{"truncated WebM", mediatest.WebM(3)[:40], domain.CodeInvalid},
	}
	for _, c := range cases {
		_, err := process(t, c.data)
		if got := domain.ErrorCode(err); got != c.code {
			t.Errorf("%s: got %q (%v), want %s", c.name, got, err, c.code)
		}
	}
}

func TestSizeLimits(t *testing.T) {
	l := DefaultLimits
	l.MaxImageBytes, l.MaxAudioBytes = 1000, 5000
	p := NewProcessor(l)
	if _, err := p.Process(context.Background(), mediatest.JPEG(mediatest.Quadrants(200, 200))); domain.ErrorCode(err) != domain.CodeTooLarge {
		t.Errorf("big image: %v", err)
	}
	if _, err := p.Process(context.Background(), mediatest.MP3(20)); domain.ErrorCode(err) != domain.CodeTooLarge {
		t.Errorf("big clip: %v", err)
	}
	l = DefaultLimits
	l.MaxDuration = time.Second
	if _, err := NewProcessor(l).Process(context.Background(), mediatest.WAV(2)); domain.ErrorCode(err) != domain.CodeTooLarge {
		t.Errorf("long clip: %v", err)
	}
}

func TestMP3LosesID3(t *testing.T) {
	r := mustProcess(t, mediatest.MP3(20))
	if len(r.Data) != mediatest.MP3Frames(20) || bytes.Contains(r.Data, []byte("ID3")) || bytes.Contains(r.Data, []byte("TAG")) {
		t.Fatalf("%d bytes, want the %d of the frames alone", len(r.Data), mediatest.MP3Frames(20))
	}
	if want := 20 * 1152 * time.Second / 44100; r.Duration != want || r.ContentType != "audio/mpeg" {
		t.Errorf("%s %v, want audio/mpeg %v", r.ContentType, r.Duration, want)
	}
}

func TestWAVLosesListChunks(t *testing.T) {
	r := mustProcess(t, mediatest.WAV(2))
	var ids []string
	for _, c := range riffChunks(r.Data) {
		ids = append(ids, c.id)
	}
	if strings.Join(ids, ",") != "fmt ,data" || r.Duration != 2*time.Second {
		t.Fatalf("chunks %v, duration %v", ids, r.Duration)
	}
}

func TestOggLosesComments(t *testing.T) {
	in := mediatest.OggOpus(3)
	r := mustProcess(t, in)
	pages, err := oggPages(r.Data)
	if err != nil || len(pages) != 3 || pages[2].end != len(r.Data) {
		t.Fatalf("cleaned stream: %d pages, %v", len(pages), err)
	}
	if r.Duration != 3*time.Second || bytes.Contains(r.Data, []byte("libopus")) || bytes.Contains(r.Data, []byte("<script")) {
		t.Fatalf("duration %v or the vendor, or trailing bytes, survived", r.Duration)
	}
}

func TestWebMLosesTagsAndTitle(t *testing.T) {
	in := mediatest.WebM(4)
	r := mustProcess(t, in)
	if len(r.Data) != len(in) || r.Duration != 4*time.Second {
		t.Fatalf("%d bytes (in %d), duration %v", len(r.Data), len(in), r.Duration)
	}
	if _, _, err := cleanWebM(r.Data); err != nil {
		t.Fatalf("the cleaned file does not parse: %v", err)
	}
	if !bytes.Contains(r.Data, []byte("A_OPUS")) {
		t.Fatal("playback data was lost")
	}
	if bytes.Contains(r.Data, []byte("Chrome")) {
		t.Fatal("the muxing application survived")
	}
}

// ebmlOf is an EBML element with an 8-byte size.
func ebmlOf(id uint32, payload ...[]byte) []byte {
	var out []byte
	for shift := 24; shift >= 0; shift -= 8 {
		if b := byte(id >> shift); b != 0 || len(out) > 0 {
			out = append(out, b)
		}
	}
	body := bytes.Join(payload, nil)
	out = binary.BigEndian.AppendUint64(out, uint64(len(body)))
	out[len(out)-8] = 0x01
	return append(out, body...)
}

// TestWebMKeepsOnlyPlaybackElements: Void padding, the writing and muxing
// applications and Segment or Cluster children a player does not need
// are voided whatever they hold; the clip still plays and parses.
func TestWebMKeepsOnlyPlaybackElements(t *testing.T) {
	header := ebmlOf(0x1A45DFA3, ebmlOf(0x4286, []byte{1}), ebmlOf(0x4282, []byte("webm")))
	info := ebmlOf(0x1549A966, ebmlOf(0x2AD7B1, []byte{0x0F, 0x42, 0x40}),
		ebmlOf(0x5741, []byte("WRITINGAPP "+mediatest.Secret)), ebmlOf(0x4D80, []byte("MUXINGAPP "+mediatest.Secret)),
		ebmlOf(0xEC, []byte("VOID-IN-INFO "+mediatest.Secret)))
	tracks := ebmlOf(0x1654AE6B, ebmlOf(0xAE, ebmlOf(0xD7, []byte{1}), ebmlOf(0x83, []byte{2}), ebmlOf(0x86, []byte("A_OPUS"))))
	void := ebmlOf(0xEC, []byte("VOID-old TITLE: Emma at 12 Elm St "+mediatest.Secret))
	unknown := ebmlOf(0x1F43B676, []byte("UNKNOWN-TOPLEVEL GPS 51.5N "+mediatest.Secret))
	block := ebmlOf(0xA3, []byte{0x81, 0, 0, 0x80, 0xF8, 0xFF, 0xFE})
	cluster := ebmlOf(0x1F43B675, ebmlOf(0xE7, []byte{0}), block, ebmlOf(0xEC, []byte("VOID-IN-CLUSTER "+mediatest.Secret)),
		ebmlOf(0x6E67, []byte("UNKNOWN-IN-CLUSTER "+mediatest.Secret)))
	in := append(header, ebmlOf(0x18538067, info, tracks, void, unknown, cluster)...)
	r := mustProcess(t, in)
	for _, s := range []string{"WRITINGAPP", "MUXINGAPP", "VOID-", "UNKNOWN-"} {
		if bytes.Contains(r.Data, []byte(s)) {
			t.Errorf("%q survived", s)
		}
	}
	if len(r.Data) != len(in) || !bytes.Contains(r.Data, []byte("A_OPUS")) || !bytes.Contains(r.Data, block) {
		t.Fatalf("%d bytes (in %d), or the track or the block was lost", len(r.Data), len(in))
	}
	if _, _, err := cleanWebM(r.Data); err != nil {
		t.Fatalf("the cleaned file does not parse: %v", err)
	}
}

// TestWebMLosesLinkingIDs: the ids and file names a recording tool sets
// that tie one file to another (SegmentUID, a random 128-bit id; the
// previous and next segments'; SegmentFamily; SegmentFilename), CRC-32s,
// and anything in the EBML header beyond the version and DocType fields
// are voided; the mandatory TrackUID becomes 1. The clip keeps its
// length, DocType and playback data, and still parses.
func TestWebMLosesLinkingIDs(t *testing.T) {
	uid := func(tag string) []byte { return []byte(tag + "-0123456789")[:16] }
	header := ebmlOf(0x1A45DFA3, ebmlOf(0x4286, []byte{1}), ebmlOf(0x42F7, []byte{1}), ebmlOf(0x4282, []byte("webm")),
		ebmlOf(0x4287, []byte{4}), ebmlOf(0x4285, []byte{2}), ebmlOf(0xEC, []byte("HDRVOID "+mediatest.Secret)),
		ebmlOf(0x4281, ebmlOf(0x4283, []byte("HDREXT "+mediatest.Secret))), ebmlOf(0xBF, []byte("HCRC")))
	info := ebmlOf(0x1549A966, ebmlOf(0xBF, []byte("ICRC")), ebmlOf(0x2AD7B1, []byte{0x0F, 0x42, 0x40}),
		ebmlOf(0x73A4, uid("SEGUID")), ebmlOf(0x7384, []byte("FILENAME emma-bedroom.webm")),
		ebmlOf(0x3CB923, uid("PREVUID")), ebmlOf(0x3C83AB, []byte("PREVNAME a.webm")),
		ebmlOf(0x3EB923, uid("NEXTUID")), ebmlOf(0x3E83BB, []byte("NEXTNAME c.webm")),
		ebmlOf(0x4444, uid("FAMILY")))
	trackUID := []byte("TRKUID-7")
	tracks := ebmlOf(0x1654AE6B, ebmlOf(0xAE, ebmlOf(0xD7, []byte{1}), ebmlOf(0x73C5, trackUID), ebmlOf(0x83, []byte{2}),
		ebmlOf(0x86, []byte("A_OPUS"))))
	block := ebmlOf(0xA3, []byte{0x81, 0, 0, 0x80, 0xF8, 0xFF, 0xFE})
	cluster := ebmlOf(0x1F43B675, ebmlOf(0xE7, []byte{0}), block)
	in := append(header, ebmlOf(0x18538067, info, tracks, cluster)...)
	r := mustProcess(t, in)
	for _, s := range []string{"HDRVOID", "HDREXT", "HCRC", "ICRC", "SEGUID", "FILENAME", "PREVUID", "PREVNAME", "NEXTUID", "NEXTNAME", "FAMILY", "TRKUID"} {
		if bytes.Contains(r.Data, []byte(s)) {
			t.Errorf("%q survived", s)
		}
	}
	if len(r.Data) != len(in) || !bytes.Contains(r.Data, []byte("A_OPUS")) || !bytes.Contains(r.Data, block) {
		t.Fatalf("%d bytes (in %d), or the track or the block was lost", len(r.Data), len(in))
	}
	if want := ebmlOf(0x73C5, []byte{0, 0, 0, 0, 0, 0, 0, 1}); !bytes.Contains(r.Data, want) {
		t.Error("the track UID is not 1")
	}
	for _, kept := range [][]byte{ebmlOf(0x4282, []byte("webm")), ebmlOf(0x4287, []byte{4}), ebmlOf(0x4285, []byte{2})} {
		if !bytes.Contains(r.Data, kept) {
			t.Errorf("header field %x was lost", kept)
		}
	}
	if _, _, err := cleanWebM(r.Data); err != nil {
		t.Fatalf("the cleaned file does not parse: %v", err)
	}
}

func TestM4ALosesAtoms(t *testing.T) {
	in := mediatest.M4A(5)
	r := mustProcess(t, in)
	if len(r.Data) != len(in) || r.Duration != 5*time.Second || bytes.Contains(r.Data, []byte("udta")) || bytes.Contains(r.Data, []byte("\xDE\xAD\xBE\xEF")) {
		t.Fatalf("%d bytes (in %d), duration %v, or atoms or times survived", len(r.Data), len(in), r.Duration)
	}
}

func TestAvatar(t *testing.T) {
	a := Avatar(42)
	if !bytes.Equal(a, Avatar(42)) {
		t.Fatal("not stable")
	}
	if bytes.Equal(a, Avatar(43)) {
		t.Fatal("the same for two users")
	}
	img, err := png.Decode(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != AvatarSize || b.Dy() != AvatarSize {
		t.Fatalf("size %v", b)
	}
	for y := range AvatarSize {
		for x := range AvatarSize {
			if img.At(x, y) != img.At(AvatarSize-1-x, y) {
				t.Fatalf("not symmetric at %d,%d", x, y)
			}
			// Nearest-neighbour: every pixel is its cell's colour.
			if img.At(x, y) != img.At(x/avatarScale*avatarScale, y/avatarScale*avatarScale) {
				t.Fatalf("blurred at %d,%d", x, y)
			}
		}
	}
}

func luminance(c color.RGBA) float64 {
	ch := func(v uint8) float64 {
		s := float64(v) / 255
		if s <= 0.03928 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*ch(c.R) + 0.7152*ch(c.G) + 0.0722*ch(c.B)
}

func TestAvatarPaletteContrast(t *testing.T) {
	for _, bg := range avatarBackgrounds {
		for _, ink := range avatarInks {
			if ratio := (luminance(bg) + 0.05) / (luminance(ink) + 0.05); ratio < 4.5 {
				t.Errorf("ink %v on %v: contrast %.2f, want at least 4.5", ink, bg, ratio)
			}
		}
	}
}

func m4aBox(typ string, body ...[]byte) []byte {
	b := bytes.Join(body, nil)
	out := binary.BigEndian.AppendUint32(nil, uint32(8+len(b)))
	return append(append(out, typ...), b...)
}

// m4aWith is an M4A file whose moov holds a movie header and traks,
// followed by the top-level boxes top and an mdat.
func m4aWith(traks [][]byte, top ...[]byte) []byte {
	mvhd := m4aBox("mvhd", make([]byte, 100))
	moov := m4aBox("moov", append([][]byte{mvhd}, traks...)...)
	parts := [][]byte{m4aBox("ftyp", []byte("M4A \x00\x00\x00\x00M4A isom")), moov}
	parts = append(parts, top...)
	return bytes.Join(append(parts, m4aBox("mdat", make([]byte, 32))), nil)
}

// m4aTrak is a track with handler type handler, a handler name holding
// the secret, and extra boxes.
func m4aTrak(handler string, extra ...[]byte) []byte {
	hdlr := m4aBox("hdlr", make([]byte, 8), []byte(handler), make([]byte, 12), []byte("HandlerName-"+mediatest.Secret+"\x00"))
	return m4aBox("trak", append(extra, m4aBox("mdia", hdlr))...)
}

// TestM4AKeepsOnlyPlaybackBoxes: padding, unknown boxes and handler names
// are zeroed whatever they hold; tracks other than sound, and chapter or
// track references, are refused.
func TestM4AKeepsOnlyPlaybackBoxes(t *testing.T) {
	in := m4aWith([][]byte{m4aTrak("soun")},
		m4aBox("free", []byte("old tag: Emma Smith, 12 Elm St "+mediatest.Secret)),
		m4aBox("skip", []byte(mediatest.Secret)),
		m4aBox("Xtra", []byte("GPS 51.5N 0.12W "+mediatest.Secret)))
	r := mustProcess(t, in)
	for _, s := range []string{"Emma", "GPS", "HandlerName", "Xtra", "skip"} {
		if bytes.Contains(r.Data, []byte(s)) {
			t.Errorf("%q survived", s)
		}
	}
	if len(r.Data) != len(in) || !bytes.Contains(r.Data, []byte("soun")) || !bytes.Contains(r.Data, []byte("mdat")) {
		t.Errorf("%d bytes (in %d), or the playback boxes were lost", len(r.Data), len(in))
	}
	for name, data := range map[string][]byte{
		"a text track":              m4aWith([][]byte{m4aTrak("soun"), m4aTrak("text")}),
		"a video track":             m4aWith([][]byte{m4aTrak("vide")}),
		"a track references":        m4aWith([][]byte{m4aTrak("soun", m4aBox("tref", m4aBox("chap", make([]byte, 4))))}),
		"a track without a handler": m4aWith([][]byte{m4aBox("trak", m4aBox("tkhd", make([]byte, 84)))}),
	} {
		if _, err := process(t, data); domain.ErrorCode(err) != domain.CodeUnsupportedMedia {
			t.Errorf("%s: %v, want unsupported", name, err)
		}
	}
}

// TestOrientMovesEveryPixel checks each orientation pixel by pixel, on a
// source whose bounds do not start at the origin.
func TestOrientMovesEveryPixel(t *testing.T) {
	const w, h = 5, 3
	full := image.NewRGBA(image.Rect(0, 0, w+2, h+1))
	for i := range full.Pix {
		full.Pix[i] = byte(i)
	}
	for i := 3; i < len(full.Pix); i += 4 {
		full.Pix[i] = 255 // opaque, so that values pass unchanged
	}
	src := full.SubImage(image.Rect(2, 1, w+2, h+1)).(*image.RGBA)
	for o := 2; o <= 8; o++ {
		dst := orient(src, o).(*image.RGBA)
		for y := range dst.Rect.Dy() {
			for x := range dst.Rect.Dx() {
				sx, sy := orientedFrom(o, x, y, w, h)
				if got, want := dst.RGBAAt(x, y), src.RGBAAt(2+sx, 1+sy); got != want {
					t.Fatalf("orientation %d: (%d,%d) is %v, want %v from (%d,%d)", o, x, y, got, want, sx, sy)
				}
			}
		}
	}
}

// TestOrientMakesOneCopy: turning a decoded photo allocates its upright
// copy (its YCbCr planes, 1.5 bytes a pixel, since orientYCbCr) and
// nothing of the same order besides: at most one RGBA picture's worth.
func TestOrientMakesOneCopy(t *testing.T) {
	const w, h = 1000, 800
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	out := orient(img, 6)
	runtime.ReadMemStats(&after)
	if b := out.Bounds(); b.Dx() != h || b.Dy() != w {
		t.Fatalf("turned to %v", b)
	}
	if got, one := after.TotalAlloc-before.TotalAlloc, uint64(w*h*4); got > one+one/4 {
		t.Fatalf("orient allocated %d bytes; one RGBA copy is %d", got, one)
	}
}

// TestProcessFromReadsInsideTheSlot: an upload waiting for a decode slot
// has not been read, so it holds no memory.
func TestProcessFromReadsInsideTheSlot(t *testing.T) {
	l := DefaultLimits
	l.MaxConcurrent = 1
	p := NewProcessor(l)
	photo := mediatest.JPEGWithGPS(16, 8, 1)
	secondRead := false
	r, err := p.ProcessFrom(context.Background(), func() ([]byte, error) {
		// The only slot is ours: another upload waits without being read.
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		_, err := p.ProcessFrom(ctx, func() ([]byte, error) { secondRead = true; return photo, nil })
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("the waiting upload: %v", err)
		}
		return photo, nil
	})
	if err != nil || r.ContentType != "image/jpeg" || secondRead {
		t.Fatalf("%v %s, second read %v", err, r.ContentType, secondRead)
	}
	if _, err := p.ProcessFrom(context.Background(), func() ([]byte, error) { return nil, domain.Invalid("file", "x") }); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Fatalf("a read error: %v", err)
	}
	// Every path gave its slot back and left the queue.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := p.ProcessFrom(ctx, func() ([]byte, error) { return photo, nil }); err != nil || p.Waiting() != 0 {
		t.Fatalf("after a wait given up and a read error: %v, %d waiting", err, p.Waiting())
	}
}

// orientedFrom is where pixel (x, y) of a picture turned upright from EXIF
// orientation o (2 to 8) comes from in the stored w × h picture: the
// tests' own statement of the EXIF table, written apart from orient's.
func orientedFrom(o, x, y, w, h int) (sx, sy int) {
	from := map[int][2]int{
		2: {w - 1 - x, y}, 3: {w - 1 - x, h - 1 - y}, 4: {x, h - 1 - y}, 5: {y, x},
		6: {y, h - 1 - x}, 7: {w - 1 - y, h - 1 - x}, 8: {w - 1 - y, x},
	}[o]
	return from[0], from[1]
}

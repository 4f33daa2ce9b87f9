// Package mediatest builds the files media tests upload: real images and
// clips carrying the metadata (EXIF with GPS, text chunks, ID3 tags,
// Vorbis comments, iTunes atoms) and trailing bytes that the service must
// remove, each with a marker string that must not survive; and lists the
// files an upload left open.
package mediatest

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
)

// Secret is written into every metadata block; no cleaned file may hold it.
const Secret = "SECRET-51.5014N-0.1419W"

// Quadrants is a w × h picture with a red top-left quarter on white, so
// that a test can tell which way up a re-encoded copy is.
func Quadrants(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{255, 255, 255, 255}
			if x < w/2 && y < h/2 {
				c = color.RGBA{255, 0, 0, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

// JPEG encodes img plainly.
func JPEG(img image.Image) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// PNG encodes img plainly.
func PNG(img image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// ExifTIFF is a big-endian TIFF block with an orientation tag in IFD0
// and a GPS IFD holding a latitude, a longitude and Secret as the GPS
// processing method.
func ExifTIFF(orientation uint16) []byte {
	be := binary.BigEndian
	var t []byte
	t = append(t, "MM"...)
	t = be.AppendUint16(t, 42)
	t = be.AppendUint32(t, 8)
	// IFD0 at 8: two entries (orientation, GPS IFD pointer), next IFD 0.
	gpsIFD := uint32(8 + 2 + 2*12 + 4)
	t = be.AppendUint16(t, 2)
	t = append(t, entry(be, 0x0112, 3, 1, uint32(orientation)<<16)...)
	t = append(t, entry(be, 0x8825, 4, 1, gpsIFD)...)
	t = be.AppendUint32(t, 0)
	// GPS IFD: LatitudeRef, Latitude, LongitudeRef, Longitude, ProcessingMethod.
	data := gpsIFD + 2 + 5*12 + 4
	lat, lon, method := data, data+24, data+48
	t = be.AppendUint16(t, 5)
	t = append(t, entry(be, 0x0001, 2, 2, uint32('N')<<24)...)
	t = append(t, entry(be, 0x0002, 5, 3, lat)...)
	t = append(t, entry(be, 0x0003, 2, 2, uint32('W')<<24)...)
	t = append(t, entry(be, 0x0004, 5, 3, lon)...)
	t = append(t, entry(be, 0x001B, 7, uint32(len(Secret)), method)...)
	t = be.AppendUint32(t, 0)
	for _, v := range []uint32{51, 1, 30, 1, 5, 1, 0, 1, 8, 1, 30, 1} {
		t = be.AppendUint32(t, v)
	}
	return append(t, Secret...)
}

func entry(be binary.AppendByteOrder, tag, typ uint16, count, value uint32) []byte {
	e := be.AppendUint16(nil, tag)
	e = be.AppendUint16(e, typ)
	e = be.AppendUint32(e, count)
	return be.AppendUint32(e, value)
}

// segment is one JPEG marker segment.
func segment(marker byte, payload []byte) []byte {
	s := []byte{0xFF, marker}
	s = binary.BigEndian.AppendUint16(s, uint16(len(payload)+2))
	return append(s, payload...)
}

// JPEGWithGPS is Quadrants(w, h) as a JPEG carrying an EXIF APP1 block
// (orientation and GPS position), an XMP APP1 block and a comment, all
// holding Secret.
func JPEGWithGPS(w, h int, orientation uint16) []byte {
	plain := JPEG(Quadrants(w, h))
	var out []byte
	out = append(out, plain[:2]...) // SOI
	out = append(out, segment(0xE1, append([]byte("Exif\x00\x00"), ExifTIFF(orientation)...))...)
	out = append(out, segment(0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta><rdf:Description exif:GPSLatitude=\""+Secret+"\"/></x:xmpmeta>"))...)
	out = append(out, segment(0xFE, []byte("comment "+Secret))...)
	return append(out, plain[2:]...)
}

// Polyglot is a JPEG followed by an HTML page and a ZIP signature after
// its end-of-image marker.
func Polyglot(w, h int) []byte {
	return append(JPEG(Quadrants(w, h)), []byte("<html><script>alert('"+Secret+"')</script></html>PK\x03\x04")...)
}

func pngChunk(typ string, data []byte) []byte {
	c := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	c = append(c, typ...)
	c = append(c, data...)
	crc := crc32IEEE(append([]byte(typ), data...))
	return binary.BigEndian.AppendUint32(c, crc)
}

func crc32IEEE(b []byte) uint32 {
	crc := ^uint32(0)
	for _, x := range b {
		crc ^= uint32(x)
		for range 8 {
			if crc&1 != 0 {
				crc = crc>>1 ^ 0xEDB88320
			} else {
				crc >>= 1
			}
		}
	}
	return ^crc
}

// PNGWithText is Quadrants(w, h) as a PNG with tEXt, iTXt and eXIf
// (orientation, GPS) chunks before the image data and a tEXt after it,
// all holding Secret.
func PNGWithText(w, h int, orientation uint16) []byte {
	plain := PNG(Quadrants(w, h))
	ihdrEnd := 8 + 12 + 13
	var out []byte
	out = append(out, plain[:ihdrEnd]...)
	out = append(out, pngChunk("tEXt", []byte("Comment\x00"+Secret))...)
	out = append(out, pngChunk("iTXt", []byte("Location\x00\x00\x00en\x00\x00"+Secret))...)
	out = append(out, pngChunk("eXIf", ExifTIFF(orientation))...)
	iend := len(plain) - 12
	out = append(out, plain[ihdrEnd:iend]...)
	out = append(out, pngChunk("tEXt", []byte("Author\x00"+Secret))...)
	return append(out, plain[iend:]...)
}

// BombPNG is a valid PNG header claiming side × side pixels, followed by
// a small IDAT: a decompression bomb the header check must refuse.
func BombPNG(side int) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, uint32(side))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(side))
	ihdr = append(ihdr, 8, 2, 0, 0, 0) // 8-bit RGB
	out := []byte("\x89PNG\r\n\x1a\n")
	out = append(out, pngChunk("IHDR", ihdr)...)
	out = append(out, pngChunk("IDAT", bytes.Repeat([]byte{0x78, 0x9C}, 2000))...)
	return append(out, pngChunk("IEND", nil)...)
}

// AnimatedGIF has two w × h frames: red, then blue.
func AnimatedGIF(w, h int) []byte {
	pal := color.Palette{color.RGBA{255, 0, 0, 255}, color.RGBA{0, 0, 255, 255}}
	g := &gif.GIF{}
	for i := range 2 {
		f := image.NewPaletted(image.Rect(0, 0, w, h), pal)
		for p := range f.Pix {
			f.Pix[p] = uint8(i)
		}
		g.Image = append(g.Image, f)
		g.Delay = append(g.Delay, 10)
	}
	var b bytes.Buffer
	if err := gif.EncodeAll(&b, g); err != nil {
		panic(err)
	}
	return append(b.Bytes(), Secret...)
}

// MP3 is n silent MPEG-1 layer III frames (128 kbit/s, 44.1 kHz) between
// an ID3v2 tag in front and an ID3v1 tag behind, both holding Secret.
func MP3(n int) []byte {
	frame := make([]byte, 417)
	copy(frame, []byte{0xFF, 0xFB, 0x90, 0x00})
	text := append([]byte{0}, Secret...)
	tit2 := append([]byte("TIT2"), binary.BigEndian.AppendUint32(nil, uint32(len(text)))...)
	tit2 = append(tit2, 0, 0)
	tit2 = append(tit2, text...)
	size := len(tit2)
	out := []byte("ID3\x03\x00\x00")
	out = append(out, byte(size>>21&0x7F), byte(size>>14&0x7F), byte(size>>7&0x7F), byte(size&0x7F))
	out = append(out, tit2...)
	for range n {
		out = append(out, frame...)
	}
	v1 := make([]byte, 128)
	copy(v1, "TAG"+Secret)
	return append(out, v1...)
}

// MP3Frames is how many bytes n frames of MP3 take.
func MP3Frames(n int) int { return 417 * n }

func riff(form string, chunks ...[]byte) []byte {
	var body []byte
	for _, c := range chunks {
		body = append(body, c...)
	}
	out := []byte("RIFF")
	out = binary.LittleEndian.AppendUint32(out, uint32(4+len(body)))
	out = append(out, form...)
	return append(out, body...)
}

func riffChunk(id string, data []byte) []byte {
	c := append([]byte(id), binary.LittleEndian.AppendUint32(nil, uint32(len(data)))...)
	c = append(c, data...)
	if len(data)%2 == 1 {
		c = append(c, 0)
	}
	return c
}

// WAV is seconds of 8 kHz 16-bit mono silence with a LIST/INFO chunk and
// an id3 chunk holding Secret.
func WAV(seconds int) []byte {
	le := binary.LittleEndian
	f := le.AppendUint16(nil, 1)
	f = le.AppendUint16(f, 1)
	f = le.AppendUint32(f, 8000)
	f = le.AppendUint32(f, 16000)
	f = le.AppendUint16(f, 2)
	f = le.AppendUint16(f, 16)
	info := append([]byte("INFO"), riffChunk("INAM", []byte(Secret+"\x00"))...)
	return riff("WAVE", riffChunk("fmt ", f), riffChunk("LIST", info), riffChunk("data", make([]byte, 16000*seconds)),
		riffChunk("id3 ", []byte("ID3"+Secret)))
}

// oggPage builds one Ogg page holding whole packets.
func oggPage(flags byte, granule int64, seq uint32, packets ...[]byte) []byte {
	var lacing, body []byte
	for _, p := range packets {
		n := len(p)
		for n >= 255 {
			lacing = append(lacing, 255)
			n -= 255
		}
		lacing = append(lacing, byte(n))
		body = append(body, p...)
	}
	h := []byte("OggS\x00")
	h = append(h, flags)
	h = binary.LittleEndian.AppendUint64(h, uint64(granule))
	h = binary.LittleEndian.AppendUint32(h, 0x5EC12E7)
	h = binary.LittleEndian.AppendUint32(h, seq)
	h = append(h, 0, 0, 0, 0, byte(len(lacing)))
	h = append(h, lacing...)
	page := append(h, body...)
	binary.LittleEndian.PutUint32(page[22:], oggCRC(page))
	return page
}

func oggCRC(b []byte) uint32 {
	var crc uint32
	for _, x := range b {
		crc ^= uint32(x) << 24
		for range 8 {
			if crc&0x80000000 != 0 {
				crc = crc<<1 ^ 0x04C11DB7
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// OggOpus is an Ogg Opus stream of seconds (by its granule position)
// whose comment header holds Secret, followed by trailing bytes.
func OggOpus(seconds int) []byte {
	le := binary.LittleEndian
	head := []byte("OpusHead\x01\x01")
	head = le.AppendUint16(head, 312)
	head = le.AppendUint32(head, 48000)
	head = append(head, 0, 0, 0)
	tags := []byte("OpusTags")
	tags = le.AppendUint32(tags, 7)
	tags = append(tags, "libopus"...)
	tags = le.AppendUint32(tags, 2)
	for _, c := range []string{"TITLE=" + Secret, "LOCATION=" + Secret} {
		tags = le.AppendUint32(tags, uint32(len(c)))
		tags = append(tags, c...)
	}
	audio := []byte{0xF8, 0xFF, 0xFE} // a silent CELT frame
	var out []byte
	out = append(out, oggPage(0x02, 0, 0, head)...)
	out = append(out, oggPage(0x00, 0, 1, tags)...)
	out = append(out, oggPage(0x04, int64(312+48000*seconds), 2, audio)...)
	return append(out, "<script>"+Secret...)
}

// ebml builds one element with a known size.
func ebml(id uint32, payload ...[]byte) []byte {
	var out []byte
	for shift := 24; shift >= 0; shift -= 8 {
		if b := byte(id >> shift); b != 0 || len(out) > 0 {
			out = append(out, b)
		}
	}
	var body []byte
	for _, p := range payload {
		body = append(body, p...)
	}
	out = binary.BigEndian.AppendUint64(out, uint64(len(body)))
	out[len(out)-8] = 0x01 // an 8-byte size
	return append(out, body...)
}

// WebM is a WebM file with one Opus track of seconds (Info's Duration),
// its Title, a Tags element and a track name holding Secret, the Segment
// and the Cluster of unknown size, as browsers record them.
func WebM(seconds int) []byte {
	header := ebml(0x1A45DFA3, ebml(0x4286, []byte{1}), ebml(0x4282, []byte("webm")))
	dur := binary.BigEndian.AppendUint64(nil, math.Float64bits(float64(seconds*1000)))
	info := ebml(0x1549A966, ebml(0x2AD7B1, []byte{0x0F, 0x42, 0x40}), ebml(0x4489, dur), ebml(0x7BA9, []byte(Secret)),
		ebml(0x4D80, []byte("Chrome")))
	track := ebml(0xAE, ebml(0xD7, []byte{1}), ebml(0x83, []byte{2}), ebml(0x86, []byte("A_OPUS")), ebml(0x536E, []byte(Secret)))
	tracks := ebml(0x1654AE6B, track)
	tags := ebml(0x1254C367, ebml(0x7373, ebml(0x67C8, ebml(0x45A3, []byte("TITLE")), ebml(0x4487, []byte(Secret)))))
	cluster := append([]byte{0x1F, 0x43, 0xB6, 0x75, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF},
		append(ebml(0xE7, []byte{0}), ebml(0xA3, []byte{0x81, 0, 0, 0x80, 0xF8, 0xFF, 0xFE})...)...)
	segment := []byte{0x18, 0x53, 0x80, 0x67, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}
	out := append(header, segment...)
	for _, e := range [][]byte{info, tracks, tags, cluster} {
		out = append(out, e...)
	}
	return out
}

func box(typ string, payload ...[]byte) []byte {
	var body []byte
	for _, p := range payload {
		body = append(body, p...)
	}
	out := binary.BigEndian.AppendUint32(nil, uint32(8+len(body)))
	out = append(out, typ...)
	return append(out, body...)
}

// M4A is an MPEG-4 audio file of seconds (the movie header's duration)
// whose moov holds udta/meta/ilst atoms with Secret, and a creation time.
func M4A(seconds int) []byte {
	be := binary.BigEndian
	mvhd := []byte{0, 0, 0, 0}
	mvhd = be.AppendUint32(mvhd, 0xDEADBEEF) // creation time
	mvhd = be.AppendUint32(mvhd, 0xDEADBEEF) // modification time
	mvhd = be.AppendUint32(mvhd, 1000)
	mvhd = be.AppendUint32(mvhd, uint32(seconds*1000))
	mvhd = append(mvhd, make([]byte, 80)...)
	hdlr := append(make([]byte, 8), "soun"...)
	hdlr = append(hdlr, make([]byte, 13)...)
	ilst := box("ilst", box("\xa9nam", box("data", make([]byte, 8), []byte(Secret))))
	udta := box("udta", box("meta", make([]byte, 4), ilst))
	moov := box("moov", box("mvhd", mvhd), box("trak", box("mdia", box("hdlr", hdlr))), udta)
	ftyp := box("ftyp", []byte("M4A \x00\x00\x00\x00M4A mp42isom"))
	return append(append(ftyp, moov...), box("mdat", make([]byte, 64))...)
}

package media

import (
	"bytes"
	"encoding/binary"
	"time"

	"pixelpals/internal/domain"
)

// oggCRC is the Ogg page checksum: CRC-32, polynomial 0x04C11DB7, not
// reflected, starting at 0.
var oggCRC = func() (t [256]uint32) {
	for i := range t {
		r := uint32(i) << 24
		for range 8 {
			if r&0x80000000 != 0 {
				r = r<<1 ^ 0x04C11DB7
			} else {
				r <<= 1
			}
		}
		t[i] = r
	}
	return t
}()

func oggChecksum(page []byte) uint32 {
	var crc uint32
	for i, b := range page {
		if i >= 22 && i < 26 { // the checksum field counts as zero
			b = 0
		}
		crc = crc<<8 ^ oggCRC[byte(crc>>24)^b]
	}
	return crc
}

// oggPage is one page: where it sits in the file and its segments.
type oggPage struct {
	start, bodyStart, end int
	granule               int64
	serial                uint32
	lacing                []byte
}

// oggPages splits data into checksummed pages; bytes after the last whole
// page are not returned (and so not kept).
func oggPages(data []byte) ([]oggPage, error) {
	var pages []oggPage
	i := 0
	for len(data)-i >= 27 && string(data[i:i+4]) == "OggS" {
		n := int(data[i+26])
		if data[i+4] != 0 || len(data)-i < 27+n {
			break
		}
		lacing := data[i+27 : i+27+n]
		size := 0
		for _, l := range lacing {
			size += int(l)
		}
		end := i + 27 + n + size
		if end > len(data) {
			break
		}
		if binary.LittleEndian.Uint32(data[i+22:]) != oggChecksum(data[i:end]) {
			return nil, broken(formatOgg, "a page checksum does not match")
		}
		pages = append(pages, oggPage{start: i, bodyStart: i + 27 + n, end: end,
			granule: int64(binary.LittleEndian.Uint64(data[i+6:])), serial: binary.LittleEndian.Uint32(data[i+14:]), lacing: lacing})
		i = end
	}
	if len(pages) < 2 {
		return nil, broken(formatOgg, "too few pages")
	}
	return pages, nil
}

// span is a run of bytes of one packet within a page.
type span struct{ page, from, to int }

// oggPacketSpans returns where the first two packets of the stream lie.
func oggPacketSpans(pages []oggPage) (packets [2][]span, ok bool) {
	k := 0
	for pi, pg := range pages {
		at := pg.bodyStart
		for _, l := range pg.lacing {
			packets[k] = append(packets[k], span{pi, at, at + int(l)})
			at += int(l)
			if l < 255 {
				k++
				if k == 2 {
					return packets, true
				}
			}
		}
	}
	return packets, false
}

func gather(data []byte, spans []span) []byte {
	var b []byte
	for _, s := range spans {
		b = append(b, data[s.from:s.to]...)
	}
	return b
}

// cleanOgg accepts one Opus or Vorbis stream and overwrites its comment
// header (vendor string and user comments: title, artist, location…) in
// place with an empty one padded with zeros, which both formats allow, so
// no page moves; the touched pages get new checksums. The duration is the
// last page's granule position.
func cleanOgg(data []byte) ([]byte, time.Duration, error) {
	pages, err := oggPages(data)
	if err != nil {
		return nil, 0, err
	}
	for _, pg := range pages {
		if pg.serial != pages[0].serial {
			return nil, 0, domain.Errorf(domain.CodeUnsupportedMedia, "an Ogg file may hold one audio stream only")
		}
	}
	packets, ok := oggPacketSpans(pages)
	if !ok {
		return nil, 0, broken(formatOgg, "no comment header")
	}
	out := bytes.Clone(data[:pages[len(pages)-1].end])
	head, tags := gather(out, packets[0]), gather(out, packets[1])
	var empty []byte
	var rate, skip int64
	switch {
	case bytes.HasPrefix(head, []byte("OpusHead")) && len(head) >= 19 && bytes.HasPrefix(tags, []byte("OpusTags")):
		rate, skip = 48000, int64(binary.LittleEndian.Uint16(head[10:]))
		empty = []byte("OpusTags\x00\x00\x00\x00\x00\x00\x00\x00")
	case bytes.HasPrefix(head, []byte("\x01vorbis")) && len(head) >= 16 && bytes.HasPrefix(tags, []byte("\x03vorbis")):
		rate = int64(binary.LittleEndian.Uint32(head[12:]))
		empty = []byte("\x03vorbis\x00\x00\x00\x00\x00\x00\x00\x00\x01")
	default:
		return nil, 0, domain.Errorf(domain.CodeUnsupportedMedia, "an Ogg file must hold Opus or Vorbis audio")
	}
	if len(tags) < len(empty) || rate <= 0 {
		return nil, 0, broken(formatOgg, "a malformed header")
	}
	clean := make([]byte, len(tags))
	copy(clean, empty)
	touched := map[int]bool{}
	for _, s := range packets[1] {
		n := copy(out[s.from:s.to], clean)
		clean = clean[n:]
		touched[s.page] = true
	}
	for pi := range touched {
		pg := pages[pi]
		binary.LittleEndian.PutUint32(out[pg.start+22:], oggChecksum(out[pg.start:pg.end]))
	}
	var last int64
	for _, pg := range pages {
		if pg.granule > last {
			last = pg.granule
		}
	}
	samples := max(0, last-skip)
	return out, durationOf(samples, rate), nil
}

// durationOf is samples at rate per second, saturating instead of
// overflowing on a forged count.
func durationOf(samples, rate int64) time.Duration {
	if samples/rate >= int64(1<<62)/int64(time.Second) {
		return time.Duration(1 << 62)
	}
	return time.Duration(samples * int64(time.Second) / rate)
}

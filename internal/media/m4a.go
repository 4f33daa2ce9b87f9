package media

import (
	"bytes"
	"encoding/binary"
	"time"

	"pixelpals/internal/domain"
)

// m4aContainers are the boxes whose children are boxes and are walked.
var m4aContainers = map[string]bool{"moov": true, "trak": true, "mdia": true, "minf": true, "stbl": true, "edts": true, "dinf": true, "moof": true, "traf": true, "mvex": true, "mfra": true}

// m4aPlayback are the leaf boxes a player needs, kept as they are (hdlr
// loses its name, the headers their times). Every other box, metadata
// (udta, meta, ilst, uuid, XMP_, ID32, ...) or one we do not know, as well
// as free, skip and wide padding, is turned into a free box of the same
// size with its payload zeroed, so no chunk offset moves and nothing we
// did not recognise survives.
var m4aPlayback = map[string]bool{
	"ftyp": true, "styp": true, "mdat": true, "mvhd": true, "tkhd": true, "mdhd": true, "hdlr": true,
	"smhd": true, "dref": true, "elst": true, "stsd": true, "stts": true, "ctts": true, "stsc": true,
	"stsz": true, "stz2": true, "stco": true, "co64": true, "stss": true, "sdtp": true, "sgpd": true,
	"sbgp": true, "iods": true, "mehd": true, "trex": true, "mfhd": true, "tfhd": true, "tfdt": true,
	"trun": true, "sidx": true, "tfra": true, "mfro": true,
}

// m4aRefused are boxes that tie a sound track to another (tref, and chap
// naming a chapter track, which carries text and pictures): a file with
// one is refused rather than cleaned.
var m4aRefused = map[string]bool{"tref": true, "chap": true}

// m4aBrands are the ftyp brands of MPEG-4 audio files.
var m4aBrands = [][]byte{[]byte("M4A "), []byte("M4B "), []byte("mp42"), []byte("mp41"), []byte("isom"), []byte("iso2"), []byte("iso5"), []byte("iso6"), []byte("dash")}

type m4a struct {
	data                []byte
	audio               int    // sound tracks
	handler             string // of the track being walked
	timescale, duration uint64
}

// cleanM4A accepts an MPEG-4 file whose tracks are all sound, frees every
// box not on the playback list (m4aPlayback), zeroes handler names and
// the creation and modification times of the movie, tracks and media
// headers, and drops bytes after the last box.
// The duration is the movie header's.
func cleanM4A(data []byte) ([]byte, time.Duration, error) {
	m := &m4a{data: bytes.Clone(data)}
	end, err := m.walk(0, len(m.data), 0, "")
	if err != nil {
		return nil, 0, err
	}
	if ft := m.data[8:min(len(m.data), 64)]; !hasBrand(ft) {
		return nil, 0, domain.Errorf(domain.CodeUnsupportedMedia, "an MPEG-4 file must be M4A audio")
	}
	if m.audio == 0 {
		return nil, 0, errNotSound()
	}
	var d time.Duration
	if m.timescale > 0 {
		d = durationOf(int64(min(m.duration, 1<<62)), int64(m.timescale))
	}
	return m.data[:end], d, nil
}

func errNotSound() error {
	return domain.Errorf(domain.CodeUnsupportedMedia, "an MPEG-4 file must hold sound tracks only, without chapters or track references")
}

func hasBrand(ftyp []byte) bool {
	for _, b := range m4aBrands {
		if bytes.Contains(ftyp, b) {
			return true
		}
	}
	return false
}

// walk visits the boxes between from and to, children of a box of type
// parent, and returns where the last whole one ends.
func (m *m4a) walk(from, to, depth int, parent string) (int, error) {
	if depth > 10 {
		return 0, broken(formatM4A, "boxes nested too deep")
	}
	i := from
	for to-i >= 8 {
		size, hdr, err := m.boxSize(i, to)
		if err != nil {
			return 0, err
		}
		if size < int64(hdr) || size > int64(to-i) {
			if depth == 0 && i > from {
				break // trailing bytes after the last box are dropped
			}
			return 0, broken(formatM4A, "a truncated box")
		}
		if depth == 0 && i == from && string(m.data[i+4:i+8]) != "ftyp" {
			return 0, broken(formatM4A, "no ftyp box first")
		}
		if err := m.visit(i, int(size), hdr, depth, parent); err != nil {
			return 0, err
		}
		i += int(size)
	}
	return i, nil
}

// boxSize reads the size of the box at i (at least 8 bytes before to) and
// the length of its header: 8 bytes, or 16 with a 64-bit size. A size of 0
// runs to to. The size is not checked against to.
func (m *m4a) boxSize(i, to int) (size int64, hdr int, err error) {
	size, hdr = int64(binary.BigEndian.Uint32(m.data[i:])), 8
	switch size {
	case 0:
		size = int64(to - i)
	case 1:
		if to-i < 16 {
			return 0, 0, broken(formatM4A, "a truncated box")
		}
		size, hdr = int64(binary.BigEndian.Uint64(m.data[i+8:])), 16
	}
	return size, hdr, nil
}

// visit keeps, cleans, walks into or frees the box of size bytes at i,
// whose header is hdr bytes long, a child of a box of type parent.
func (m *m4a) visit(i, size, hdr, depth int, parent string) error {
	box := m.data[i : i+size]
	typ := string(box[4:8])
	body := box[hdr:]
	switch {
	case m4aRefused[typ]:
		return errNotSound()
	case typ == "trak":
		return m.track(i+hdr, i+size, depth)
	case m4aContainers[typ]:
		_, err := m.walk(i+hdr, i+size, depth+1, typ)
		return err
	case typ == "hdlr":
		return m.handlerBox(body, parent)
	case typ == "mvhd" || typ == "tkhd" || typ == "mdhd":
		m.header(typ, body)
	case m4aPlayback[typ]:
	default: // free, skip, wide, metadata and anything unknown
		clear(body)
		copy(box[4:8], "free")
	}
	return nil
}

// track walks a track box's children, between from and to, and refuses
// the track unless its media handler is sound.
func (m *m4a) track(from, to, depth int) error {
	m.handler = ""
	if _, err := m.walk(from, to, depth+1, "trak"); err != nil {
		return err
	}
	if m.handler != "soun" {
		return errNotSound()
	}
	m.audio++
	return nil
}

// handlerBox reads a media handler's type and zeroes its name. The body is
// version and flags, pre_defined, handler type, 12 reserved bytes, then a
// free-text name.
func (m *m4a) handlerBox(body []byte, parent string) error {
	if len(body) < 24 {
		return broken(formatM4A, "a short handler box")
	}
	if parent == "mdia" {
		m.handler = string(body[8:12])
	}
	clear(body[24:])
	return nil
}

// header zeroes a movie, track or media header's times and reads the
// movie's duration.
func (m *m4a) header(typ string, body []byte) {
	be := binary.BigEndian
	if len(body) >= 24 && body[0] == 0 {
		clear(body[4:12])
		if typ == "mvhd" {
			m.timescale, m.duration = uint64(be.Uint32(body[12:])), uint64(be.Uint32(body[16:]))
		}
	} else if len(body) >= 36 && body[0] == 1 {
		clear(body[4:20])
		if typ == "mvhd" {
			m.timescale, m.duration = uint64(be.Uint32(body[20:])), be.Uint64(body[24:])
		}
	}
}

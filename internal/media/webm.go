package media

import (
	"bytes"
	"encoding/binary"
	"math"
	"time"

	"pixelpals/internal/domain"
)

// EBML element ids (with their length markers, as written).
const (
	ebmlHeader   = 0x1A45DFA3
	ebmlDocType  = 0x4282
	mkvSegment   = 0x18538067
	mkvInfo      = 0x1549A966
	mkvTracks    = 0x1654AE6B
	mkvTrack     = 0xAE
	mkvTrackType = 0x83
	mkvCodecID   = 0x86
	mkvCluster   = 0x1F43B675
	mkvSeekHead  = 0x114D9B74
	mkvCues      = 0x1C53BB6B
	mkvTimescale = 0x2AD7B1
	mkvDuration  = 0x4489
	mkvVoid      = 0xEC
	mkvTrackUID  = 0x73C5
)

// ebmlHeaderKept are the EBML header's children a reader needs (EBML
// version and read version, maximum id and size lengths, DocType and its
// version and read version); any other one (Void, CRC-32, DocTypeExtension,
// anything unknown) is voided, as in the Segment.
var ebmlHeaderKept = map[uint32]bool{0x4286: true, 0x42F7: true, 0x42F2: true, 0x42F3: true,
	ebmlDocType: true, 0x4287: true, 0x4285: true}

// mkvTopLevel are the Segment's children: an unknown-sized Cluster ends
// where one of them starts.
var mkvTopLevel = map[uint32]bool{mkvSeekHead: true, mkvInfo: true, mkvTracks: true, mkvCluster: true,
	mkvCues: true, 0x1254C367: true, 0x1941A469: true, 0x1043A770: true}

// mkvSegmentKept are the Segment's children a player needs; every other
// one (tags, attachments, chapters, anything unknown) is voided.
var mkvSegmentKept = map[uint32]bool{mkvSeekHead: true, mkvInfo: true, mkvTracks: true, mkvCluster: true, mkvCues: true}

// mkvClusterKept are the Cluster's children a player needs (Timestamp,
// Position, PrevSize, SimpleBlock, BlockGroup, EncryptedBlock,
// SilentTracks); every other one is voided.
var mkvClusterKept = map[uint32]bool{0xE7: true, 0xA7: true, 0xAB: true, 0xA3: true, 0xA0: true, 0xAF: true, 0x5854: true}

// mkvVoided are the elements that describe the recording rather than
// play it (title, date, track names, writing and muxing applications),
// the ids and file names that link one file to others (SegmentUID, a
// random 128-bit id the recording tool sets; SegmentFilename; the previous
// and next segment's UID and file name; SegmentFamily; ChapterTranslate),
// Void elements, whose padding may hold anything, and CRC-32 elements,
// which the voiding would make wrong: they are overwritten in place with
// zeroed Void elements of the same length, so no offset in SeekHead or
// Cues moves.
var mkvVoided = map[uint32]bool{0x7BA9: true, 0x4461: true, 0x536E: true, 0x5741: true, 0x4D80: true, mkvVoid: true,
	0x73A4: true, 0x7384: true, 0x3CB923: true, 0x3C83AB: true, 0x3EB923: true, 0x3E83BB: true, 0x4444: true, 0x6924: true,
	0xBF: true}

const unknownSize = -1

// ebmlElement reads the id and size at b[0:]: the element's id, the
// offset of its payload and its size (unknownSize when so marked).
func ebmlElement(b []byte) (id uint32, payload int, size int64, ok bool) {
	idLen, _, ok := vint(b, false)
	if !ok || idLen > 4 {
		return 0, 0, 0, false
	}
	for _, c := range b[:idLen] {
		id = id<<8 | uint32(c)
	}
	szLen, sz, ok := vint(b[idLen:], true)
	if !ok {
		return 0, 0, 0, false
	}
	return id, idLen + szLen, sz, true
}

// vint reads an EBML variable-length integer: its length and, when value,
// its value with the marker removed (all ones: unknownSize).
func vint(b []byte, value bool) (int, int64, bool) {
	if len(b) == 0 || b[0] == 0 {
		return 0, 0, false
	}
	n := 1
	for b[0]&(0x80>>(n-1)) == 0 {
		n++
	}
	if len(b) < n {
		return 0, 0, false
	}
	v := int64(b[0] & (0xFF >> n))
	allOnes := v == int64(0xFF>>n)
	for _, c := range b[1:n] {
		v = v<<8 | int64(c)
		allOnes = allOnes && c == 0xFF
	}
	if value && allOnes {
		return n, unknownSize, true
	}
	return n, v, true
}

// voidElement overwrites b (one whole element) with a Void element.
func voidElement(b []byte) bool {
	n := len(b)
	if n < 2 {
		return false
	}
	clear(b)
	b[0] = mkvVoid
	if n <= 9 {
		b[1] = 0x80 | byte(n-2)
		return true
	}
	binary.BigEndian.PutUint64(b[1:9], uint64(n-9))
	b[1] = 0x01 // the length marker, over the value's top byte (always 0)
	return true
}

// webm walks a WebM file's elements.
type webm struct {
	data                []byte
	audioTracks, others int
	timescale           int64
	duration            float64
}

// cleanWebM accepts a WebM file with one Opus or Vorbis audio track and
// no other, voids its descriptive metadata, the bodies of its Void
// elements and every element outside the Segment's and Clusters' playback
// lists, and drops trailing bytes. The
// duration is Info's, when stated (browser recorders leave it out).
func cleanWebM(data []byte) ([]byte, time.Duration, error) {
	w := &webm{data: bytes.Clone(data), timescale: 1_000_000}
	id, off, size, ok := ebmlElement(w.data)
	if !ok || id != ebmlHeader || size == unknownSize || int64(off)+size > int64(len(w.data)) {
		return nil, 0, broken(formatWebM, "a malformed header")
	}
	if !w.docTypeIsWebM(w.data[off : int64(off)+size]) {
		return nil, 0, domain.Errorf(domain.CodeUnsupportedMedia, "only WebM audio is accepted of the Matroska family")
	}
	if !w.cleanHeader(off, off+int(size)) {
		return nil, 0, broken(formatWebM, "a malformed header")
	}
	at := off + int(size)
	id, off, size, ok = ebmlElement(w.data[at:])
	if !ok || id != mkvSegment {
		return nil, 0, broken(formatWebM, "no segment")
	}
	end := len(w.data)
	if size != unknownSize {
		if int64(at+off)+size > int64(end) {
			return nil, 0, broken(formatWebM, "a truncated segment")
		}
		end = at + off + int(size)
	}
	if err := w.walk(at+off, end, 1); err != nil {
		return nil, 0, err
	}
	if w.audioTracks != 1 || w.others != 0 {
		return nil, 0, domain.Errorf(domain.CodeUnsupportedMedia, "a WebM clip must hold exactly one Opus or Vorbis audio track and nothing else")
	}
	var d time.Duration
	if f := w.duration * float64(w.timescale); f > 0 {
		d = time.Duration(min(f, math.MaxInt64/2))
	}
	return w.data[:end], d, nil
}

func (w *webm) docTypeIsWebM(header []byte) bool {
	for i := 0; i < len(header); {
		id, off, size, ok := ebmlElement(header[i:])
		if !ok || size == unknownSize || int64(i+off)+size > int64(len(header)) {
			return false
		}
		if id == ebmlDocType {
			return string(header[i+off:i+off+int(size)]) == "webm"
		}
		i += off + int(size)
	}
	return false
}

// cleanHeader voids the EBML header's children (between from and to)
// other than ebmlHeaderKept. docTypeIsWebM has checked their framing.
func (w *webm) cleanHeader(from, to int) bool {
	for i := from; i < to; {
		id, off, size, ok := ebmlElement(w.data[i:to])
		if !ok || size == unknownSize || int64(i+off)+size > int64(to) {
			return false
		}
		end := i + off + int(size)
		if !ebmlHeaderKept[id] && !voidElement(w.data[i:end]) {
			return false
		}
		i = end
	}
	return true
}

// walk visits the elements between from and to at a depth (1: the
// Segment's children), voiding metadata and reading the tracks and info.
func (w *webm) walk(from, to, depth int) error {
	if depth > 8 {
		return broken(formatWebM, "elements nested too deep")
	}
	for i := from; i < to; {
		id, off, size, ok := ebmlElement(w.data[i:to])
		if !ok {
			return broken(formatWebM, "a malformed element")
		}
		if size == unknownSize {
			if id != mkvCluster || depth != 1 {
				return broken(formatWebM, "an element of unknown size")
			}
			next, err := w.clusterEnd(i+off, to)
			if err != nil {
				return err
			}
			i = next
			continue
		}
		elemEnd := int64(i+off) + size
		if elemEnd > int64(to) {
			return broken(formatWebM, "a truncated element")
		}
		if err := w.visit(id, i, i+off, int(elemEnd), depth); err != nil {
			return err
		}
		i = int(elemEnd)
	}
	return nil
}

// visit voids, walks into, reads or keeps the element id that runs from
// start to end, its payload from payload, at a depth.
func (w *webm) visit(id uint32, start, payload, end, depth int) error {
	body := w.data[payload:end]
	switch {
	case mkvVoided[id], depth == 1 && !mkvSegmentKept[id]:
		if !voidElement(w.data[start:end]) {
			return broken(formatWebM, "a malformed element")
		}
	case id == mkvInfo, id == mkvTracks:
		return w.walk(payload, end, depth+1)
	case id == mkvTrack:
		w.track(body)
		return w.walk(payload, end, depth+1)
	case id == mkvCluster && depth == 1:
		if next, err := w.clusterEnd(payload, end); err != nil {
			return err
		} else if next != end {
			return broken(formatWebM, "a top-level element inside a cluster")
		}
	case id == mkvTrackUID && depth == 3:
		return sameTrackUID(body)
	case id == mkvTimescale:
		w.timescale = int64(readUint(body))
	case id == mkvDuration:
		w.duration = readFloat(body)
	}
	return nil
}

// sameTrackUID sets a TrackUID to 1. It is mandatory, but random per file
// like SegmentUID: the same value for every clip (the length stays, so no
// offset moves).
func sameTrackUID(body []byte) error {
	if len(body) == 0 || len(body) > 8 {
		return broken(formatWebM, "a malformed track UID")
	}
	clear(body)
	body[len(body)-1] = 1
	return nil
}

// clusterEnd voids a Cluster's children other than blocks and their
// timing, from from, and finds where an unknown-sized one ends: at the
// next top-level element or to.
func (w *webm) clusterEnd(from, to int) (int, error) {
	i := from
	for i < to {
		id, off, size, ok := ebmlElement(w.data[i:to])
		if !ok {
			return 0, broken(formatWebM, "a malformed cluster")
		}
		if mkvTopLevel[id] {
			return i, nil
		}
		if size == unknownSize || int64(i+off)+size > int64(to) {
			return 0, broken(formatWebM, "a truncated cluster")
		}
		if !mkvClusterKept[id] && !voidElement(w.data[i:i+off+int(size)]) {
			return 0, broken(formatWebM, "a malformed element")
		}
		i += off + int(size)
	}
	return i, nil
}

// track counts one TrackEntry as an Opus/Vorbis audio track or another.
func (w *webm) track(entry []byte) {
	var typ uint64
	var codec string
	for i := 0; i < len(entry); {
		id, off, size, ok := ebmlElement(entry[i:])
		if !ok || size == unknownSize || int64(i+off)+size > int64(len(entry)) {
			break
		}
		v := entry[i+off : i+off+int(size)]
		switch id {
		case mkvTrackType:
			typ = readUint(v)
		case mkvCodecID:
			codec = string(v)
		}
		i += off + int(size)
	}
	if typ == 2 && (codec == "A_OPUS" || codec == "A_VORBIS") {
		w.audioTracks++
	} else {
		w.others++
	}
}

func readUint(b []byte) uint64 {
	var v uint64
	for _, c := range b[:min(len(b), 8)] {
		v = v<<8 | uint64(c)
	}
	return v
}

func readFloat(b []byte) float64 {
	switch len(b) {
	case 4:
		return float64(math.Float32frombits(binary.BigEndian.Uint32(b)))
	case 8:
		return math.Float64frombits(binary.BigEndian.Uint64(b))
	}
	return 0
}

package media

import (
	"encoding/binary"
	"errors"
	"image"
)

// A 12-megapixel phone photo is stored at half its size (photoSize: a
// 2 × 2 box of each plane), yet image/jpeg decodes every one of its
// pixels first: 70% of an upload's CPU (docs/benchmarks.md). halfJPEG
// decodes a baseline JPEG straight to half size: each 8 × 8 block's
// lowest 4 × 4 cosine coefficients, weighted as averaging 2 × 2 squares
// weights them (taperWeights), are transformed back to 4 × 4 samples
// (the block's 2 × 2 averages without the detail a half-size picture
// cannot hold, which the averages would fold back as false detail), so
// the full-size picture is never made, and neither is the box pass.
// Halved photos take 0.07 s of CPU here against 0.2 s in image/jpeg
// (docs/benchmarks.md). It handles what
// phones and cameras write: one interleaved scan of Huffman-coded 8-bit
// YCbCr with the chroma subsampled 4:4:4, 4:2:2, 4:2:0 or 4:4:0, restart
// markers or not. Anything else (progressive, grey, CMYK, RGB, several
// scans, a truncated or corrupt stream) answers ok = false and goes
// through image/jpeg, which decides what the file is: this decoder never
// refuses a file image/jpeg accepts.

// errHalf is any reason to leave a file to image/jpeg.
var errHalf = errors.New("not for the half-size decoder")

// halfDecoder holds the tables and state of one half-size decode.
type halfDecoder struct {
	data        []byte
	width       int
	height      int
	comps       [3]halfComponent
	quant       [4][64]int32 // in zigzag order
	quantSet    [4]bool
	dc, ac      [4]huffTable
	restart     int  // MCUs between restart markers; 0: none
	baseline    bool // SOF0: Huffman tables 0 and 1 only (T.81 Table B.5)
	hmax, vmax  int
	mcusX, mcuY int
	img         *image.YCbCr
	weights     *freqWeights
}

type halfComponent struct {
	id     byte
	h, v   int
	tq     int
	td, ta int
}

// halfJPEG decodes data, a JPEG, at ceil(w/2) × ceil(h/2); ok is false
// when it leaves the file to image/jpeg. A bug here must cost a fallback,
// never the upload: a panic (an index out of range on a hostile file) is
// recovered into ok = false.
func halfJPEG(data []byte) (img *image.YCbCr, ok bool) {
	defer func() {
		if recover() != nil {
			img, ok = nil, false
		}
	}()
	d := &halfDecoder{data: data, weights: &taperWeights}
	if err := d.decode(); err != nil {
		return nil, false
	}
	return d.img, true
}

// decode walks the markers up to the one scan, decodes it, and checks
// that the image ends there.
func (d *halfDecoder) decode() error {
	if len(d.data) < 2 || d.data[0] != 0xFF || d.data[1] != 0xD8 {
		return errHalf
	}
	pos := 2
	for {
		marker, seg, next, err := d.segment(pos)
		if err != nil {
			return err
		}
		pos = next
		switch {
		case marker == 0xC0 || marker == 0xC1: // baseline, extended Huffman
			d.baseline = marker == 0xC0
			err = d.frame(seg)
		case marker == 0xC4:
			err = d.huffman(seg)
		case marker == 0xDB:
			err = d.quantisation(seg)
		case marker == 0xDD:
			err = d.restartInterval(seg)
		case marker == 0xDA:
			return d.scan(seg, pos)
		case marker == 0xEE: // Adobe: may say RGB or CMYK
			return errHalf
		case marker >= 0xE0 && marker <= 0xEF, marker == 0xFE: // APPn, COM
		default:
			return errHalf
		}
		if err != nil {
			return err
		}
	}
}

// segment reads the marker at pos and its payload, returning where the
// next marker starts.
func (d *halfDecoder) segment(pos int) (marker byte, seg []byte, next int, err error) {
	if pos+4 > len(d.data) || d.data[pos] != 0xFF {
		return 0, nil, 0, errHalf
	}
	marker = d.data[pos+1]
	n := int(binary.BigEndian.Uint16(d.data[pos+2:]))
	if n < 2 || pos+2+n > len(d.data) {
		return 0, nil, 0, errHalf
	}
	return marker, d.data[pos+4 : pos+2+n], pos + 2 + n, nil
}

// frame reads SOF0/SOF1: 8-bit samples, three components, chroma 1 × 1
// and luma 1 or 2 each way.
func (d *halfDecoder) frame(seg []byte) error {
	if d.img != nil || len(seg) != 6+3*3 || seg[0] != 8 || seg[5] != 3 {
		return errHalf
	}
	d.height, d.width = int(binary.BigEndian.Uint16(seg[1:])), int(binary.BigEndian.Uint16(seg[3:]))
	if d.width == 0 || d.height == 0 {
		return errHalf // a DNL marker would give the height later
	}
	for i := range d.comps {
		c := seg[6+3*i:]
		d.comps[i] = halfComponent{id: c[0], h: int(c[1] >> 4), v: int(c[1] & 15), tq: int(c[2])}
		if d.comps[i].tq > 3 {
			return errHalf
		}
	}
	if d.comps[0].id == 'R' && d.comps[1].id == 'G' && d.comps[2].id == 'B' {
		return errHalf
	}
	ratio, ok := subsampling(d.comps[0].h, d.comps[0].v)
	for _, c := range d.comps[1:] {
		ok = ok && c.h == 1 && c.v == 1
	}
	if !ok {
		return errHalf
	}
	d.hmax, d.vmax = d.comps[0].h, d.comps[0].v
	d.mcusX, d.mcuY = (d.width+8*d.hmax-1)/(8*d.hmax), (d.height+8*d.vmax-1)/(8*d.vmax)
	full := image.NewYCbCr(image.Rect(0, 0, 4*d.hmax*d.mcusX, 4*d.vmax*d.mcuY), ratio)
	d.img = full.SubImage(image.Rect(0, 0, (d.width+1)/2, (d.height+1)/2)).(*image.YCbCr)
	return nil
}

// subsampling is the ratio of a luma sampled h × v times the chroma.
func subsampling(h, v int) (image.YCbCrSubsampleRatio, bool) {
	switch {
	case h == 1 && v == 1:
		return image.YCbCrSubsampleRatio444, true
	case h == 2 && v == 1:
		return image.YCbCrSubsampleRatio422, true
	case h == 2 && v == 2:
		return image.YCbCrSubsampleRatio420, true
	case h == 1 && v == 2:
		return image.YCbCrSubsampleRatio440, true
	}
	return 0, false
}

// quantisation reads a DQT segment's tables, 8- or 16-bit.
func (d *halfDecoder) quantisation(seg []byte) error {
	for len(seg) > 0 {
		prec, id := seg[0]>>4, int(seg[0]&15)
		size := 1 + 64*(1+int(prec))
		if prec > 1 || id > 3 || len(seg) < size {
			return errHalf
		}
		for k := range 64 {
			if prec == 0 {
				d.quant[id][k] = int32(seg[1+k])
			} else {
				d.quant[id][k] = int32(binary.BigEndian.Uint16(seg[1+2*k:]))
			}
		}
		d.quantSet[id] = true
		seg = seg[size:]
	}
	return nil
}

// restartInterval reads a DRI segment.
func (d *halfDecoder) restartInterval(seg []byte) error {
	if len(seg) != 2 {
		return errHalf
	}
	d.restart = int(binary.BigEndian.Uint16(seg))
	return nil
}

// huffman reads a DHT segment's tables.
func (d *halfDecoder) huffman(seg []byte) error {
	for len(seg) > 0 {
		if len(seg) < 17 {
			return errHalf
		}
		class, id := seg[0]>>4, int(seg[0]&15)
		var counts [16]int
		total := 0
		for i := range 16 {
			counts[i] = int(seg[1+i])
			total += counts[i]
		}
		if class > 1 || id > 3 || d.baseline && id > 1 || total == 0 || total > 256 || len(seg) < 17+total {
			return errHalf
		}
		t := &d.dc[id]
		if class == 1 {
			t = &d.ac[id]
		}
		if err := t.build(counts, seg[17:17+total]); err != nil {
			return err
		}
		seg = seg[17+total:]
	}
	return nil
}

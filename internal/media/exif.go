package media

import (
	"bytes"
	"encoding/binary"
)

// exifOrientation finds the EXIF orientation (1..8) of an image: in a
// JPEG's APP1 "Exif" segment, a PNG's eXIf chunk or a WebP's EXIF chunk.
// 0 means none or unreadable, which leaves the image as it is.
func exifOrientation(data []byte, f Format) int {
	switch f {
	case formatJPEG:
		return tiffOrientation(jpegExif(data))
	case formatPNG:
		return tiffOrientation(pngChunk(data, "eXIf"))
	case formatWebP:
		return tiffOrientation(bytes.TrimPrefix(riffChunk(data, "EXIF"), []byte("Exif\x00\x00")))
	}
	return 0
}

// jpegExif returns the TIFF block of a JPEG's first EXIF APP1 segment.
func jpegExif(data []byte) []byte {
	i := 2 // after SOI
	for i+4 <= len(data) && data[i] == 0xFF {
		marker := data[i+1]
		if marker == 0xDA || marker == 0xD9 { // start of scan, end of image
			return nil
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			return nil
		}
		seg := data[i+4 : i+2+n]
		if marker == 0xE1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			return seg[6:]
		}
		i += 2 + n
	}
	return nil
}

// pngChunk returns the data of a PNG's first chunk of type typ.
func pngChunk(data []byte, typ string) []byte {
	i := 8
	for i+8 <= len(data) {
		n := int(binary.BigEndian.Uint32(data[i:]))
		if n < 0 || n > len(data)-i-12 {
			return nil
		}
		if string(data[i+4:i+8]) == typ {
			return data[i+8 : i+8+n]
		}
		i += 12 + n
	}
	return nil
}

// riffChunk returns the data of a RIFF file's first top-level chunk id.
func riffChunk(data []byte, id string) []byte {
	for _, c := range riffChunks(data) {
		if c.id == id {
			return c.data
		}
	}
	return nil
}

// tiffOrientation reads tag 0x0112 of a TIFF block's first IFD.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	if bo.Uint16(t[2:]) != 42 {
		return 0
	}
	ifd := int64(bo.Uint32(t[4:]))
	if ifd < 8 || ifd+2 > int64(len(t)) {
		return 0
	}
	count := int64(bo.Uint16(t[ifd:]))
	for e := range count {
		at := ifd + 2 + 12*e
		if at+12 > int64(len(t)) {
			return 0
		}
		if bo.Uint16(t[at:]) == 0x0112 && bo.Uint16(t[at+2:]) == 3 { // SHORT
			if o := int(bo.Uint16(t[at+8:])); o >= 1 && o <= 8 {
				return o
			}
			return 0
		}
	}
	return 0
}

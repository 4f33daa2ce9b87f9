package media

import (
	"encoding/binary"
	"errors"
)

// riffChunk is one top-level chunk of a RIFF file (WebP, WAV).
type chunk struct {
	id   string
	data []byte
}

// riffChunks lists the chunks of a RIFF file, or of a run of chunks when
// data does not start with a RIFF header, stopping at the first one that
// does not fit.
func riffChunks(data []byte) []chunk {
	body := data
	if len(data) >= 12 && string(data[:4]) == "RIFF" {
		n := int64(binary.LittleEndian.Uint32(data[4:]))
		// The size counts the form type, so it is at least 4; a smaller
		// one (or a file cut short) leaves no chunks rather than a slice
		// running backwards.
		end := max(12, min(int64(len(data)), 8+n))
		body = data[12:end]
	}
	var out []chunk
	for len(body) >= 8 {
		n := int64(binary.LittleEndian.Uint32(body[4:]))
		if n > int64(len(body)-8) {
			break
		}
		out = append(out, chunk{id: string(body[:4]), data: body[8 : 8+n]})
		body = body[8+n:]
		if n%2 == 1 && len(body) > 0 { // chunks are padded to even sizes
			body = body[1:]
		}
	}
	return out
}

// riffFile builds a RIFF file of form (WEBP, WAVE) from chunks.
func riffFile(form string, chunks []chunk) []byte {
	size := 4
	for _, c := range chunks {
		size += 8 + len(c.data) + len(c.data)%2
	}
	out := make([]byte, 0, 8+size)
	out = append(out, "RIFF"...)
	out = binary.LittleEndian.AppendUint32(out, uint32(size))
	out = append(out, form...)
	for _, c := range chunks {
		out = append(out, c.id...)
		out = binary.LittleEndian.AppendUint32(out, uint32(len(c.data)))
		out = append(out, c.data...)
		if len(c.data)%2 == 1 {
			out = append(out, 0)
		}
	}
	return out
}

// webpFrame is where an animated WebP's first frame sits on its canvas.
type webpFrame struct {
	canvasW, canvasH int
	x, y             int
}

func u24(b []byte) int { return int(b[0]) | int(b[1])<<8 | int(b[2])<<16 }

// webpFirstFrame turns an animated WebP into a still one holding only its
// first frame (golang.org/x/image/webp decodes stills only). A still WebP
// is returned as it is.
func webpFirstFrame(data []byte) ([]byte, *webpFrame, error) {
	chunks := riffChunks(data)
	if len(chunks) == 0 || chunks[0].id != "VP8X" || len(chunks[0].data) < 10 || chunks[0].data[0]&0x02 == 0 {
		return data, nil, nil
	}
	vp8x := chunks[0].data
	fr := &webpFrame{canvasW: u24(vp8x[4:]) + 1, canvasH: u24(vp8x[7:]) + 1}
	for _, c := range chunks {
		if c.id != "ANMF" {
			continue
		}
		if len(c.data) < 16 {
			return nil, nil, errors.New("a short animation frame")
		}
		fr.x, fr.y = 2*u24(c.data[0:]), 2*u24(c.data[3:])
		w, h := u24(c.data[6:])+1, u24(c.data[9:])+1
		var alpha, image *chunk
		for _, fc := range riffChunks(c.data[16:]) {
			switch fc.id {
			case "ALPH":
				alpha = &fc
			case "VP8 ", "VP8L":
				image = &fc
			}
		}
		if image == nil {
			return nil, nil, errors.New("an animation frame without image data")
		}
		if fr.x+w > fr.canvasW || fr.y+h > fr.canvasH {
			return nil, nil, errors.New("an animation frame outside its canvas")
		}
		if alpha == nil || image.id == "VP8L" {
			return riffFile("WEBP", []chunk{*image}), fr, nil
		}
		header := make([]byte, 10)
		header[0] = 0x10 // alpha
		header[4], header[5], header[6] = byte(w-1), byte((w-1)>>8), byte((w-1)>>16)
		header[7], header[8], header[9] = byte(h-1), byte((h-1)>>8), byte((h-1)>>16)
		return riffFile("WEBP", []chunk{{"VP8X", header}, *alpha, *image}), fr, nil
	}
	return nil, nil, errors.New("an animation without frames")
}

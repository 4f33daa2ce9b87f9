package media

import (
	"encoding/binary"
	"time"

	"pixelpals/internal/domain"
)

// audio checks a clip against its format and returns it with its metadata
// blocks gone (see docs/media.md for what each format keeps).
func (p *Processor) audio(data []byte, f Format) (Result, error) {
	var clean []byte
	var d time.Duration
	var err error
	switch f {
	case formatMP3:
		clean, d, err = cleanMP3(data)
	case formatWAV:
		clean, d, err = cleanWAV(data)
	case formatOgg:
		clean, d, err = cleanOgg(data)
	case formatWebM:
		clean, d, err = cleanWebM(data)
	case formatM4A:
		clean, d, err = cleanM4A(data)
	}
	if err != nil {
		return Result{}, err
	}
	if d > p.limits.MaxDuration {
		return Result{}, domain.Errorf(domain.CodeTooLarge, "the clip is %s long; at most %s is accepted",
			d.Round(time.Second), p.limits.MaxDuration)
	}
	return Result{Kind: KindAudio, ContentType: f.ContentType, Data: clean, Duration: d}, nil
}

// mp3Header is one MPEG audio layer III frame header.
type mp3Header struct {
	version    int // 1, 2 or 25 (MPEG 2.5)
	sampleRate int
	size       int // of the whole frame, in bytes
	samples    int
}

var (
	mp3BitratesV1 = [16]int{0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, -1}
	mp3BitratesV2 = [16]int{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, -1}
	mp3Rates      = map[int][3]int{1: {44100, 48000, 32000}, 2: {22050, 24000, 16000}, 25: {11025, 12000, 8000}}
)

// parseMP3Header reads a layer III frame header at the start of b. Free
// bitrate and reserved values are refused.
func parseMP3Header(b []byte) (mp3Header, bool) {
	if len(b) < 4 || b[0] != 0xFF || b[1]&0xE0 != 0xE0 {
		return mp3Header{}, false
	}
	var h mp3Header
	switch (b[1] >> 3) & 3 {
	case 0:
		h.version = 25
	case 2:
		h.version = 2
	case 3:
		h.version = 1
	default:
		return h, false
	}
	if (b[1]>>1)&3 != 1 { // layer III only
		return h, false
	}
	bi, si, pad := int(b[2]>>4), int(b[2]>>2)&3, int(b[2]>>1)&1
	if si == 3 {
		return h, false
	}
	br := mp3BitratesV1[bi]
	if h.version != 1 {
		br = mp3BitratesV2[bi]
	}
	if br <= 0 {
		return h, false
	}
	h.sampleRate = mp3Rates[h.version][si]
	if h.version == 1 {
		h.samples, h.size = 1152, 144000*br/h.sampleRate+pad
	} else {
		h.samples, h.size = 576, 72000*br/h.sampleRate+pad
	}
	return h, true
}

// cleanMP3 keeps only the MPEG frames: ID3v2 tags in front, and ID3v1,
// APE or Lyrics tags and anything else behind or between, are dropped.
// The duration is the frames' samples, counted.
func cleanMP3(data []byte) ([]byte, time.Duration, error) {
	i := 0
	for len(data)-i >= 10 && string(data[i:i+3]) == "ID3" {
		s := data[i+6 : i+10]
		if (s[0]|s[1]|s[2]|s[3])&0x80 != 0 {
			return nil, 0, broken(formatMP3, "a malformed ID3 tag")
		}
		n := 10 + (int(s[0])<<21 | int(s[1])<<14 | int(s[2])<<7 | int(s[3]))
		if data[i+5]&0x10 != 0 { // footer
			n += 10
		}
		i += n
	}
	out := make([]byte, 0, max(0, len(data)-i))
	var first mp3Header
	samples, frames := 0, 0
	for i+4 <= len(data) {
		h, ok := parseMP3Header(data[i:])
		if !ok || i+h.size > len(data) || (frames > 0 && (h.version != first.version || h.sampleRate != first.sampleRate)) {
			break
		}
		if frames == 0 {
			first = h
		}
		out = append(out, data[i:i+h.size]...)
		samples += h.samples
		frames++
		i += h.size
	}
	if frames < 2 {
		return nil, 0, broken(formatMP3, "no MPEG audio frames")
	}
	return out, time.Duration(samples) * time.Second / time.Duration(first.sampleRate), nil
}

// cleanWAV keeps the fmt, fact and data chunks of a WAV file; LIST/INFO,
// id3, bext and every other chunk are dropped.
func cleanWAV(data []byte) ([]byte, time.Duration, error) {
	var fmtc, fact, body *chunk
	for _, c := range riffChunks(data) {
		switch c.id {
		case "fmt ":
			fmtc = &c
		case "fact":
			fact = &c
		case "data":
			body = &c
		}
	}
	if fmtc == nil || body == nil || len(fmtc.data) < 16 {
		return nil, 0, broken(formatWAV, "no fmt or data chunk")
	}
	le := binary.LittleEndian
	tag, channels, rate, byteRate := le.Uint16(fmtc.data), le.Uint16(fmtc.data[2:]), le.Uint32(fmtc.data[4:]), le.Uint32(fmtc.data[8:])
	if (tag != 1 && tag != 3 && tag != 0xFFFE) || channels == 0 || channels > 8 || rate == 0 || rate > 384000 || byteRate == 0 {
		return nil, 0, broken(formatWAV, "an unsupported sample format")
	}
	keep := []chunk{*fmtc}
	if fact != nil {
		keep = append(keep, *fact)
	}
	keep = append(keep, *body)
	d := time.Duration(int64(len(body.data)) * int64(time.Second) / int64(byteRate))
	return riffFile("WAVE", keep), d, nil
}

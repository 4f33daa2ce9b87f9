package media

import (
	"bytes"
)

// Format is a file format recognised from its first bytes.
type Format struct {
	Name        string // for messages: "PNG", "MP3"
	Kind        string // KindImage or KindAudio
	ContentType string // as uploaded
}

var (
	formatPNG  = Format{"PNG", KindImage, "image/png"}
	formatJPEG = Format{"JPEG", KindImage, "image/jpeg"}
	formatGIF  = Format{"GIF", KindImage, "image/gif"}
	formatWebP = Format{"WebP", KindImage, "image/webp"}
	formatWAV  = Format{"WAV", KindAudio, "audio/wav"}
	formatOgg  = Format{"Ogg", KindAudio, "audio/ogg"}
	formatWebM = Format{"WebM", KindAudio, "audio/webm"}
	formatMP3  = Format{"MP3", KindAudio, "audio/mpeg"}
	formatM4A  = Format{"M4A", KindAudio, "audio/mp4"}
)

// Sniff recognises one of SPEC §6's formats from the signature at the
// start of data. It only says what the file claims to be; Process then
// checks that the rest agrees.
func Sniff(data []byte) (Format, bool) {
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return formatPNG, true
	case bytes.HasPrefix(data, []byte{0xFF, 0xD8, 0xFF}):
		return formatJPEG, true
	case bytes.HasPrefix(data, []byte("GIF87a")), bytes.HasPrefix(data, []byte("GIF89a")):
		return formatGIF, true
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return formatWebP, true
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WAVE":
		return formatWAV, true
	case bytes.HasPrefix(data, []byte("OggS")):
		return formatOgg, true
	case bytes.HasPrefix(data, []byte{0x1A, 0x45, 0xDF, 0xA3}):
		return formatWebM, true
	case len(data) >= 12 && string(data[4:8]) == "ftyp":
		return formatM4A, true
	case bytes.HasPrefix(data, []byte("ID3")):
		return formatMP3, true
	case len(data) >= 4 && data[0] == 0xFF && data[1]&0xE0 == 0xE0:
		if _, ok := parseMP3Header(data); ok {
			return formatMP3, true
		}
	}
	return Format{}, false
}

// Command pwaicons draws the web app's install icons (internal/web/assets,
// named in manifest.webmanifest) from the same 12×12 pixel face as
// logo.svg: PNGs with hard pixel edges at 192 and 512 px, and a maskable
// 512 px one whose face stays inside the 80 % safe circle that launchers
// crop to. Run it from the module root after changing the face:
//
//	go run ./tools/pwaicons
package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
)

// face is logo.svg: '#' ink, 'y' sun, 'p' cheek, '.' nothing.
var face = []string{
	"............",
	"..########..",
	".#yyyyyyyy#.",
	".#yyyyyyyy#.",
	".#y##yy##y#.",
	".#y##yy##y#.",
	".#pyyyyyyp#.",
	".#y#yyyy#y#.",
	".#yy####yy#.",
	".#yyyyyyyy#.",
	"..########..",
	"............",
}

var palette = map[byte]color.NRGBA{
	'#': {0x1d, 0x1b, 0x3a, 0xff}, // --ink
	'y': {0xff, 0xd8, 0x4d, 0xff}, // --sun
	'p': {0xff, 0x8f, 0xa3, 0xff}, // cheeks
}

// page is the app's --page colour: the maskable icon's background, and the
// manifest's background_color.
var page = color.NRGBA{0xf3, 0xec, 0xff, 0xff}

type icon struct {
	name     string
	size, px int  // image side, and side of one face pixel
	maskable bool // filled to the edges, face well inside the safe circle
}

var icons = []icon{
	{"icon-192.png", 192, 16, false},
	{"icon-512.png", 512, 42, false},
	{"icon-maskable-512.png", 512, 24, true},
}

func main() {
	dir := filepath.Join("internal", "web", "assets")
	for _, ic := range icons {
		b, err := draw(ic)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if err := os.WriteFile(filepath.Join(dir, ic.name), b, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}

// draw renders ic: the face centred, each of its pixels a px×px square.
func draw(ic icon) ([]byte, error) {
	img := image.NewNRGBA(image.Rect(0, 0, ic.size, ic.size))
	if ic.maskable {
		for i := 0; i < len(img.Pix); i += 4 {
			copy(img.Pix[i:], []byte{page.R, page.G, page.B, page.A})
		}
	}
	off := (ic.size - len(face)*ic.px) / 2
	for y, row := range face {
		for x := range len(row) {
			c, ok := palette[row[x]]
			if !ok {
				continue
			}
			for dy := range ic.px {
				for dx := range ic.px {
					img.SetNRGBA(off+x*ic.px+dx, off+y*ic.px+dy, c)
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("%s: %w", ic.name, err)
	}
	return buf.Bytes(), nil
}

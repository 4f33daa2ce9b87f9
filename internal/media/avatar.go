package media

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"image"
	"image/color"
	"image/png"
)

// The default avatar is an 8 × 8 sprite, mirrored left to right like a
// face or a space invader, on a one-cell margin, each cell avatarScale
// pixels square (nearest-neighbour: crisp edges at any size).
const (
	avatarCells  = 8
	avatarMargin = 1
	avatarScale  = 16
	// AvatarSize is the generated avatar's width and height in pixels.
	AvatarSize = (avatarCells + 2*avatarMargin) * avatarScale
)

// Light backgrounds and dark inks: every ink on every background has a
// contrast ratio above 4.5 (WCAG AA), so the sprite reads for young and
// weak eyes alike.
var (
	avatarBackgrounds = []color.RGBA{
		{0xFE, 0xF3, 0xC7, 0xFF}, // cream
		{0xDB, 0xEA, 0xFE, 0xFF}, // sky
		{0xDC, 0xFC, 0xE7, 0xFF}, // mint
		{0xFC, 0xE7, 0xF3, 0xFF}, // candy
		{0xED, 0xE9, 0xFE, 0xFF}, // lavender
		{0xFF, 0xED, 0xD5, 0xFF}, // peach
	}
	avatarInks = []color.RGBA{
		{0x1E, 0x3A, 0x8A, 0xFF}, // blue
		{0x6B, 0x21, 0xA8, 0xFF}, // purple
		{0x16, 0x65, 0x34, 0xFF}, // green
		{0xB9, 0x1C, 0x1C, 0xFF}, // red
		{0x11, 0x5E, 0x59, 0xFF}, // teal
		{0x9A, 0x34, 0x12, 0xFF}, // rust
		{0x9D, 0x17, 0x4D, 0xFF}, // berry
		{0x1F, 0x29, 0x37, 0xFF}, // ink
	}
)

// Avatar draws the default avatar of a user: the same PNG for the same id,
// every time, derived from a hash of the id so that neighbouring ids look
// unrelated.
func Avatar(userID int64) []byte {
	h := sha256.Sum256(binary.BigEndian.AppendUint64([]byte("pixelpals avatar v1:"), uint64(userID)))
	bg := avatarBackgrounds[int(h[0])%len(avatarBackgrounds)]
	ink := avatarInks[int(h[1])%len(avatarInks)]
	accent := avatarInks[(int(h[1])+1+int(h[2])%(len(avatarInks)-1))%len(avatarInks)]
	img := image.NewPaletted(image.Rect(0, 0, AvatarSize, AvatarSize), color.Palette{bg, ink, accent})
	bits := binary.BigEndian.Uint64(h[8:16])
	for row := range avatarCells {
		for col := range avatarCells / 2 {
			// Two bits a cell: half the cells empty, a third of the rest accent.
			v := bits & 3
			bits >>= 2
			var c uint8
			switch v {
			case 2:
				c = 1
			case 3:
				c = 2
			}
			fillCell(img, col, row, c)
			fillCell(img, avatarCells-1-col, row, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err) // encoding an in-memory paletted image cannot fail
	}
	return buf.Bytes()
}

func fillCell(img *image.Paletted, col, row int, c uint8) {
	x0, y0 := (col+avatarMargin)*avatarScale, (row+avatarMargin)*avatarScale
	for y := y0; y < y0+avatarScale; y++ {
		for x := x0; x < x0+avatarScale; x++ {
			img.Pix[img.PixOffset(x, y)] = c
		}
	}
}

package media

import (
	"image"
	"math"
)

// A JPEG decodes to YCbCr planes. Shrinking the planes themselves keeps
// the result YCbCr, which the JPEG encoder takes without a colour
// conversion: x/image/draw's bilinear Transform converted every sample
// it read to RGBA and took about as long as the decode (0.4 s for
// 12 MP). A photo is shrunk by whole factors where it can be, each k × k
// box of samples averaged into one (an addition a sample: 12 MP to
// 2000 × 1500 took a tenth of the tent filter's time to 2048 × 1536,
// measured alternately), else and for what is left by a tent filter as
// wide as the shrink (every source sample counts, nothing aliases; a
// few multiply-adds a sample). docs/media.md.

// weightBits is the fixed-point precision of a filter's weights.
const weightBits = 14

// filter shrinks a line of n samples to m: output i is the sum of
// src[idx[k]] * w[k] for k in [first[i], first[i+1]).
type filter struct {
	first []int
	idx   []int32
	w     []int32
}

// tentFilter is the filter from n samples to m ≤ n: a triangle of
// radius n/m around each output's centre, clamped at the edges, its
// weights summing to 1 << weightBits.
func tentFilter(n, m int) filter {
	scale := float64(n) / float64(m)
	radius := max(scale, 1)
	f := filter{first: make([]int, m+1)}
	for i := range m {
		c := (float64(i)+0.5)*scale - 0.5
		lo, hi := int(math.Floor(c-radius))+1, int(math.Floor(c+radius))
		start := len(f.idx)
		var raw []float64
		var sum float64
		for j := lo; j <= hi; j++ {
			d := float64(j) - c
			if d < 0 {
				d = -d
			}
			w := 1 - d/radius
			if w <= 0 {
				continue
			}
			f.idx = append(f.idx, int32(min(max(j, 0), n-1)))
			raw = append(raw, w)
			sum += w
		}
		var total int32
		for k, w := range raw {
			q := int32(w / sum * (1 << weightBits))
			if k == len(raw)-1 {
				q = 1<<weightBits - total // the rounding remainder
			}
			f.w = append(f.w, q)
			total += q
		}
		f.first[i] = start
	}
	f.first[m] = len(f.idx)
	return f
}

// shrinkPlane resamples a w × h plane (rows stride apart) to dw × dh:
// rows first, into a dw × h buffer, then columns.
func shrinkPlane(src []uint8, w, h, stride int, dst []uint8, dw, dh, dstride int) {
	fx, fy := tentFilter(w, dw), tentFilter(h, dh)
	tmp := make([]uint8, dw*h)
	for y := range h {
		row, out := src[y*stride:y*stride+w], tmp[y*dw:(y+1)*dw]
		for x := range dw {
			var acc int32
			for k := fx.first[x]; k < fx.first[x+1]; k++ {
				acc += int32(row[fx.idx[k]]) * fx.w[k]
			}
			out[x] = uint8((acc + 1<<(weightBits-1)) >> weightBits)
		}
	}
	acc := make([]int32, dw)
	for y := range dh {
		clear(acc)
		for k := fy.first[y]; k < fy.first[y+1]; k++ {
			row, wk := tmp[int(fy.idx[k])*dw:int(fy.idx[k]+1)*dw], fy.w[k]
			for x, v := range row {
				acc[x] += int32(v) * wk
			}
		}
		out := dst[y*dstride : y*dstride+dw]
		for x, a := range acc {
			out[x] = uint8((a + 1<<(weightBits-1)) >> weightBits)
		}
	}
}

// shrinkYCbCr returns img shrunk to dw × dh, plane by plane, in its own
// subsampling; ok is false for a layout it does not handle (4:1:1,
// 4:1:0, an image not at the origin), which the caller draws otherwise.
// Planes are first averaged in k × k boxes (boxFactor), as far as that
// stays at least dw × dh: each source sample is read once and added, no
// multiplications; the tent filter then takes what is left (nothing when
// the boxes land on dw × dh, as photoSize arranges for photos).
func shrinkYCbCr(img *image.YCbCr, dw, dh int) (out *image.YCbCr, ok bool) {
	b := img.Bounds()
	switch img.SubsampleRatio {
	case image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422,
		image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio440:
	default:
		return nil, false
	}
	if b.Min != (image.Point{}) || dw > b.Dx() || dh > b.Dy() {
		return nil, false
	}
	if k := boxFactor(b.Dx(), b.Dy(), dw, dh); k >= 2 {
		img = boxYCbCr(img, k)
		if img.Rect.Dx() == dw && img.Rect.Dy() == dh {
			return img, true
		}
	}
	out = image.NewYCbCr(image.Rect(0, 0, dw, dh), img.SubsampleRatio)
	eachPlane(img, out, shrinkPlane)
	return out, true
}

// eachPlane calls f for the Y, Cb and Cr planes of src and dst.
func eachPlane(src, dst *image.YCbCr, f func(src []uint8, w, h, stride int, dst []uint8, dw, dh, dstride int)) {
	f(src.Y, src.Rect.Dx(), src.Rect.Dy(), src.YStride, dst.Y, dst.Rect.Dx(), dst.Rect.Dy(), dst.YStride)
	cw, ch := chromaSize(src)
	dcw, dch := chromaSize(dst)
	f(src.Cb, cw, ch, src.CStride, dst.Cb, dcw, dch, dst.CStride)
	f(src.Cr, cw, ch, src.CStride, dst.Cr, dcw, dch, dst.CStride)
}

// boxFactor is the largest k for which a w × h picture averaged in k × k
// boxes (ceil(w/k) × ceil(h/k)) is still at least dw × dh.
func boxFactor(w, h, dw, dh int) int {
	k := func(n, m int) int {
		if m <= 1 {
			return n
		}
		return (n - 1) / (m - 1) // the largest k with k·(m-1) < n
	}
	return min(k(w, dw), k(h, dh))
}

// boxYCbCr averages each k × k box of img's planes into one sample, in
// the same subsampling: the boxes of a chroma plane cover those of the
// luma plane (ceil(ceil(w/2)/k) = ceil(ceil(w/k)/2)).
func boxYCbCr(img *image.YCbCr, k int) *image.YCbCr {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	out := image.NewYCbCr(image.Rect(0, 0, (w+k-1)/k, (h+k-1)/k), img.SubsampleRatio)
	eachPlane(img, out, func(src []uint8, w, h, stride int, dst []uint8, dw, dh, dstride int) {
		boxPlane(src, w, h, stride, dst, dw, dh, dstride, k)
	})
	return out
}

// boxPlane averages each k × k box of a w × h plane into one sample of
// dst (dw × dh = ceil(w/k) × ceil(h/k)); boxes cut by the right and
// bottom edges average what they hold.
func boxPlane(src []uint8, w, h, stride int, dst []uint8, dw, dh, dstride, k int) {
	sums := make([]uint32, dw)
	for dy := range dh {
		clear(sums)
		y0, y1 := dy*k, min(dy*k+k, h)
		for y := y0; y < y1; y++ {
			addBoxes(sums, src[y*stride:y*stride+w], k)
		}
		averageBoxes(dst[dy*dstride:dy*dstride+dw], sums, w, k, y1-y0)
	}
}

// addBoxes adds each run of k samples of row to its box's sum.
func addBoxes(sums []uint32, row []uint8, k int) {
	if k == 2 { // a 12-megapixel photo to 2048 px: the common case
		pairs := len(row) / 2
		for i, s := range sums[:pairs] {
			sums[i] = s + uint32(row[2*i]) + uint32(row[2*i+1])
		}
		if len(row)%2 == 1 {
			sums[pairs] += uint32(row[len(row)-1])
		}
		return
	}
	for i := range sums {
		var s uint32
		for _, v := range row[i*k : min(i*k+k, len(row))] {
			s += uint32(v)
		}
		sums[i] += s
	}
}

// averageBoxes writes each box's rounded mean: sums over rows rows of k
// samples each, the last box holding what is left of the w.
func averageBoxes(out []uint8, sums []uint32, w, k, rows int) {
	// A whole box holds n samples: multiplying by ceil(2³²/n) errs by
	// less than 256n/2³² over the quotient, which stays below the 1/n
	// that separates it from the next integer while n < 4096, and saves a
	// division a sample.
	n := uint64(k * rows)
	whole := w / k
	if n >= 4096 {
		whole = 0
	}
	recip := (1<<32 + n - 1) / n
	for i, s := range sums[:whole] {
		out[i] = uint8((uint64(s) + n/2) * recip >> 32)
	}
	for i := whole; i < len(sums); i++ {
		m := uint32(min(k, w-i*k) * rows)
		out[i] = uint8((sums[i] + m/2) / m)
	}
}

// chromaSize is the size of img's Cb and Cr planes.
func chromaSize(img *image.YCbCr) (int, int) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	switch img.SubsampleRatio {
	case image.YCbCrSubsampleRatio422:
		return (w + 1) / 2, h
	case image.YCbCrSubsampleRatio420:
		return (w + 1) / 2, (h + 1) / 2
	case image.YCbCrSubsampleRatio440:
		return w, (h + 1) / 2
	}
	return w, h
}

// orientYCbCr turns img upright per an EXIF orientation o (2..8) plane by
// plane and keeps it YCbCr: a phone's portrait photo (orientation 6) is
// written to the encoder as it is, where turning it through RGBA made a
// 4-byte-a-pixel copy the encoder converted back. A quarter turn swaps
// 4:2:2 and 4:4:0. ok is false for a layout it does not handle (4:1:1,
// 4:1:0, bounds not at the origin) or sides that are not whole chroma
// samples, where a mirror would move the chroma by half a sample: orient
// turns those through RGBA.
func orientYCbCr(img *image.YCbCr, o int) (out *image.YCbCr, ok bool) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	ratio := img.SubsampleRatio
	var sx, sy int
	switch ratio {
	case image.YCbCrSubsampleRatio444:
		sx, sy = 1, 1
	case image.YCbCrSubsampleRatio422:
		sx, sy = 2, 1
	case image.YCbCrSubsampleRatio420:
		sx, sy = 2, 2
	case image.YCbCrSubsampleRatio440:
		sx, sy = 1, 2
	default:
		return nil, false
	}
	if img.Rect.Min != (image.Point{}) || w%sx != 0 || h%sy != 0 || o < 2 || o > 8 {
		return nil, false
	}
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
		ratio, _ = subsampling(sy, sx)
	}
	out = image.NewYCbCr(image.Rect(0, 0, dw, dh), ratio)
	turnPlane(img.Y, img.YStride, w, h, out.Y, out.YStride, o)
	cw, ch := chromaSize(img)
	turnPlane(img.Cb, img.CStride, cw, ch, out.Cb, out.CStride, o)
	turnPlane(img.Cr, img.CStride, cw, ch, out.Cr, out.CStride, o)
	return out, true
}

// turnPlane writes a w × h plane turned per orientation o (2..8) to dst:
// each output row walks the source from its first sample by a fixed step.
func turnPlane(src []uint8, stride, w, h int, dst []uint8, dstride int, o int) {
	last, bottom := w-1, (h-1)*stride
	// The source index of output (0, 0), and its step along x and along y.
	var at, dx, dy int
	switch o {
	case 2:
		at, dx, dy = last, -1, stride
	case 3:
		at, dx, dy = bottom+last, -1, -stride
	case 4:
		at, dx, dy = bottom, 1, -stride
	case 5:
		at, dx, dy = 0, stride, 1
	case 6:
		at, dx, dy = bottom, -stride, 1
	case 7:
		at, dx, dy = bottom+last, -stride, -1
	case 8:
		at, dx, dy = last, stride, -1
	}
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	for y := range dh {
		i := at + y*dy
		for x, row := 0, dst[y*dstride:y*dstride+dw]; x < dw; x++ {
			row[x] = src[i]
			i += dx
		}
	}
}

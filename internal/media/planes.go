package media

import (
	"image"
	"math"
)

// A JPEG decodes to YCbCr planes. Shrinking the planes themselves, each
// with a tent filter as wide as the shrink (every source sample counts,
// nothing aliases), costs a few multiply-adds a sample and keeps the
// result YCbCr, which the JPEG encoder takes without a colour
// conversion: x/image/draw's bilinear Transform converted every sample
// it read to RGBA and took about as long as the decode (0.4 s for
// 12 MP, against 0.12 s here; docs/media.md).

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
	out = image.NewYCbCr(image.Rect(0, 0, dw, dh), img.SubsampleRatio)
	shrinkPlane(img.Y, b.Dx(), b.Dy(), img.YStride, out.Y, dw, dh, out.YStride)
	cw, ch := chromaSize(img)
	dcw, dch := chromaSize(out)
	shrinkPlane(img.Cb, cw, ch, img.CStride, out.Cb, dcw, dch, out.CStride)
	shrinkPlane(img.Cr, cw, ch, img.CStride, out.Cr, dcw, dch, out.CStride)
	return out, true
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

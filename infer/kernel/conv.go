package kernel

// ConvShape is the geometry of an int8 Conv2D on one NHWC image (batch 1).
type ConvShape struct {
	H, W, C         int // input
	KH, KW          int // kernel
	SH, SW          int // strides
	PadTop, PadLeft int // padding before the first row and column
	OH, OW, OC      int // output
	// PadValue fills padded positions: the input zero point, so that padding
	// contributes exactly what the folded bias expects.
	PadValue int8
}

// K is the reduction length KH*KW*C of one output pixel.
func (s *ConvShape) K() int { return s.KH * s.KW * s.C }

// ConvScratchLen is the int8 scratch one worker needs for Conv on s (enough
// for every implementation).
func ConvScratchLen(s *ConvShape) int { return max(s.OW*PaddedK(s.K()), convScratchFast(s).total) }

// Conv computes output rows [y0, y1) of a Conv2D: in is H*W*C, out is
// OH*OW*OC, packed holds the weights in Layout, scratch holds
// ConvScratchLen(s) values. Rows may be split across workers; each needs its
// own scratch. The result does not depend on how rows are split.
func Conv(out, in []int8, s *ConvShape, packed []int8, rq *Requant, scratch []int8, y0, y1 int) {
	active.conv(out, in, s, packed, rq, scratch, y0, y1)
}

// convGeneric gathers one output row's patches (im2col) and multiplies them
// with the reference GEMM.
func convGeneric(out, in []int8, s *ConvShape, packed []int8, rq *Requant, scratch []int8, y0, y1 int) {
	k, kp := s.K(), PaddedK(s.K())
	for oy := y0; oy < y1; oy++ {
		for ox := 0; ox < s.OW; ox++ {
			Im2colPixel(scratch[ox*kp:(ox+1)*kp], in, s, oy, ox)
		}
		gemmGeneric(out[oy*s.OW*s.OC:], s.OC, scratch, kp, s.OW, s.OC, k, packed, rq)
	}
}

// Im2colPixel writes the KH*KW*C patch of output pixel (oy, ox) to dst in
// HWC order, PadValue where the patch leaves the image, and zeros up to
// len(dst).
func Im2colPixel(dst, in []int8, s *ConvShape, oy, ox int) {
	n := 0
	for ky := 0; ky < s.KH; ky++ {
		iy := oy*s.SH - s.PadTop + ky
		for kx := 0; kx < s.KW; kx++ {
			ix := ox*s.SW - s.PadLeft + kx
			seg := dst[n : n+s.C]
			if iy < 0 || iy >= s.H || ix < 0 || ix >= s.W {
				fill(seg, s.PadValue)
			} else {
				copy(seg, in[(iy*s.W+ix)*s.C:])
			}
			n += s.C
		}
	}
	clear(dst[n:])
}

// fill sets every element of s to v.
func fill(s []int8, v int8) {
	if len(s) == 0 {
		return
	}
	s[0] = v
	for n := 1; n < len(s); n *= 2 {
		copy(s[n:], s[:n])
	}
}

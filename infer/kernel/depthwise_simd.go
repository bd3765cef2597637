//go:build (amd64 || arm64) && !purego

package kernel

// The driver shared by the SIMD depthwise kernels (NEON on arm64, AVX2 on
// amd64). A row kernel computes one output row of a 3x3 layer from three
// padded input rows, DepthwiseGroup channels at a time: groups start at
// channel 16g, and when C is not a multiple of 16 the last group starts at
// C-16 and recomputes a few channels of the one before. Layers with fewer
// than 16 channels run on rows padded to 16 channels per pixel and write
// an output row of that pitch, which the driver narrows.

// dwArgs is what a row kernel reads besides its pointers, in the order the
// assembly addresses it.
type dwArgs struct {
	ow      int // output pixels
	pitch   int // channel pitch of input and output pixels: max(C, 16)
	step    int // input bytes between output pixels: SW*pitch
	groups  int // channel groups
	lastOff int // first channel of the last group
	wpitch  int // bytes between taps in DepthwiseLayout
	flags   int // dwFlag*
	zero    [4]int32
	lo, hi  [DepthwiseGroup]int8 // ActMin, ActMax
}

const (
	dwFlagLeft  = 1 << iota // some channel shifts left
	dwFlagFixup             // round negative halves away from zero (not needed under a ReLU clamp)
)

func newDWArgs(d *DepthwiseConv) dwArgs {
	s, rq := &d.s, d.rq
	cw := max(s.C, DepthwiseGroup)
	a := dwArgs{ow: s.OW, pitch: cw, step: s.SW * cw, groups: (cw + DepthwiseGroup - 1) / DepthwiseGroup,
		lastOff: cw - DepthwiseGroup, wpitch: depthwisePaddedC(s.C)}
	for _, sh := range rq.Shift[:s.C] {
		if sh > 0 {
			a.flags |= dwFlagLeft
		}
		if sh < 0 && rq.ActMin < rq.OutZero {
			a.flags |= dwFlagFixup
		}
	}
	for l := range a.zero {
		a.zero[l] = rq.OutZero
	}
	for l := range a.lo {
		a.lo[l], a.hi[l] = int8(rq.ActMin), int8(rq.ActMax)
	}
	return a
}

// dwGroupOffset is the first channel of group g of a layer with dwArgs a.
func (a *dwArgs) groupOffset(g int) int { return min(g*DepthwiseGroup, a.lastOff) }

// dwRowKernel computes one output row of d (out at the channel pitch of
// d's dwArgs) from the padded input rows r0, r1, r2 of its 3x3 windows.
type dwRowKernel func(out, r0, r1, r2 *int8, d *DepthwiseConv)

// depthwise3x3 makes the depthwise of an implementation from its 3x3 row
// kernel; other window sizes run the reference. Each input row is padded
// (PadValue left and right, channels padded to 16 for narrow layers) once
// into a ring of three rows; rows above and below the image point at a row
// of PadValue.
func depthwise3x3(row dwRowKernel) func(out, in []int8, d *DepthwiseConv, scratch []int8, y0, y1 int) {
	return func(out, in []int8, d *DepthwiseConv, scratch []int8, y0, y1 int) {
		s := &d.s
		if s.KH != 3 || s.KW != 3 {
			depthwiseGeneric(out, in, d, scratch, y0, y1)
			return
		}
		if y0 >= y1 {
			return
		}
		p := dwScratchPlan(s)
		_, _, _ = scratch[p.total-1], in[s.H*s.W*s.C-1], out[y1*s.OW*s.C-1]
		pad := scratch[p.pad:p.outRow]
		fill(pad, s.PadValue)
		have := [3]int{-1, -1, -1}
		for oy := y0; oy < y1; oy++ {
			var r [3]*int8
			for k := range r {
				iy := oy*s.SH - s.PadTop + k
				if iy < 0 || iy >= s.H {
					r[k] = &pad[0]
					continue
				}
				slot := scratch[iy%3*p.pitch : (iy%3+1)*p.pitch]
				if have[iy%3] != iy {
					dwPadRow(slot, pad, in, s, iy, p.cw)
					have[iy%3] = iy
				}
				r[k] = &slot[0]
			}
			if s.C >= DepthwiseGroup {
				row(&out[oy*s.OW*s.C], r[0], r[1], r[2], d)
				continue
			}
			narrow := scratch[p.outRow:p.total]
			row(&narrow[0], r[0], r[1], r[2], d)
			for ox := range s.OW {
				copy(out[(oy*s.OW+ox)*s.C:(oy*s.OW+ox+1)*s.C], narrow[ox*DepthwiseGroup:])
			}
		}
	}
}

// dwPadRow writes input row iy into dst, padded left and right with
// copies of pad (a row of PadValue), cw bytes per pixel; the channels past
// C of a narrow layer hold PadValue too and meet zero weights.
func dwPadRow(dst, pad, in []int8, s *ConvShape, iy, cw int) {
	if cw != s.C {
		copy(dst, pad)
		for x := range len(dst) / cw {
			if ix := x - s.PadLeft; ix >= 0 && ix < s.W {
				copy(dst[x*cw:x*cw+s.C], in[(iy*s.W+ix)*s.C:])
			}
		}
		return
	}
	pw := len(dst) / cw
	lo, hi := min(s.PadLeft, pw), min(s.PadLeft+s.W, pw)
	copy(dst[:lo*cw], pad)
	copy(dst[lo*cw:hi*cw], in[(iy*s.W+lo-s.PadLeft)*cw:])
	copy(dst[hi*cw:], pad)
}

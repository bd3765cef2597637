package kernel

import "fmt"

// Depthwise convolution (DepthwiseConv2D, depth multiplier 1) on int8 NHWC
// images. A layer is described by a ConvShape with OC == C and K() unused.
//
// Zero points follow the Conv convention: padded positions hold the input
// zero point (ConvShape.PadValue) and each channel's Requant.Bias already
// has -zero_point_in * sum(weights of the channel) folded in, so the
// kernels multiply raw int8 values and 'same' padding contributes exactly
// nothing in real terms.

// DepthwiseLayout names the packed depthwise weight layout: [KH][KW][Cp],
// channel innermost, Cp = C rounded up to DepthwiseGroup, zeros past C. One
// 16-byte load fetches a tap's weights for 16 channels.
const DepthwiseLayout = "hwc16"

// DepthwiseGroup is the number of channels the SIMD kernels compute at once
// and the channel padding of DepthwiseLayout.
const DepthwiseGroup = 16

// depthwisePaddedC is c rounded up to DepthwiseGroup.
func depthwisePaddedC(c int) int { return roundUp(c, DepthwiseGroup) }

// DepthwisePackedLen is the number of int8 values PackDepthwise writes for
// a kh x kw kernel over c channels.
func DepthwisePackedLen(kh, kw, c int) int { return kh * kw * depthwisePaddedC(c) }

// PackDepthwise copies w (weights in Keras/TFLite order [KH][KW][C], values
// in [-127, 127]) into dst in DepthwiseLayout. dst must hold
// DepthwisePackedLen(kh, kw, c) values.
func PackDepthwise(dst, w []int8, kh, kw, c int) {
	cp := depthwisePaddedC(c)
	clear(dst[:kh*kw*cp])
	for t := range kh * kw {
		copy(dst[t*cp:t*cp+c], w[t*c:(t+1)*c])
	}
}

// DepthwiseConv is one depthwise layer prepared once for every
// implementation: its shape, packed weights (used in place), requantisation
// and the constants the SIMD kernels load. Run allocates nothing.
type DepthwiseConv struct {
	s      ConvShape
	packed []int8
	rq     *Requant
	arch   dwPrepared // what this architecture's kernels read besides packed
}

// NewDepthwiseConv checks s, packed (DepthwiseLayout) and rq (C channels,
// bias with the input zero point folded in) and prepares the layer. The
// result keeps packed and rq; do not change them afterwards.
func NewDepthwiseConv(s ConvShape, packed []int8, rq *Requant) (*DepthwiseConv, error) {
	if err := checkDepthwiseShape(&s); err != nil {
		return nil, err
	}
	if n := DepthwisePackedLen(s.KH, s.KW, s.C); len(packed) < n {
		return nil, fmt.Errorf("depthwise: %d packed weights, want %d (%dx%dx%d in layout %s)", len(packed), n, s.KH, s.KW, s.C, DepthwiseLayout)
	}
	if err := checkRequant(rq, s.C); err != nil {
		return nil, fmt.Errorf("depthwise: %w", err)
	}
	d := &DepthwiseConv{s: s, packed: packed[:DepthwisePackedLen(s.KH, s.KW, s.C)], rq: rq}
	d.arch = prepareDepthwise(d)
	return d, nil
}

// Shape is the layer's geometry.
func (d *DepthwiseConv) Shape() ConvShape { return d.s }

// ScratchLen is the int8 scratch one worker needs for Run (enough for every
// implementation): KH padded input rows, a row of padding and, for fewer
// than DepthwiseGroup channels, an output row at DepthwiseGroup channels per
// pixel.
func (d *DepthwiseConv) ScratchLen() int {
	l := dwScratchPlan(&d.s)
	return l.total
}

// Run computes output rows [y0, y1) of the layer: in is H*W*C, out is
// OH*OW*C, scratch holds ScratchLen() values. Rows may be split across
// workers; each needs its own scratch. The result does not depend on the
// split or the implementation.
func (d *DepthwiseConv) Run(out, in, scratch []int8, y0, y1 int) {
	active.depthwise(out, in, d, scratch, y0, y1)
}

// checkDepthwiseShape rejects geometry the kernels cannot run: every
// window must start inside the padded image and padding must be smaller
// than the kernel.
func checkDepthwiseShape(s *ConvShape) error {
	if s.H < 1 || s.W < 1 || s.C < 1 || s.KH < 1 || s.KW < 1 || s.SH < 1 || s.SW < 1 || s.OH < 1 || s.OW < 1 {
		return fmt.Errorf("depthwise: non-positive size in %+v", *s)
	}
	if s.OC != s.C {
		return fmt.Errorf("depthwise: %d output channels for %d input channels (depth multiplier 1 only)", s.OC, s.C)
	}
	if s.PadTop < 0 || s.PadLeft < 0 || s.PadTop >= s.KH || s.PadLeft >= s.KW {
		return fmt.Errorf("depthwise: padding %d,%d outside [0, kernel %dx%d)", s.PadTop, s.PadLeft, s.KH, s.KW)
	}
	if (s.OH-1)*s.SH-s.PadTop >= s.H || (s.OW-1)*s.SW-s.PadLeft >= s.W {
		return fmt.Errorf("depthwise: %dx%d outputs need windows past the %dx%d input", s.OH, s.OW, s.H, s.W)
	}
	return nil
}

// checkRequant rejects constants outside Requant's documented ranges for n
// channels.
func checkRequant(rq *Requant, n int) error {
	if len(rq.Bias) < n || len(rq.Multiplier) < n || len(rq.Shift) < n {
		return fmt.Errorf("requantisation for %d channels has %d biases, %d multipliers, %d shifts", n, len(rq.Bias), len(rq.Multiplier), len(rq.Shift))
	}
	if rq.ActMin < -128 || rq.ActMax > 127 || rq.ActMin > rq.ActMax {
		return fmt.Errorf("activation range [%d, %d] not within int8", rq.ActMin, rq.ActMax)
	}
	if rq.OutZero < -128 || rq.OutZero > 127 {
		return fmt.Errorf("output zero point %d outside int8", rq.OutZero)
	}
	for c := range n {
		if rq.Multiplier[c] < 0 || rq.Shift[c] < -31 || rq.Shift[c] > 30 {
			return fmt.Errorf("channel %d: multiplier %d or shift %d out of range", c, rq.Multiplier[c], rq.Shift[c])
		}
	}
	return nil
}

// dwPlan places the SIMD driver's buffers in one worker's scratch (offsets
// in bytes): KH ring slots of padded input rows, a row of PadValue and an
// output row for narrow layers.
type dwPlan struct {
	cw     int // channel pitch of the padded rows: max(C, DepthwiseGroup)
	pitch  int // bytes of one padded input row
	pad    int // offset of the PadValue row
	outRow int // offset of the narrow output row
	total  int
}

func dwScratchPlan(s *ConvShape) dwPlan {
	var p dwPlan
	p.cw = max(s.C, DepthwiseGroup)
	p.pitch = ((s.OW-1)*s.SW + s.KW) * p.cw
	p.pad = s.KH * p.pitch
	p.outRow = p.pad + p.pitch
	p.total = p.outRow
	if s.C < DepthwiseGroup {
		p.total += s.OW * DepthwiseGroup
	}
	return p
}

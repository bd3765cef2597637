package kernel

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/require"
)

// dwCase is a depthwise layer with raw weights ([KH][KW][C]) and the input
// zero point, from which the test derives the folded bias.
type dwCase struct {
	s       ConvShape
	w       []int8
	rawBias []int32
	rq      *Requant
}

// newDWCase draws weights, input-independent constants and the folded
// bias; extreme pushes weights and constants to their limits.
func newDWCase(r *rand.Rand, s ConvShape, extreme bool) dwCase {
	c := dwCase{s: s, w: randInt8s(r, s.KH*s.KW*s.C, -127, 127), rq: randRequant(r, s.C, extreme)}
	if extreme {
		for i := range c.w {
			c.w[i] = [2]int8{-127, 127}[r.Intn(2)]
		}
	}
	c.rawBias = append([]int32(nil), c.rq.Bias...)
	for ch := range s.C {
		var sum int32
		for t := range s.KH * s.KW {
			sum += int32(c.w[t*s.C+ch])
		}
		c.rq.Bias[ch] -= int32(s.PadValue) * sum
	}
	return c
}

func (c *dwCase) conv(t *testing.T) *DepthwiseConv {
	packed := make([]int8, DepthwisePackedLen(c.s.KH, c.s.KW, c.s.C)+r0pad)
	for i := range packed {
		packed[i] = 99 // past the layout's end: must not be read
	}
	PackDepthwise(packed, c.w, c.s.KH, c.s.KW, c.s.C)
	d, err := NewDepthwiseConv(c.s, packed, c.rq)
	require.NoError(t, err)
	return d
}

const r0pad = 7

// direct is the depthwise convolution in real terms: taps outside the
// image contribute nothing, taps inside (x - zero point) * w, plus the
// unfolded bias; then the exact requantisation oracle.
func (c *dwCase) direct(in []int8) []int8 {
	s, rq := &c.s, c.rq
	out := make([]int8, s.OH*s.OW*s.C)
	for oy := range s.OH {
		for ox := range s.OW {
			for ch := range s.C {
				acc := c.rawBias[ch]
				for ky := range s.KH {
					for kx := range s.KW {
						iy, ix := oy*s.SH-s.PadTop+ky, ox*s.SW-s.PadLeft+kx
						if iy >= 0 && iy < s.H && ix >= 0 && ix < s.W {
							x := int32(in[(iy*s.W+ix)*s.C+ch]) - int32(s.PadValue)
							acc += x * int32(c.w[(ky*s.KW+kx)*s.C+ch])
						}
					}
				}
				v := mulQBig(acc, rq.Multiplier[ch], rq.Shift[ch]) + rq.OutZero
				out[(oy*s.OW+ox)*s.C+ch] = int8(min(max(v, rq.ActMin), rq.ActMax))
			}
		}
	}
	return out
}

// dwCases covers 3x3 and 5x5 kernels, strides 1 and 2, 'same' and 'valid',
// widths 1 to 17 and channel counts around the group of 16.
func dwCases(r *rand.Rand) []ConvShape {
	var cs []ConvShape
	channels := []int{1, 3, 8, 15, 16, 17, 24, 31, 32, 33, 40, 48, 96}
	for w := 1; w <= 17; w++ {
		for _, k := range []int{3, 5} {
			for _, stride := range []int{1, 2} {
				for _, same := range []bool{true, false} {
					h := 1 + r.Intn(6)
					if !same {
						h, w := max(h, k), max(w, k)
						cs = append(cs, sameShape(h, w, channels[r.Intn(len(channels))], k, k, stride, stride, 0, false, 0))
						continue
					}
					cs = append(cs, sameShape(h, w, channels[r.Intn(len(channels))], k, k, stride, stride, 0, true, int8(r.Intn(256)-128)))
				}
			}
		}
	}
	for _, c := range channels {
		cs = append(cs, sameShape(5, 6, c, 3, 3, 1, 1, 0, true, -128), sameShape(7, 5, c, 3, 3, 2, 2, 0, true, 127))
	}
	cs = append(cs, sameShape(6, 7, 5, 3, 3, 1, 2, 0, true, 3), sameShape(9, 4, 20, 3, 3, 2, 1, 0, false, 0))
	for i := range cs {
		cs[i].OC = cs[i].C
	}
	return cs
}

func TestDepthwiseGenericMatchesDirect(t *testing.T) {
	r := rand.New(rand.NewSource(21))
	for i, s := range dwCases(r) {
		c := newDWCase(r, s, i%4 == 3)
		in := randInt8s(r, s.H*s.W*s.C, -128, 127)
		d := c.conv(t)
		got := make([]int8, s.OH*s.OW*s.C)
		depthwiseGeneric(got, in, d, nil, 0, s.OH)
		require.Equal(t, c.direct(in), got, "%+v", s)
	}
}

func TestDepthwiseKnownValues(t *testing.T) {
	// 3x3 input of one channel, 'same' 3x3 stride 1, zero point 2 (the
	// padding): the centre output sums x-2 over the image, a corner over
	// its 2x2 neighbourhood. Weights 1, bias 10, multiplier 1/2, no clamp.
	s := sameShape(3, 3, 1, 3, 3, 1, 1, 1, true, 2)
	w := []int8{1, 1, 1, 1, 1, 1, 1, 1, 1}
	packed := make([]int8, DepthwisePackedLen(3, 3, 1))
	PackDepthwise(packed, w, 3, 3, 1)
	rq := &Requant{Bias: []int32{10 - 2*9}, Multiplier: []int32{1 << 30}, Shift: []int32{0}, ActMin: -128, ActMax: 127}
	d, err := NewDepthwiseConv(s, packed, rq)
	require.NoError(t, err)
	in := []int8{2, 3, 4, 5, 6, 7, 8, 9, 10} // x-2: 0..8, sum 36
	out := make([]int8, 9)
	for _, impl := range implementations {
		clear(out)
		impl.depthwise(out, in, d, make([]int8, d.ScratchLen()), 0, 3)
		// corner (0,0): 0+1+3+4 = 8, +10 = 18, /2 = 9; centre (36+10)/2 = 23;
		// (0,1): 0+1+2+3+4+5 = 15, +10 = 25 -> 12.5 rounds to 13.
		require.Equal(t, int8(9), out[0], impl.name)
		require.Equal(t, int8(13), out[1], impl.name)
		require.Equal(t, int8(23), out[4], impl.name)
	}
}

func TestImplementationsDepthwise(t *testing.T) {
	for _, impl := range implementations[1:] {
		t.Run(impl.name, func(t *testing.T) {
			r := rand.New(rand.NewSource(22))
			for i, s := range dwCases(r) {
				for _, extreme := range []bool{false, i%3 == 0} {
					c := newDWCase(r, s, extreme)
					in := randInt8s(r, s.H*s.W*s.C, -128, 127)
					if extreme {
						for j := range in {
							in[j] = [2]int8{-128, 127}[r.Intn(2)]
						}
					}
					d := c.conv(t)
					want := make([]int8, s.OH*s.OW*s.C)
					depthwiseGeneric(want, in, d, nil, 0, s.OH)
					got := randInt8s(r, len(want), -128, 127)
					scratch := randInt8s(r, d.ScratchLen(), -128, 127)
					split := r.Intn(s.OH + 1)
					impl.depthwise(got, in, d, scratch, 0, split)
					impl.depthwise(got, in, d, scratch, split, s.OH)
					require.Equal(t, want, got, "%+v extreme=%v", s, extreme)
				}
			}
		})
	}
}

// TestDepthwiseRequantEdges runs every implementation on constants at the
// edges of Requant: shifts -31 and +30 (wrapping), multipliers 0, 2^30
// and 2^31-1, biases near the int32 limits, clamps of one value and
// ReLU6-like clamps.
func TestDepthwiseRequantEdges(t *testing.T) {
	r := rand.New(rand.NewSource(23))
	s := sameShape(4, 9, 35, 3, 3, 1, 1, 35, true, -5)
	mults := []int32{0, 1 << 30, 1<<31 - 1}
	shifts := []int32{-31, -30, -1, 0, 1, 30}
	biases := []int32{-1 << 31, 1<<31 - 1 - 8000, 0, -3}
	for trial := range 12 {
		c := newDWCase(r, s, true)
		for ch := range s.C {
			c.rq.Multiplier[ch] = mults[r.Intn(len(mults))]
			c.rq.Shift[ch] = shifts[r.Intn(len(shifts))]
			c.rq.Bias[ch] = biases[r.Intn(len(biases))]
		}
		c.rq.OutZero = int32(r.Intn(256) - 128)
		switch trial % 3 {
		case 0:
			c.rq.ActMin, c.rq.ActMax = c.rq.OutZero, min(c.rq.OutZero+6*8, 127) // ReLU6-like
		case 1:
			c.rq.ActMin, c.rq.ActMax = 17, 17
		default:
			c.rq.ActMin, c.rq.ActMax = -128, 127
		}
		d := c.conv(t)
		in := randInt8s(r, s.H*s.W*s.C, -128, 127)
		want := make([]int8, s.OH*s.OW*s.C)
		depthwiseGeneric(want, in, d, nil, 0, s.OH)
		for _, impl := range implementations[1:] {
			got := make([]int8, len(want))
			impl.depthwise(got, in, d, make([]int8, d.ScratchLen()), 0, s.OH)
			require.Equal(t, want, got, "%s trial %d", impl.name, trial)
		}
	}
}

func TestNewDepthwiseConvRejectsBadLayers(t *testing.T) {
	good := sameShape(6, 6, 4, 3, 3, 1, 1, 4, true, 0)
	packed := make([]int8, DepthwisePackedLen(3, 3, 4))
	rq := func() *Requant {
		return &Requant{Bias: make([]int32, 4), Multiplier: make([]int32, 4), Shift: make([]int32, 4), ActMin: -128, ActMax: 127}
	}
	_, err := NewDepthwiseConv(good, packed, rq())
	require.NoError(t, err)
	for name, c := range map[string]struct {
		s      func(*ConvShape)
		packed int
		rq     func(*Requant)
		msg    string
	}{
		"channels":   {s: func(s *ConvShape) { s.OC = 8 }, msg: "depth multiplier 1"},
		"zero size":  {s: func(s *ConvShape) { s.W = 0 }, msg: "non-positive"},
		"padding":    {s: func(s *ConvShape) { s.PadTop = 3 }, msg: "padding"},
		"too many":   {s: func(s *ConvShape) { s.OW = 9 }, msg: "past the"},
		"packed":     {packed: -1, msg: "packed weights"},
		"biases":     {rq: func(q *Requant) { q.Bias = q.Bias[:3] }, msg: "3 biases"},
		"clamp":      {rq: func(q *Requant) { q.ActMin = 5; q.ActMax = 4 }, msg: "activation range"},
		"multiplier": {rq: func(q *Requant) { q.Multiplier[2] = -1 }, msg: "channel 2"},
		"shift":      {rq: func(q *Requant) { q.Shift[1] = 31 }, msg: "channel 1"},
		"zero point": {rq: func(q *Requant) { q.OutZero = 200 }, msg: "zero point"},
	} {
		s, q := good, rq()
		if c.s != nil {
			c.s(&s)
		}
		if c.rq != nil {
			c.rq(q)
		}
		_, err := NewDepthwiseConv(s, packed[:len(packed)+c.packed], q)
		require.ErrorContains(t, err, c.msg, name)
	}
}

func TestDepthwiseDoesNotAllocate(t *testing.T) {
	r := rand.New(rand.NewSource(24))
	for _, s := range []ConvShape{sameShape(8, 8, 40, 3, 3, 1, 1, 40, true, 1), sameShape(8, 8, 8, 3, 3, 2, 2, 8, true, 1)} {
		c := newDWCase(r, s, false)
		d := c.conv(t)
		in := randInt8s(r, s.H*s.W*s.C, -128, 127)
		out, scratch := make([]int8, s.OH*s.OW*s.C), make([]int8, d.ScratchLen())
		for _, impl := range implementations {
			allocs := testing.AllocsPerRun(5, func() { impl.depthwise(out, in, d, scratch, 0, s.OH) })
			require.Zero(t, allocs, fmt.Sprint(impl.name, s))
		}
	}
}

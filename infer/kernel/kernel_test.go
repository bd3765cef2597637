package kernel

import (
	"fmt"
	"math"
	"math/big"
	"math/rand"
	"runtime"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

func randInt8s(r *rand.Rand, n int, lo, hi int) []int8 {
	s := make([]int8, n)
	for i := range s {
		s[i] = int8(lo + r.Intn(hi-lo+1))
	}
	return s
}

// randRequant draws per-channel constants; extreme adds shifts from -31 to
// +8 (left shifts wrap like the reference) and large biases.
func randRequant(r *rand.Rand, n int, extreme bool) *Requant {
	rq := &Requant{Bias: make([]int32, n), Multiplier: make([]int32, n), Shift: make([]int32, n)}
	for j := range n {
		rq.Bias[j] = int32(r.Intn(1<<16) - 1<<15)
		rq.Multiplier[j] = int32(1<<30 + r.Int63n(1<<30))
		rq.Shift[j] = int32(-12 + r.Intn(12))
		if extreme {
			rq.Bias[j] = int32(r.Uint32())
			rq.Shift[j] = int32(-31 + r.Intn(40))
		}
	}
	rq.OutZero = int32(r.Intn(256) - 128)
	rq.ActMin, rq.ActMax = -128, 127
	switch r.Intn(3) {
	case 0: // fused ReLU
		rq.ActMin = rq.OutZero
	case 1:
		a, b := int32(r.Intn(256)-128), int32(r.Intn(256)-128)
		rq.ActMin, rq.ActMax = min(a, b), max(a, b)
	}
	return rq
}

// mulQBig is MultiplyByQuantizedMultiplier in exact arithmetic: wrap the
// left shift to int32, multiply by mult/2^31 rounding halves up (saturating
// like SQRDMULH), then divide by 2^right rounding halves away from zero.
func mulQBig(x, mult, shift int32) int32 {
	left, right := max(shift, 0), max(-shift, 0)
	x = int32(int64(x) << left)
	p := new(big.Int).Mul(big.NewInt(int64(x)), big.NewInt(int64(mult)))
	p.Lsh(p, 1).Add(p, big.NewInt(1<<31)).Rsh(p, 32) // floor((2xm + 2^31) / 2^32)
	h := min(p.Int64(), math.MaxInt32)
	d := int64(1) << right
	q := (abs64(h) + d/2) / d
	if h < 0 {
		q = -q
	}
	return int32(q)
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

func TestMulQMatchesExactArithmetic(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	xs := []int32{0, 1, -1, 2, -2, 3, -3, math.MaxInt32, math.MinInt32, 1 << 20, -(1 << 20)}
	for range 300 {
		xs = append(xs, int32(r.Uint32()), int32(r.Intn(1<<16)-1<<15))
	}
	mults := []int32{0, 1 << 30, math.MaxInt32, 1518500250}
	for range 50 {
		mults = append(mults, int32(1<<30+r.Int63n(1<<30)))
	}
	for _, x := range xs {
		for _, m := range mults {
			for _, sh := range []int32{-31, -20, -8, -1, 0, 1, 3} {
				require.Equal(t, mulQBig(x, m, sh), MulQ(x, m, sh), "x=%d mult=%d shift=%d", x, m, sh)
			}
		}
	}
}

// directGEMM is the GEMM of unpacked weights w ([n][k]).
func directGEMM(a []int8, lda, m, n, k int, w []int8, rq *Requant) []int8 {
	out := make([]int8, m*n)
	for i := range m {
		for j := range n {
			var acc int32
			for t := range k {
				acc += int32(a[i*lda+t]) * int32(w[j*k+t])
			}
			out[i*n+j] = RequantOne(acc+rq.Bias[j], rq.Multiplier[j], rq.Shift[j], rq)
		}
	}
	return out
}

type gemmCase struct {
	m, n, k int
	extreme bool
}

func gemmCases() []gemmCase {
	cs := []gemmCase{{1, 1, 1, false}, {1, 6, 32768, false}, {1, 1, 6, false}, {3, 300, 40, false}, {5, 260, 17, true},
		{67, 7, 33, false}, {130, 5, 3, true}} // more rows than one buffer of a partial channel block
	for _, m := range []int{1, 2, 3, 5, 6, 7, 9, 13} {
		for _, n := range []int{1, 3, 4, 5, 8, 13, 16, 20, 33} {
			for _, k := range []int{1, 15, 16, 17, 75, 100} {
				cs = append(cs, gemmCase{m, n, k, (m+n+k)%3 == 0})
			}
		}
	}
	return cs
}

// gemmInputs draws a GEMM problem; extreme fills A and the weights with
// their range limits.
func gemmInputs(r *rand.Rand, c gemmCase) (a []int8, lda int, w []int8, rq *Requant) {
	lda = PaddedK(c.k) + 16*r.Intn(2)
	a = randInt8s(r, c.m*lda, -128, 127)
	w = randInt8s(r, c.n*c.k, -127, 127)
	if c.extreme {
		for i := range a {
			a[i] = [2]int8{-128, 127}[r.Intn(2)]
		}
		for i := range w {
			w[i] = [2]int8{-127, 127}[r.Intn(2)]
		}
	}
	return a, lda, w, randRequant(r, c.n, c.extreme)
}

func TestGEMMGenericMatchesDirect(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for _, c := range gemmCases() {
		a, lda, w, rq := gemmInputs(r, c)
		packed := make([]int8, PackedLen(c.n, c.k))
		Pack(packed, w, c.n, c.k)
		out := make([]int8, c.m*c.n)
		gemmGeneric(out, c.n, a, lda, c.m, c.n, c.k, packed, rq)
		require.Equal(t, directGEMM(a, lda, c.m, c.n, c.k, w, rq), out, "%+v", c)
	}
}

func TestPackLayout(t *testing.T) {
	// 5 channels of 17: channel j, weight t at block j/4, step t/16, lane j%4.
	n, k := 5, 17
	w := make([]int8, n*k)
	for i := range w {
		w[i] = int8(i%100 + 1)
	}
	packed := make([]int8, PackedLen(n, k))
	require.Len(t, packed, 8*32)
	Pack(packed, w, n, k)
	require.Equal(t, w[0:16], packed[0:16])            // ch0 k0-15
	require.Equal(t, w[17:33], packed[16:32])          // ch1 k0-15
	require.Equal(t, w[16], packed[64])                // ch0 k16
	require.Equal(t, w[4*17:4*17+16], packed[128:144]) // ch4 k0-15 starts block 1
	require.Equal(t, make([]int8, 15), packed[65:80])  // ch0 k17-31 padding
	require.Equal(t, make([]int8, 16), packed[144:160])
}

// optimised returns the implementations besides the reference, or skips the
// test where this build runs only the reference (purego, 32-bit ARM, a CPU
// without the SIMD extensions): there is nothing to compare it with.
func optimised(t *testing.T) []implementation {
	t.Helper()
	if len(implementations) == 1 {
		t.Skipf("only the reference kernels run on this build (GOARCH=%s, purego tag or no SIMD extensions): nothing to compare", runtime.GOARCH)
	}
	return implementations[1:]
}

func TestImplementationsGEMM(t *testing.T) {
	for _, impl := range optimised(t) {
		t.Run(impl.name, func(t *testing.T) {
			r := rand.New(rand.NewSource(3))
			for _, c := range gemmCases() {
				a, lda, w, rq := gemmInputs(r, c)
				packed := make([]int8, PackedLen(c.n, c.k))
				Pack(packed, w, c.n, c.k)
				ldc := c.n + r.Intn(3)
				want := make([]int8, c.m*ldc)
				got := make([]int8, c.m*ldc)
				copy(got, randInt8s(r, len(got), -128, 127))
				copy(want, got)
				gemmGeneric(want, ldc, a, lda, c.m, c.n, c.k, packed, rq)
				if r.Intn(4) != 0 { // unprepared constants must stay correct too
					impl.prepare(rq, packed, c.n, c.k)
				}
				// The last row may end at k, with or without capacity up to PaddedK(k).
				end := (c.m-1)*lda + c.k
				switch r.Intn(3) {
				case 0:
					a = a[:end]
				case 1:
					a = a[:end:end]
				}
				impl.gemm(got, ldc, a, lda, c.m, c.n, c.k, packed, rq)
				require.Equal(t, want, got, "%+v", c)
			}
		})
	}
}

// requantClamp is an output zero point and clamp of a requantisation edge case.
type requantClamp struct{ zero, lo, hi int32 }

// requantClamps are the clamps the edge cases go through around zero point
// oz (in [-127, 126]): the full range, a fused ReLU, ActMin one below the
// zero point (the lowest clamp that still needs RoundingDivideByPOT's
// rounding of negative halves), ActMax at, below and just above the zero
// point, a one-value range, and zero points at the int8 limits.
func requantClamps(oz int32) []requantClamp {
	return []requantClamp{
		{oz, -128, 127}, {oz, oz, 127}, {oz, oz - 1, 127}, {oz, oz - 1, oz + 1},
		{oz, -128, oz}, {oz, -128, oz - 1}, {oz, oz, oz + 6}, {oz, oz, oz},
		{-128, -128, 127}, {127, -128, 127}, {127, 126, 127}, {-128, -128, -127},
	}
}

// requantEdgeChannels returns, for a shift and clamp, channels whose bias
// puts x + bias (x a small row value) next to the rounding ties of MulQ,
// next to the clamp bounds, at the int32 limits, or anywhere, with
// multipliers 0.5, almost 1, random and 0. saturating adds the multiplier
// -2^31 (outside Requant's range, but it reaches the reference's
// saturation; the amd64 Prepare refuses it).
func requantEdgeChannels(r *rand.Rand, shift int32, c requantClamp, saturating bool) (bias, mult []int32) {
	right := max(-shift, 0)
	var bases []int64
	for _, odd := range []int64{1, 3, 1<<20 + 1} {
		for _, sign := range []int64{1, -1} {
			// Ties of the right shift after a multiplier of 0.5 (x halved)
			// and of almost 1 (x kept).
			bases = append(bases, sign*odd<<right, sign*odd<<right/2)
		}
	}
	for _, e := range []int64{-1, 0, 1} { // the clamp bounds after a multiplier of almost 1
		bases = append(bases, (int64(c.lo-c.zero)+e)<<right, (int64(c.hi-c.zero)+e)<<right)
	}
	bases = append(bases, 0, math.MinInt32, math.MaxInt32, math.MinInt32+128, math.MaxInt32-128, int64(int32(r.Uint32())))
	mults := []int32{1 << 30, math.MaxInt32, int32(1<<30 + r.Int63n(1<<30)), 0}
	if saturating {
		mults = append(mults, math.MinInt32)
	}
	for _, m := range mults {
		for _, b := range bases {
			bias, mult = append(bias, int32(b)), append(mult, m)
		}
	}
	return bias, mult
}

// requantEdge is one requantisation edge case: rows of values xs against
// channels of weight 1, so that out[i][j] = requant(xs[i] + Bias[j]), and
// those outputs in exact arithmetic.
type requantEdge struct {
	rq   Requant
	want []int8 // len(xs) rows of n channels
}

// requantEdgeXs are the row values of the edge cases.
var requantEdgeXs = []int8{-128, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 127}

// requantEdges builds the edge cases: every shift from -31 to 30 with the
// full-range clamp and with the multiplier -2^31, and a spread of shifts
// (both extremes, small, large, left) with every clamp of requantClamps.
func requantEdges() []requantEdge {
	r := rand.New(rand.NewSource(8))
	var cases []requantEdge
	add := func(shift int32, c requantClamp, saturating bool) {
		bias, mult := requantEdgeChannels(r, shift, c, saturating)
		n := len(bias)
		e := requantEdge{rq: Requant{Bias: bias, Multiplier: mult, Shift: make([]int32, n), OutZero: c.zero, ActMin: c.lo, ActMax: c.hi}}
		for j := range n {
			e.rq.Shift[j] = shift
		}
		for _, x := range requantEdgeXs {
			for j := range n {
				v := c.zero + mulQBig(int32(x)+bias[j], mult[j], shift) // the int32 sum wraps, as in the kernels
				e.want = append(e.want, int8(min(max(v, c.lo), c.hi)))
			}
		}
		cases = append(cases, e)
	}
	for shift := int32(-31); shift <= 30; shift++ {
		oz := int32(r.Intn(254) - 127)
		add(shift, requantClamp{oz, -128, 127}, false)
		add(shift, requantClamp{oz, -128, 127}, true)
	}
	for _, shift := range []int32{-31, -30, -24, -17, -9, -2, -1, 0, 1, 4, 30} {
		for _, c := range requantClamps(int32(r.Intn(250) - 124)) {
			add(shift, c, false)
		}
	}
	return cases
}

// Every GEMM and Conv path of every kernel set (the reference included:
// here it is checked against exact arithmetic) requantises the edge cases
// exactly: GEMM and Conv with and without prepared constants, which on
// amd64 are different tile kernels. The Conv is a 1x1 convolution of one
// channel over two rows of 13 pixels, so its accumulators are the row
// values as in GEMM.
func TestRequantEdgesEveryPath(t *testing.T) {
	cases := requantEdges()
	xs := requantEdgeXs
	m := len(xs)
	lda := KStep
	a := make([]int8, m*lda)
	in := make([]int8, 2*m) // row 0: xs, row 1: xs reversed
	for i, x := range xs {
		a[i*lda] = x
		in[i], in[2*m-1-i] = x, x
	}
	for _, impl := range implementations {
		t.Run(impl.name, func(t *testing.T) {
			for ci, e := range cases {
				n := len(e.rq.Bias)
				w := make([]int8, n)
				fill(w, 1)
				packed := make([]int8, PackedLen(n, 1))
				Pack(packed, w, n, 1)
				s := ConvShape{H: 2, W: m, C: 1, KH: 1, KW: 1, SH: 1, SW: 1, OH: 2, OW: m, OC: n}
				scratch := make([]int8, ConvScratchLen(&s))
				wantConv := make([]int8, 2*m*n)
				copy(wantConv, e.want)
				for i := range m {
					copy(wantConv[(2*m-1-i)*n:][:n], e.want[i*n:][:n])
				}
				for _, prepare := range []bool{false, true} {
					rq := e.rq
					rq.prepared = prepared{}
					if prepare {
						impl.prepare(&rq, packed, n, 1)
						// The amd64 sets (those with a panel) take their
						// tile kernels only with prepared constants.
						if impl.panel != nil && !slices.Contains(rq.Multiplier, math.MinInt32) {
							require.NotZero(t, rq.PreparedBytes(), "case %d", ci)
						}
					}
					what := fmt.Sprintf("case %d: shift %d, zero %d, clamp [%d, %d], prepared %v (%d bytes)",
						ci, rq.Shift[0], rq.OutZero, rq.ActMin, rq.ActMax, prepare, rq.PreparedBytes())
					got := make([]int8, m*n)
					impl.gemm(got, n, a, lda, m, n, 1, packed, &rq)
					require.Equal(t, e.want, got, "GEMM, %s", what)
					got = make([]int8, 2*m*n)
					impl.conv(got, in, &s, packed, &rq, scratch, 0, 2)
					require.Equal(t, wantConv, got, "Conv, %s", what)
				}
			}
		})
	}
}

// sameShape is Keras 'same' (or 'valid') geometry for an h x w x c input.
func sameShape(h, w, c, kh, kw, sh, sw, oc int, same bool, pad int8) ConvShape {
	s := ConvShape{H: h, W: w, C: c, KH: kh, KW: kw, SH: sh, SW: sw, OC: oc, PadValue: pad}
	if same {
		s.OH, s.OW = (h+sh-1)/sh, (w+sw-1)/sw
		s.PadTop = max((s.OH-1)*sh+kh-h, 0) / 2
		s.PadLeft = max((s.OW-1)*sw+kw-w, 0) / 2
	} else {
		s.OH, s.OW = (h-kh)/sh+1, (w-kw)/sw+1
	}
	return s
}

func convCases() []ConvShape {
	return []ConvShape{
		sameShape(9, 11, 3, 5, 5, 1, 1, 32, true, -128),   // tutorial conv1, small
		sameShape(10, 10, 3, 3, 3, 1, 1, 32, true, -128),  // exercise conv1, small
		sameShape(8, 8, 32, 3, 3, 1, 1, 64, true, -3),     // conv2-like
		sameShape(4, 5, 64, 3, 3, 1, 1, 128, true, 7),     // conv3-like
		sameShape(1, 1, 1, 3, 3, 1, 1, 1, true, 5),        // 1x1 spatial
		sameShape(7, 1, 5, 3, 3, 1, 1, 6, true, 0),        // width 1
		sameShape(2, 2, 3, 5, 5, 1, 1, 5, true, 100),      // kernel larger than input
		sameShape(9, 9, 17, 3, 3, 2, 2, 7, false, 0),      // stride 2, valid
		sameShape(9, 10, 6, 3, 3, 2, 2, 9, true, -7),      // stride 2, same
		sameShape(5, 5, 20, 1, 1, 1, 1, 13, true, 0),      // 1x1 conv
		sameShape(3, 3, 8, 3, 3, 1, 1, 300, true, 1),      // more channels than one parameter chunk
		sameShape(6, 7, 16, 2, 3, 1, 2, 4, false, 0),      // uneven kernel and strides
		sameShape(5, 6, 33, 3, 3, 1, 1, 11, true, -128),   // wide segments, odd C
		sameShape(3, 13, 2, 1, 7, 1, 3, 3, true, 9),       // 1x7 kernel
		sameShape(12, 12, 1, 3, 3, 3, 3, 2, false, 0),     // C=1, stride 3
		sameShape(4, 4, 128, 3, 3, 1, 1, 8, true, -128),   // long rows
		sameShape(5, 5, 3, 5, 5, 1, 1, 4, false, 0),       // valid, one output
		sameShape(13, 3, 4, 4, 2, 2, 1, 5, true, -50),     // even kernel, same
		sameShape(6, 9, 48, 3, 3, 1, 1, 17, true, 3),      // partial channel block
		sameShape(11, 17, 3, 3, 3, 1, 1, 32, true, -128),  // OW not a multiple of 4
		sameShape(4, 4, 3, 5, 5, 1, 1, 6, true, -128),     // more padding than image
		sameShape(16, 16, 3, 5, 5, 1, 1, 32, true, -128),  // whole tiles
		sameShape(8, 8, 64, 3, 3, 1, 1, 128, true, -128),  // conv3, whole tiles
		sameShape(3, 5, 32, 3, 3, 1, 1, 64, false, -128),  // valid, one row
		sameShape(10, 10, 24, 5, 5, 2, 2, 16, true, -128), // stride 2, 5x5
	}
}

// directConv is the convolution of unpacked weights w ([OC][KH][KW][C]).
func directConv(in []int8, s *ConvShape, w []int8, rq *Requant) []int8 {
	out := make([]int8, s.OH*s.OW*s.OC)
	for oy := range s.OH {
		for ox := range s.OW {
			for oc := range s.OC {
				var acc int32
				for ky := range s.KH {
					for kx := range s.KW {
						iy, ix := oy*s.SH-s.PadTop+ky, ox*s.SW-s.PadLeft+kx
						for c := range s.C {
							v := s.PadValue
							if iy >= 0 && iy < s.H && ix >= 0 && ix < s.W {
								v = in[(iy*s.W+ix)*s.C+c]
							}
							acc += int32(v) * int32(w[((oc*s.KH+ky)*s.KW+kx)*s.C+c])
						}
					}
				}
				out[(oy*s.OW+ox)*s.OC+oc] = RequantOne(acc+rq.Bias[oc], rq.Multiplier[oc], rq.Shift[oc], rq)
			}
		}
	}
	return out
}

func convInputs(r *rand.Rand, s *ConvShape, extreme bool) (in, w, packed []int8, rq *Requant) {
	in = randInt8s(r, s.H*s.W*s.C, -128, 127)
	w = randInt8s(r, s.OC*s.K(), -127, 127)
	if extreme {
		for i := range in {
			in[i] = -128
		}
		for i := range w {
			w[i] = -127
		}
	}
	packed = make([]int8, PackedLen(s.OC, s.K()))
	Pack(packed, w, s.OC, s.K())
	return in, w, packed, randRequant(r, s.OC, extreme)
}

func TestConvGenericMatchesDirect(t *testing.T) {
	r := rand.New(rand.NewSource(4))
	for i, s := range convCases() {
		in, w, packed, rq := convInputs(r, &s, i%5 == 4)
		out := make([]int8, s.OH*s.OW*s.OC)
		convGeneric(out, in, &s, packed, rq, make([]int8, ConvScratchLen(&s)), 0, s.OH)
		require.Equal(t, directConv(in, &s, w, rq), out, "%+v", s)
	}
}

func TestImplementationsConv(t *testing.T) {
	for _, impl := range optimised(t) {
		t.Run(impl.name, func(t *testing.T) {
			r := rand.New(rand.NewSource(5))
			for i, s := range convCases() {
				for _, extreme := range []bool{false, i%3 == 0} {
					in, _, packed, rq := convInputs(r, &s, extreme)
					want := make([]int8, s.OH*s.OW*s.OC)
					convGeneric(want, in, &s, packed, rq, make([]int8, ConvScratchLen(&s)), 0, s.OH)
					got := make([]int8, len(want))
					scratch := randInt8s(r, ConvScratchLen(&s), -128, 127)
					split := r.Intn(s.OH + 1)
					if r.Intn(4) != 0 { // unprepared constants must stay correct too
						impl.prepare(rq, packed, s.OC, s.K())
					}
					impl.conv(got, in, &s, packed, rq, scratch, 0, split)
					impl.conv(got, in, &s, packed, rq, scratch, split, s.OH)
					require.Equal(t, want, got, "%+v extreme=%v", s, extreme)
				}
			}
		})
	}
}

func TestMaxPoolGeneric(t *testing.T) {
	// 2 x 4 x 2 input, 2x2 pool stride 2 -> 1 x 2 x 2.
	in := []int8{
		1, -5, 2, -6, 3, 0, -128, -128,
		4, -7, -1, -2, 5, 9, -100, -1,
	}
	out := make([]int8, 4)
	maxPoolGeneric(out, in, 2, 4, 2, 2, 2, 0, 1)
	require.Equal(t, []int8{4, -2, 5, 9}, out)
}

func TestImplementationsMaxPool(t *testing.T) {
	shapes := [][5]int{ // h, w, c, pool, stride
		{8, 8, 32, 2, 2}, {7, 9, 17, 2, 2}, {5, 5, 16, 2, 1}, {6, 6, 3, 2, 2},
		{9, 9, 20, 3, 3}, {2, 2, 128, 2, 2}, {4, 6, 40, 2, 2}, {3, 3, 64, 2, 1},
	}
	for _, impl := range optimised(t) {
		t.Run(impl.name, func(t *testing.T) {
			r := rand.New(rand.NewSource(6))
			for _, sh := range shapes {
				h, w, c, pool, stride := sh[0], sh[1], sh[2], sh[3], sh[4]
				oh, ow := (h-pool)/stride+1, (w-pool)/stride+1
				in := randInt8s(r, h*w*c, -128, 127)
				want := make([]int8, oh*ow*c)
				maxPoolGeneric(want, in, h, w, c, pool, stride, 0, oh)
				got := make([]int8, len(want))
				split := r.Intn(oh + 1)
				impl.maxPool(got, in, h, w, c, pool, stride, 0, split)
				impl.maxPool(got, in, h, w, c, pool, stride, split, oh)
				require.Equal(t, want, got, fmt.Sprint(sh))
			}
		})
	}
}

func TestKernelsDoNotAllocate(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	s := sameShape(8, 8, 16, 3, 3, 1, 1, 6, true, -128)
	in, _, packed, rq := convInputs(r, &s, false)
	out := make([]int8, s.OH*s.OW*s.OC)
	scratch := make([]int8, ConvScratchLen(&s))
	dense := make([]int8, 6)
	pooled := make([]int8, 4*4*16)
	for _, impl := range implementations {
		impl.prepare(rq, packed, s.OC, s.K())
		allocs := testing.AllocsPerRun(5, func() {
			impl.conv(out, in, &s, packed, rq, scratch, 0, s.OH)
			impl.gemm(dense, 6, in, PaddedK(s.K()), 1, 6, s.K(), packed, rq)
			impl.maxPool(pooled, in, 8, 8, 16, 2, 2, 0, 4)
		})
		require.Zero(t, allocs, impl.name)
	}
}
